# Copyright (c) constcl_mm authors. All rights reserved.
"""The mini ConST-CL learns: a few dozen iterations on the synthetic world.

The region (local) loss must fall clearly below its chance level
``ln(1 + N (B - 1))`` (one positive among the N boxes of each other video),
and every part of the local branch must have been trained: the neck's
decoder and projection, and the local res5 (res5_1). Detaching the neck's
output, or the local loss, makes this test fail (checked by mutation).
"""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook

from constcl_mm.utils import adapt_cfg_to_machine, build_runner

CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    'mini', 'constcl_r3d50y-w16_1xb8-16x2x2-400it_synthetic.py')
ITERS = 40


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('mini_learns'))
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = work_dir
    cfg.train_cfg.max_iters = ITERS
    cfg.train_cfg.val_interval = ITERS
    cfg.default_hooks.checkpoint.interval = ITERS
    cfg.default_hooks.logger.interval = 5
    cfg.log_level = 'WARNING'
    cfg.randomness = dict(seed=0)
    adapt_cfg_to_machine(cfg)
    runner = build_runner(cfg)
    before = {}

    class Snapshot(Hook):
        """The weights after initialisation, before the first step."""

        def before_train(self, runner) -> None:
            before.update({
                name: p.detach().clone()
                for name, p in runner.model.named_parameters()
            })

    runner.register_hook(Snapshot(), priority='LOWEST')
    runner.train()
    model = runner.model
    hub = runner.message_hub

    def history(key):
        return [float(v) for v in hub.log_scalars[f'train/{key}'].data[0]]

    return dict(cfg=cfg, model=model, before=before, history=history)


def test_region_loss_falls_below_chance(trained):
    cfg, history = trained['cfg'], trained['history']
    weight = cfg.model.local_head.loss_weight
    batch = cfg.train_dataloader.batch_size
    chance = math.log(1 + 8 * (batch - 1))
    local = [v / weight for v in history('loss_local')]
    first, last = sum(local[:5]) / 5, sum(local[-10:]) / 10
    # starts near chance, ends clearly below it
    assert first > 0.8 * chance
    assert last < 0.85 * chance, (first, last, chance)
    pos_sim = history('local_pos_sim')
    pos = sum(pos_sim[-10:]) / 10
    neg = sum(history('local_neg_sim')[-10:]) / 10
    assert pos - neg > 0.3, (pos, neg)
    # the positive regions' similarity rises during training
    assert pos > sum(pos_sim[:3]) / 3 + 0.05, pos_sim


@pytest.mark.parametrize('prefix', [
    'neck.decoder.', 'neck.projection.', 'neck.positional_encoding.',
    'backbone.layer4_local.', 'backbone.layer4.', 'global_head.'
])
def test_every_branch_is_trained(trained, prefix):
    model, before = trained['model'], trained['before']
    moved = [
        name for name, p in model.named_parameters() if name.startswith(prefix)
        and p.requires_grad and not torch.equal(p.detach(), before[name])
    ]
    params = [n for n in before if n.startswith(prefix)]
    assert params, prefix
    assert len(moved) == len(params), sorted(set(params) - set(moved))[:5]
