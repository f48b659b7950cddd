# Copyright (c) constcl_mm authors. All rights reserved.
"""End-to-end pretraining runs on real clips through tools/*.py."""
import json
import math
import os.path as osp
import subprocess
import sys

import pytest
from helpers.paths import REPO_ROOT, data_path, package_clip
from test_launchers import free_port, run_env

DEMO = osp.join(REPO_ROOT, 'configs', 'constcl',
                'constcl_r3d50y_1xb4-16x2x2-100it_demo.py')


@pytest.fixture(scope='module')
def video_list(tmp_path_factory):
    videos = [
        data_path('mmaction2', 'demo', 'demo.mp4'),
        data_path('mmaction2', 'tests', 'data', 'test.mp4'),
        package_clip('bikes.mp4'),
        data_path('mmaction2', 'tests', 'data', 'test.avi')
    ]
    path = tmp_path_factory.mktemp('lists') / 'videos.txt'
    path.write_text(''.join(f'{v}\n' for v in videos))
    return str(path)


def tiny(video_list, iters, extra=()):
    """--cfg-options for a few-second CPU run of the demo config."""
    return [
        '--cfg-options', f'train_dataloader.dataset.ann_file={video_list}',
        'train_dataloader.batch_size=2',
        'train_dataloader.dataset.pipeline.3.scale=32',
        'train_dataloader.dataset.pipeline.8.kernel_size=3',
        f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1', 'log_processor.window_size=1',
        *extra
    ]


def train(work_dir, args, launcher=None, nproc=1):
    if launcher == 'dist':
        cmd = [
            'bash',
            osp.join(REPO_ROOT, 'tools', 'dist_train.sh'), DEMO,
            str(nproc)
        ]
        env = run_env(PORT=str(free_port()))
    else:
        cmd = [sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'), DEMO]
        env = run_env()
    proc = subprocess.run(
        cmd + ['--work-dir', str(work_dir), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc


def logged(work_dir):
    """{iter: scalars} from the LocalVisBackend json logs (all runs)."""
    rows = {}
    for path in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if 'loss' in row:
                rows[row['step']] = row
    return rows


def test_resume_continues_like_the_uninterrupted_run(tmp_path, video_list):
    # An interrupted run is the same config stopped early: its schedule is
    # fitted to the same loop (LoopScheduleHook), so resuming its iter_2
    # checkpoint must replay iterations 3 and 4 exactly.
    full, part = tmp_path / 'full', tmp_path / 'part'
    common = ['--seed', '0', '--deterministic']
    train(full, common + tiny(video_list, 4))
    assert (full / 'iter_2.pth').exists()
    train(
        part,
        common + ['--resume', str(full / 'iter_2.pth')] + tiny(video_list, 4))
    a, b = logged(full), logged(part)
    assert sorted(a) == [1, 2, 3, 4] and sorted(b) == [3, 4]
    for step in (3, 4):
        for key in ('loss', 'loss_global', 'loss_local', 'lr'):
            assert b[step][key] == pytest.approx(
                a[step][key], rel=1e-6, abs=1e-7), (step, key)


def test_dist_train_two_cpu_processes(tmp_path, video_list):
    work_dir = tmp_path / 'dist'
    train(work_dir, tiny(video_list, 2), launcher='dist', nproc=2)
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # the world size
    assert (work_dir / 'iter_2.pth').exists()
    rows = logged(work_dir)
    assert all(math.isfinite(r['loss']) for r in rows.values())


def test_amp_bf16_run_has_no_nan(tmp_path, video_list):
    work_dir = tmp_path / 'amp'
    proc = train(work_dir, ['--amp'] + tiny(video_list, 2))
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'AutocastOptimWrapper' in log
    rows = logged(work_dir)
    assert len(rows) == 2
    for row in rows.values():
        for key in ('loss_global', 'loss_local', 'global_acc'):
            assert math.isfinite(row[key]), (key, proc.stdout[-500:])
