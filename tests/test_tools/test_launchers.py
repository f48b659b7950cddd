# Copyright (c) constcl_mm authors. All rights reserved.
"""tools/dist_train.sh and tools/train.py on the CPU (gloo)."""
import os
import os.path as osp
import socket
import subprocess
import sys

from helpers.paths import REPO_ROOT, TESTS_DIR, TOY_CFG


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_env(**extra) -> dict:
    env = dict(os.environ)
    env['PYTHONPATH'] = TESTS_DIR + \
        os.pathsep + env.get('PYTHONPATH', '')
    env['OMP_NUM_THREADS'] = '1'
    env['PYTHON'] = sys.executable
    env.update(extra)
    return env


def test_dist_train_two_cpu_processes(tmp_path):
    work_dir = tmp_path / 'dist'
    proc = subprocess.run([
        'bash',
        osp.join(REPO_ROOT, 'tools', 'dist_train.sh'), TOY_CFG, '2',
        '--work-dir',
        str(work_dir)
    ],
                          env=run_env(PORT=str(free_port())),
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for rank in (0, 1):
        marker = work_dir / f'rank_{rank}_of_2.done'
        assert marker.exists(), f'rank {rank} did not finish'
        assert marker.read_text().strip() == '4'
    assert (work_dir / 'iter_4.pth').exists()
    logs = list(work_dir.glob('*/*.log'))
    assert logs and 'gloo' in logs[0].read_text()


def test_train_py_cli_overrides(tmp_path):
    work_dir = tmp_path / 'single'
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'train.py'), TOY_CFG, '--work-dir',
        str(work_dir), '--seed', '3', '--deterministic', '--cfg-options',
        'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=1'
    ],
                          env=run_env(),
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (work_dir / 'iter_2.pth').exists()
    assert not (work_dir / 'iter_3.pth').exists()
    assert (work_dir / 'rank_0_of_1.done').exists()
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'seed: 3' in log.lower() or "'seed': 3" in log or 'seed=3' in log
    assert 'deterministic' in log.lower()
