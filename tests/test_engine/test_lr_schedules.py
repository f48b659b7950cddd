# Copyright (c) constcl_mm authors. All rights reserved.
"""LR schedules of the configs against the formulas they state, stepped
through on a tiny model; the loop-following schedule in a real Runner."""
import glob
import math
import os.path as osp

import pytest
import torch.nn as nn
from helpers.paths import REPO_ROOT, TOY_CFG
from mmaction.registry import PARAM_SCHEDULERS
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from constcl_mm.engine.hooks.loop_schedule_hook import (LoopScheduleHook,
                                                        schedule_mismatches)
from constcl_mm.engine.schedulers import WarmupCosineLR, warmup_cosine_factor

CFG = osp.join(REPO_ROOT, 'configs', 'constcl')
PAPER = osp.join(CFG, 'constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py')
OFFICIAL = osp.join(
    CFG, 'constcl_r3d50y_128xb8-16x2x2-200k_kinetics400_official-schedule.py')
OFFICIAL_100K = osp.join(
    CFG, 'constcl_r3d50y_128xb8-16x2x2-100k_kinetics400_official-schedule.py')
K400_TRAIN = 235_693  # Kinetics-400 training videos
LR = 40.96


def lr_trace(cfg_path,
             max_iters=None,
             videos=K400_TRAIN,
             world_size=128,
             at=()):
    """Builds the config's optimizer and scheduler on a tiny model, fits
    the scheduler to the loop as LoopScheduleHook does, steps through the
    whole run and returns the LR used at each step in ``at``."""
    cfg = Config.fromfile(cfg_path)
    if max_iters is not None:
        cfg.train_cfg.max_iters = max_iters
    total = cfg.train_cfg.max_iters
    optim = build_optim_wrapper(nn.Linear(2, 2), cfg.optim_wrapper)
    sched_cfg = dict(cfg.param_scheduler)
    sched_cfg.setdefault('end', total)  # what the runner does
    sched = PARAM_SCHEDULERS.build(
        sched_cfg, default_args=dict(optimizer=optim))
    batch = cfg.train_dataloader.batch_size * world_size
    sched.resolve(total - sched.begin, videos / batch)
    wanted, out = set(at), {}
    optim.optimizer._global_step = 0  # as after a first optimizer step
    for step in range(total):
        if step in wanted:
            out[step] = optim.param_groups[0]['lr']
        sched.step()
    return sched, out


def paper_lr(t, total, warmup):
    if t < warmup:
        return LR * (1e-4 + (1 - 1e-4) * t / warmup)
    return LR * 0.5 * (1 + math.cos(math.pi * (t - warmup) / (total - warmup)))


def official_lr(t, total, warmup=2500):
    cosine = LR * 0.5 * (1 + math.cos(math.pi * min(t, total) / total))
    if t < warmup:
        return LR * 0.5 * (1 + math.cos(math.pi * warmup / total)) * \
            t / warmup
    return cosine


@pytest.mark.parametrize('max_iters', [None, 10_000])
def test_paper_schedule(max_iters):
    total = max_iters or 200_000
    warmup = 1151  # 5 epochs x 235,693 / 1024, rounded
    mid = warmup + (total - warmup) // 2
    points = (0, warmup // 2, warmup, mid, total - 1)
    sched, lrs = lr_trace(PAPER, max_iters, at=points)
    assert sched.warmup_iters == warmup and sched.end == total
    assert lrs[0] == pytest.approx(LR * 1e-4)
    assert lrs[warmup] == pytest.approx(LR)
    assert lrs[mid] == pytest.approx(LR / 2, rel=1e-3)
    for t in points:
        assert lrs[t] == pytest.approx(
            paper_lr(t, total, warmup), rel=1e-9, abs=1e-12), t
    assert lrs[total - 1] < 1e-6 * LR


@pytest.mark.parametrize('path,max_iters,peak', [
    (OFFICIAL, None, 40.944),
    (OFFICIAL, 20_000, LR * 0.5 * (1 + math.cos(math.pi / 8))),
    (OFFICIAL_100K, None, 40.897),
])
def test_official_schedule(path, max_iters, peak):
    total = max_iters or Config.fromfile(path).train_cfg.max_iters
    points = (0, 1250, 2499, 2500, total // 2, total - 1)
    sched, lrs = lr_trace(path, max_iters, at=points)
    assert sched.warmup_iters == 2500 and sched.end == total
    assert lrs[0] == 0.0
    assert lrs[2500] == pytest.approx(peak, abs=5e-4)
    assert lrs[1250] == pytest.approx(peak / 2, abs=5e-4)
    # cosine of the global step: half the LR at half the run, no offset
    assert lrs[total // 2] == pytest.approx(LR / 2)
    for t in points:
        assert lrs[t] == pytest.approx(
            official_lr(t, total), rel=1e-9, abs=1e-12), t


def test_warmup_in_epochs_follows_the_global_batch():
    # 8 GPUs x 8 videos: 5 epochs are 18,414 steps, not the 1,151 of 1024
    sched, lrs = lr_trace(PAPER, 40_000, world_size=8, at=(18_414, ))
    assert sched.warmup_iters == round(5 * K400_TRAIN / 64) == 18_414
    assert lrs[18_414] == pytest.approx(LR)


def test_factor_validates():
    with pytest.raises(ValueError, match='cosine_origin'):
        warmup_cosine_factor(0, 10, 1, cosine_origin='offset')
    with pytest.raises(ValueError, match='warmup'):
        warmup_cosine_factor(0, 10, 10)
    optim = build_optim_wrapper(
        nn.Linear(2, 2), dict(optimizer=dict(type='SGD', lr=1.0)))
    with pytest.raises(ValueError, match='exactly one of'):
        WarmupCosineLR(optim, warmup=dict(epochs=1, iters=2), end=10)
    sched = WarmupCosineLR(optim, warmup=dict(epochs=1), end=10)
    with pytest.raises(RuntimeError, match='LoopScheduleHook'):
        sched.step()
    with pytest.raises(ValueError, match='shorter than the run'):
        sched.resolve(10, iters_per_epoch=20)


def test_mismatch_messages():
    optim = build_optim_wrapper(
        nn.Linear(2, 2), dict(optimizer=dict(type='SGD', lr=1.0)))
    linear = PARAM_SCHEDULERS.build(
        dict(type='LinearLR', optimizer=optim, by_epoch=False, begin=0, end=5))
    cosine = PARAM_SCHEDULERS.build(
        dict(
            type='CosineAnnealingLR',
            optimizer=optim,
            by_epoch=False,
            begin=5,
            end=100,
            T_max=95))
    assert schedule_mismatches([linear, cosine], 100) == []
    messages = schedule_mismatches([linear, cosine], 6)
    assert len(messages) == 1 and 'ends at iteration 100' in messages[0] \
        and 'stops at 6' in messages[0]
    assert 'does not span' in schedule_mismatches([cosine], 200)[0]


def _toy_runner(tmp_path, param_scheduler, max_iters):
    import helpers.toy_modules  # noqa: F401
    from mmengine.runner import Runner
    cfg = Config.fromfile(TOY_CFG)
    cfg.custom_hooks = []
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_iters = max_iters
    cfg.param_scheduler = param_scheduler
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=1000, by_epoch=False, save_last=False)
    cfg.experiment_name = f'sched_{tmp_path.name}'
    return Runner.from_cfg(cfg)


class _RecordLR:
    """Collects the LR used at every training iteration."""

    def __init__(self):
        self.lrs = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.lrs.append(runner.optim_wrapper.param_groups[0]['lr'])


def _record(runner):
    from mmengine.hooks import Hook
    rec = _RecordLR()
    hook = type(
        'RecordLRHook', (Hook, ),
        dict(before_train_iter=lambda self, *a, **k: rec.before_train_iter(
            *a, **k)))()
    runner.register_hook(hook, priority='LOWEST')
    return rec


def test_demo_schedule_follows_max_iters_override(tmp_path):
    demo = Config.fromfile(
        osp.join(CFG, 'constcl_r3d50y_1xb4-16x2x2-100it_demo.py'))
    sched_cfg = dict(demo.param_scheduler)
    sched_cfg.pop('_delete_', None)
    runner = _toy_runner(tmp_path, sched_cfg, max_iters=6)
    assert any(isinstance(h, LoopScheduleHook) for h in runner.hooks)
    rec = _record(runner)
    runner.train()
    base = runner.optim_wrapper.param_groups[0]['initial_lr']
    # 5% of 6 steps rounds to no warmup: the cosine spans the 6 steps
    expect = [base * 0.5 * (1 + math.cos(math.pi * t / 6)) for t in range(6)]
    assert rec.lrs == pytest.approx(expect)
    assert rec.lrs[-1] < 0.07 * base


def test_literal_scheduler_end_is_warned(tmp_path):
    runner = _toy_runner(
        tmp_path, [
            dict(
                type='CosineAnnealingLR',
                T_max=100,
                by_epoch=False,
                begin=0,
                end=100)
        ],
        max_iters=6)
    runner.train()
    log = glob.glob(osp.join(str(tmp_path), '*', '*.log'))
    text = open(log[0]).read()
    assert 'LR schedule: CosineAnnealingLR ends at iteration 100 but the ' \
        'loop stops at 6' in text


def test_every_config_schedule_spans_its_loop():
    """No shipped config carries a literal cosine end that disagrees with
    its own loop (checked on the built schedulers)."""
    configs = glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    checked = 0
    for path in configs:
        if '_base_' in path:
            continue
        cfg = Config.fromfile(path)
        if not cfg.get('param_scheduler') or not cfg.get('train_cfg'):
            continue
        loop = cfg.train_cfg
        by_epoch_loop = loop.type == 'EpochBasedTrainLoop'
        epoch_length = 7
        max_iters = loop.max_epochs * epoch_length if by_epoch_loop \
            else loop.max_iters
        optim = build_optim_wrapper(
            nn.Linear(2, 2), dict(optimizer=dict(type='SGD', lr=1.0)))
        scheds = cfg.param_scheduler
        scheds = scheds if isinstance(scheds, list) else [scheds]
        built = []
        for s in scheds:
            s = dict(s)
            s.pop('_delete_', None)
            s.setdefault(
                'end', loop.max_epochs
                if s.get('by_epoch', True) and by_epoch_loop else max_iters)
            built.append(
                PARAM_SCHEDULERS.build(
                    s,
                    default_args=dict(
                        optimizer=optim, epoch_length=epoch_length)))
        for s in built:
            if isinstance(s, WarmupCosineLR):
                s.resolve(max_iters - s.begin, epoch_length)
        assert schedule_mismatches(
            built, max_iters, loop.max_epochs if by_epoch_loop else None) \
            == [], path
        checked += 1
    assert checked > 20


def test_weight_decay_only_on_conv_and_linear_weights():
    from mmaction.registry import MODELS
    cfg = Config.fromfile(PAPER)
    model = MODELS.build(cfg.model)
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    decay = {
        id(p): g['weight_decay']
        for g in optim.optimizer.param_groups
        for p in g['params']
    }
    kernels = {
        id(m.weight)
        for m in model.modules()
        if isinstance(m, (nn.Conv3d, nn.Conv2d, nn.Conv1d, nn.Linear))
    }
    names = dict(model.named_parameters())
    assert len(decay) == len(names)  # every trainable parameter is optimised
    decayed = [n for n, p in names.items() if decay[id(p)] > 0]
    assert {id(names[n]) for n in decayed} == kernels
    assert all(decay[k] == 1e-6 for k in kernels)
    # what is left out: BN and LN affine parameters and every bias
    assert all(
        n.endswith(('.bias', '.weight')) and (
            n.endswith('.bias') or id(names[n]) not in kernels)
        for n, p in names.items() if decay[id(p)] == 0)
    assert len(decayed) > 100 and len(names) - len(decayed) > 100
