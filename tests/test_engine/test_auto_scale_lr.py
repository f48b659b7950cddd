# Copyright (c) constcl_mm authors. All rights reserved.
"""One meaning of ``--auto-scale-lr`` in every task (mmaction2's): a config
states the LR of the batch in its name (``{gpus}xb{batch}``) and runs it as
stated; the flag rescales it by (GPUs x batch) / ``base_batch_size``.

The LR is resolved as a real run resolves it: ``tools/train.py``'s
``merge_args`` on the command line, then mmengine's ``Runner.scale_lr``.
"""
import glob
import importlib.util
import logging
import os.path as osp
import re
import sys
from types import SimpleNamespace

import pytest
import torch.nn as nn
from helpers.paths import REPO_ROOT
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

_spec = importlib.util.spec_from_file_location(
    'constcl_train_tool', osp.join(REPO_ROOT, 'tools', 'train.py'))
train_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(train_tool)


def _family(pattern):
    return sorted(glob.glob(osp.join(REPO_ROOT, 'configs', pattern)))


FAMILIES = {
    'pretraining': _family('constcl/*_kinetics400*.py'),
    'recognition': _family('recognition/*/*.py'),
    'detection': _family('detection/constcl/*.py'),
    'tracking': _family('tracking/siamfc/*.py'),
}
ALL = [p for paths in FAMILIES.values() for p in paths]


def resolved_lr(path, flag, world_size, batch_size=None):
    """The LR of the first parameter group after tools/train.py and the
    runner's ``scale_lr``, for ``world_size`` processes."""
    argv = ['train.py', path, '--work-dir', '/tmp/unused']
    if flag:
        argv.append('--auto-scale-lr')
    if batch_size is not None:
        argv += ['--cfg-options', f'train_dataloader.batch_size={batch_size}']
    saved = sys.argv
    sys.argv = argv
    try:
        args = train_tool.parse_args()  # the tool's own command line
    finally:
        sys.argv = saved
    cfg = train_tool.merge_args(Config.fromfile(path), args)
    optim = build_optim_wrapper(nn.Linear(2, 2), cfg.optim_wrapper)
    runner = SimpleNamespace(
        world_size=world_size,
        _train_dataloader=cfg.train_dataloader,
        logger=logging.getLogger('auto_scale_lr_test'),
        param_schedulers=None)
    Runner.scale_lr(runner, optim, cfg.get('auto_scale_lr'))
    return optim.optimizer.param_groups[0]['lr'], cfg


def name_batch(path):
    gpus, batch = re.search(r'_(\d+)xb(\d+)-', osp.basename(path)).groups()
    return int(gpus), int(batch)


def test_every_family_is_covered():
    assert all(len(paths) >= 3 for paths in FAMILIES.values()), FAMILIES


@pytest.mark.parametrize('path', ALL, ids=lambda p: osp.basename(p))
def test_config_states_the_lr_of_its_named_batch(path):
    cfg = Config.fromfile(path)
    gpus, batch = name_batch(path)
    stated = cfg.optim_wrapper.optimizer.lr
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.auto_scale_lr.enable is False
    assert cfg.auto_scale_lr.base_batch_size == gpus * batch
    # without the flag the stated LR runs, whatever the cluster
    for world in (1, gpus, 8 * gpus):
        assert resolved_lr(path, False, world)[0] == stated
    # with the flag on the named cluster: unchanged
    assert resolved_lr(path, True, gpus)[0] == pytest.approx(stated)


@pytest.mark.parametrize('family,world,batch', [
    ('pretraining', 8, 8),
    ('recognition', 4, 16),
    ('detection', 16, 16),
    ('tracking', 2, 8),
])
def test_flag_rescales_from_base_batch(family, world, batch):
    for path in FAMILIES[family]:
        cfg = Config.fromfile(path)
        stated = cfg.optim_wrapper.optimizer.lr
        factor = world * batch / cfg.auto_scale_lr.base_batch_size
        lr, cfg = resolved_lr(path, True, world, batch)
        assert cfg.auto_scale_lr.enable is True
        assert lr == pytest.approx(stated * factor), path


def test_linear_probe_states_cvrl_lr_at_its_batch():
    path = _family('recognition/linear_probe/*kinetics400*.py')[0]
    # CVRL: 32.0 per 1024 clips; the config's 8 x 32 = 256 clips get 8.0
    assert resolved_lr(path, False, 8)[0] == 8.0
    assert resolved_lr(path, True, 32)[0] == pytest.approx(32.0)


def test_pretraining_flag_on_eight_gpus():
    lr, _ = resolved_lr(
        osp.join(REPO_ROOT, 'configs', 'constcl', 'pretrain.py'), True, 8)
    assert lr == pytest.approx(40.96 * 64 / 1024)  # 2.56
