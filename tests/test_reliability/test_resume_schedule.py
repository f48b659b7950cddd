# Copyright (c) constcl_mm authors. All rights reserved.
"""``--resume`` into another loop length or another optimizer (issue 25)."""
import json

import pytest
from helpers.reliability import TOY_CFG
from mmengine.config import Config
from mmengine.runner import Runner

from constcl_mm.engine.resume_checks import ResumeError

WARMUP_COSINE = [
    dict(
        type='WarmupCosineLR',
        warmup=dict(iters=2),
        start_factor=0.1,
        by_epoch=False)
]


def toy_runner(work_dir, iters, resume=False, optimizer=None):
    cfg = Config.fromfile(TOY_CFG)
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = iters
    cfg.param_scheduler = WARMUP_COSINE
    cfg.custom_hooks = []
    cfg.default_hooks.checkpoint.interval = 3
    if optimizer is not None:
        cfg.optim_wrapper.optimizer = optimizer
    cfg.resume = resume
    return Runner.from_cfg(cfg)


def logged_lrs(work_dir) -> dict:
    rows = {}
    for path in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            rows[row['step']] = row['lr']
    return rows


def test_longer_resumed_run_follows_the_fresh_schedule(tmp_path, capsys):
    fresh, part = tmp_path / 'fresh', tmp_path / 'part'
    toy_runner(fresh, 12).train()
    toy_runner(part, 6).train()
    resumed = toy_runner(part, 12, resume=True)
    resumed.train()
    a, b = logged_lrs(fresh), logged_lrs(part)
    assert sorted(a) == sorted(b) == list(range(1, 13))
    for step in range(7, 13):
        assert b[step] == pytest.approx(a[step], rel=1e-9), step
    assert a[12] < a[11]  # the last step has its own LR
    log = capsys.readouterr().out
    assert 'WarmupCosineLR resumed at iteration 6' in log
    assert '12-step schedule' in log


@pytest.mark.parametrize('iters', [3, 6])
def test_resume_with_nothing_left_is_refused(tmp_path, iters):
    toy_runner(tmp_path, 6).train()
    with pytest.raises(ResumeError) as err:
        toy_runner(tmp_path, iters, resume=True).train()
    text = str(err.value)
    assert 'iteration 6' in text and f'train_cfg.max_iters={iters}' in text
    assert 'nothing is left to train' in text and 'max_iters=N' in text


def test_resume_into_another_optimizer_names_both(tmp_path):
    toy_runner(tmp_path, 3, optimizer=dict(type='AdamW', lr=1e-3)).train()
    with pytest.raises(ResumeError) as err:
        toy_runner(tmp_path, 6, resume=True).train()
    text = str(err.value)
    assert 'AdamW' in text and 'SGD' in text and 'momentum' in text
    assert 'load_from=' in text and 'iter_3.pth' in text
