# Copyright (c) constcl_mm authors. All rights reserved.
"""Subprocess helpers for the fault-injection tests (no ../shared data)."""
import json
import os
import os.path as osp
import re
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
from helpers.paths import REPO_ROOT, TESTS_DIR, TOY_CFG  # noqa: F401

TRAIN = osp.join(REPO_ROOT, 'tools', 'train.py')
RUNTIME = osp.join(REPO_ROOT, 'configs', '_base_', 'default_runtime.py')

#: A tiny ConST-CL run over a video list whose files RecordDrawn logs.
SKIP_CONFIG = '''
_base_ = [{runtime!r}]
custom_imports = dict(
    imports=['constcl_mm', 'helpers.reliability_modules'],
    allow_failed_imports=False)
model = dict(
    type='ConSTCL',
    backbone=dict(type='ResNet3dY', depth=18, base_channels=4,
                  branches=('global', ), out_indices=(3, )),
    global_head=dict(type='GlobalContrastiveHead', in_channels=32,
                     hid_channels=8, out_channels=4))
train_dataloader = dict(
    batch_size=2, num_workers=2, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle={shuffle}),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='TwoViewVideoDataset', ann_file={ann!r},
        max_consecutive_failures=1000,
        pipeline=[
            dict(type='RecordDrawn'),
            dict(type='VideoReaderInit'),
            dict(type='CVRLSampleFrames', clip_len=4,
                 frame_interval={interval}),
            dict(type='MultiClipDecode'),
            dict(type='MultiViewRandomResizedCrop', scale=32),
            dict(type='GenerateRegionBoxes', box_type='random'),
            dict(type='PackConSTCLInputs')]))
train_cfg = dict(type='IterBasedTrainLoop', max_iters={iters},
                 val_interval=1000)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01))
param_scheduler = []
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1000, save_best=None))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
{extra}
'''


def write_video(path: str, frames: int = 24, seed: int = 0) -> None:
    """A 64x64 mpeg4 mp4 of random frames."""
    import av
    rng = np.random.default_rng(seed)
    with av.open(path, 'w') as out:
        stream = out.add_stream('mpeg4', rate=25)
        stream.width = stream.height = 64
        stream.pix_fmt = 'yuv420p'
        for _ in range(frames):
            img = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img)):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def skip_config(ann: str,
                iters: int,
                shuffle: bool = True,
                interval: int = 1,
                extra: str = '') -> str:
    """The text of :data:`SKIP_CONFIG`."""
    return SKIP_CONFIG.format(
        runtime=RUNTIME,
        ann=ann,
        iters=iters,
        shuffle=shuffle,
        interval=interval,
        extra=extra)


def final_bad_video_totals(log: str) -> list:
    """``[(total, {kind: n})]`` of every end-of-run line of the log."""
    finals = re.findall(
        r'Unreadable videos skipped in this run \(all processes and '
        r'dataloader workers\): (\d+) \(([^)]*)\)', log)
    return [(int(total), {
        k: int(v)
        for k, v in (kv.rsplit(' ', 1) for kv in kinds.split(', '))
    }) for total, kinds in finals]


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
