# Copyright (c) constcl_mm authors. All rights reserved.
"""Subprocess helpers for the fault-injection tests (no ../shared data)."""
import json
import os
import os.path as osp
import subprocess
import sys

from conftest import REPO_ROOT

FIXTURES = osp.join(REPO_ROOT, 'tests', 'fixtures')
if FIXTURES not in sys.path:  # toy_modules for in-process runners
    sys.path.insert(0, FIXTURES)

TOY_CFG = osp.join(REPO_ROOT, 'tests', 'fixtures', 'configs', 'toy_dist.py')
TRAIN = osp.join(REPO_ROOT, 'tools', 'train.py')


def run_env(**extra) -> dict:
    env = dict(os.environ)
    env['PYTHONPATH'] = FIXTURES + \
        os.pathsep + env.get('PYTHONPATH', '')
    env['OMP_NUM_THREADS'] = '1'
    env.update(extra)
    return env


def run_python(args, timeout=600, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=run_env(**env),
                          capture_output=True, text=True, timeout=timeout)


def logged_losses(work_dir) -> dict:
    """{iter: loss} from every run's LocalVisBackend scalars in work_dir."""
    rows = {}
    for path in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if 'loss' in row:
                rows[row['step']] = row['loss']
    return rows
