# Copyright (c) constcl_mm authors. All rights reserved.
"""The supervised control of the learning proof learns the object world's
labels, through the runner and the real two-view pipeline.

So that the world cannot silently become unlearnable: on 16 videos (the
photometric ops off, a small width, 32-px crops) the summed loss of the
scene, category and motion heads must fall well below its chance level
ln 4 + ln 8 + ln 4 = 4.85 within 60 steps.
"""
import math
import os.path as osp

from mmengine.config import Config

from constcl_mm.utils import adapt_cfg_to_machine, build_runner

CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    'mini', 'supervised_r3d18y-w16_1xb32-16x2x2-2k_objects.py')
ITERS = 60
PHOTOMETRIC = ('MultiViewColorJitter', 'MultiViewGrayscale',
               'MultiViewGaussianBlur', 'MultiViewSolarize')


def test_supervised_control_learns(tmp_path):
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(tmp_path)
    cfg.model.backbone.base_channels = 8
    dataset = cfg.train_dataloader.dataset
    dataset.num_videos = 16
    dataset.cache_dir = str(tmp_path / 'cache')
    dataset.pipeline = [
        dict(s, scale=32) if s['type'] == 'MultiViewRandomResizedCrop' else s
        for s in dataset.pipeline if s['type'] not in PHOTOMETRIC
    ]
    cfg.train_dataloader.batch_size = 8
    cfg.optim_wrapper.optimizer.lr = 2e-3
    cfg.train_cfg.max_iters = ITERS
    cfg.train_cfg.val_interval = ITERS
    cfg.default_hooks.checkpoint.interval = ITERS
    cfg.default_hooks.logger.interval = 5
    cfg.log_level = 'WARNING'
    cfg.randomness = dict(seed=0)
    adapt_cfg_to_machine(cfg)
    runner = build_runner(cfg)
    runner.train()
    hub = runner.message_hub
    total = [float(v) for v in hub.log_scalars['train/loss'].data[0]]
    chance = math.log(4) + math.log(8) + math.log(4)
    first, last = sum(total[:5]) / 5, sum(total[-10:]) / 10
    assert first > 0.9 * chance, (first, chance)
    assert last < 0.8 * chance, (first, last, chance)
