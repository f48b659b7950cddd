# Copyright (c) constcl_mm authors. All rights reserved.
"""Subprocess helpers for the fault-injection tests (no ../shared data)."""
import json
import os
import os.path as osp
import subprocess
import sys
from types import SimpleNamespace

from helpers.paths import REPO_ROOT, TESTS_DIR, TOY_CFG  # noqa: F401

TRAIN = osp.join(REPO_ROOT, 'tools', 'train.py')


def run_env(**extra) -> dict:
    env = dict(os.environ)
    env['PYTHONPATH'] = TESTS_DIR + \
        os.pathsep + env.get('PYTHONPATH', '')
    env['OMP_NUM_THREADS'] = '1'
    env.update(extra)
    return env


def run_python(args, timeout=600, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args],
                          env=run_env(**env),
                          capture_output=True,
                          text=True,
                          timeout=timeout)


def logged_losses(work_dir) -> dict:
    """{iter: loss} from every run's LocalVisBackend scalars in work_dir."""
    rows = {}
    for path in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if 'loss' in row:
                rows[row['step']] = row['loss']
    return rows


def batch_check_worker(rank: int, world_size: int, port: int, names,
                       out_dir: str) -> None:
    """Runs ConSTCL.check_global_batch on this rank's ``names[rank]``."""
    import torch.distributed as dist
    from mmengine.structures import BaseDataElement

    import constcl_mm  # noqa: F401
    from constcl_mm.models.selfsup.constcl import ConSTCL
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world_size)
    samples = [BaseDataElement(metainfo=dict(filename=n)) for n in names[rank]]
    try:
        holder = SimpleNamespace(_video_ids=ConSTCL._video_ids)
        ConSTCL.check_global_batch(holder, 2 * len(samples), samples)
        result = 'ok'
    except ValueError as e:
        result = str(e)
    with open(osp.join(out_dir, f'rank{rank}.txt'), 'w') as f:
        f.write(result)
    dist.destroy_process_group()
