# Copyright (c) constcl_mm authors. All rights reserved.
"""Skipped videos are totalled over workers and processes (issue 13)."""
import os.path as osp
import re
import socket
import subprocess

import numpy as np
from helpers.reliability import REPO_ROOT, run_env

RUNTIME = osp.join(REPO_ROOT, 'configs', '_base_', 'default_runtime.py')

CONFIG = '''
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
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='TwoViewVideoDataset', ann_file={ann!r},
        max_consecutive_failures=1000,
        pipeline=[
            dict(type='RecordDrawn'),
            dict(type='VideoReaderInit'),
            dict(type='CVRLSampleFrames', clip_len=4, frame_interval=1),
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
'''


def write_video(path: str, frames: int = 24, seed: int = 0) -> None:
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


def plant(folder) -> dict:
    """8 good videos and one file of each bad kind (path -> kind)."""
    good = []
    for i in range(8):
        path = str(folder / f'good_{i}.mp4')
        write_video(path, seed=i)
        good.append(path)
    bad = {}
    (folder / 'corrupt.mp4').write_bytes(
        np.random.default_rng(0).integers(0, 256, 20_000,
                                          dtype=np.uint8).tobytes())
    bad[str(folder / 'corrupt.mp4')] = 'unreadable'
    data = open(good[0], 'rb').read()
    (folder / 'truncated.mp4').write_bytes(data[:len(data) // 3])
    (folder / 'empty.mp4').write_bytes(b'')
    bad[str(folder / 'empty.mp4')] = 'empty'
    bad[str(folder / 'missing.mp4')] = 'missing'
    (folder / 'notes.mp4').write_text('not a video\n' * 40)
    return good, bad


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_workers_two_processes_total_every_skip(tmp_path):
    good, bad = plant(tmp_path)
    entries = good + list(bad) + [
        str(tmp_path / 'truncated.mp4'),
        str(tmp_path / 'notes.mp4')
    ]
    ann = tmp_path / 'videos.txt'
    ann.write_text(''.join(f'{p}\n' for p in entries))
    # 12 entries, 2 processes x batch 2: one epoch is 3 iterations, so
    # every draw is consumed (no prefetched batch thrown away at the end)
    config = tmp_path / 'cfg.py'
    config.write_text(CONFIG.format(runtime=RUNTIME, ann=str(ann), iters=3))
    drawn = tmp_path / 'drawn'
    drawn.mkdir()
    env = run_env(PORT=str(free_port()), DRAWN_DIR=str(drawn))
    proc = subprocess.run([
        'bash',
        osp.join(REPO_ROOT, 'tools', 'dist_train.sh'),
        str(config), '2', '--work-dir',
        str(tmp_path / 'work')
    ],
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    # ground truth: every bad file any worker of any process opened
    opened = [
        line for f in drawn.iterdir() for line in f.read_text().splitlines()
    ]
    assert len(list(drawn.iterdir())) >= 4, 'two workers in each process'
    bad_names = {
        str(tmp_path / n)
        for n in ('corrupt.mp4', 'truncated.mp4', 'empty.mp4', 'missing.mp4',
                  'notes.mp4')
    }
    bad_opened = [p for p in opened if p in bad_names]
    assert bad_opened, 'the planted files were never drawn'

    log = next((tmp_path / 'work').glob('*/*.log')).read_text()
    finals = re.findall(
        r'Unreadable videos skipped in this run \(all processes and '
        r'dataloader workers\): (\d+) \(([^)]*)\)', log)
    assert len(finals) == 1, log[-3000:]
    total, kinds = int(finals[0][0]), dict(
        (k, int(v))
        for k, v in (kv.rsplit(' ', 1) for kv in finals[0][1].split(', ')))
    assert total == len(bad_opened) == sum(kinds.values())
    assert kinds['missing'] == bad_opened.count(str(tmp_path / 'missing.mp4'))
    assert kinds['empty'] == bad_opened.count(str(tmp_path / 'empty.mp4'))
    # every interval reports the running total too
    assert total > 0 and re.search(r'Unreadable videos skipped so far', log)
    # skips of rank 1 reach the log of rank 0
    listed = re.findall(r'newly skipped: (.*)', log)
    named = sum(line.count('.mp4 (') for line in listed)
    assert named == total
