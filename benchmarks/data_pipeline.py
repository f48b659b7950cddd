# Copyright (c) constcl_mm authors. All rights reserved.
"""Two-view samples per second: decode-once pipeline vs two mmaction2 ones.

Both sides produce the same packed ConST-CL sample (two 16x2 clips of one
video at 224x224 with the same clip-consistent augmentations and random
boxes, packed by ``PackConSTCLInputs``):

* **ours**: ``VideoReaderInit -> CVRLSampleFrames -> MultiClipDecode`` opens
  and decodes each video once for both clips;
* **baseline**: two independent mmaction2 single-view pipelines
  ``DecordInit -> SampleFrames(16, 2) -> DecordDecode`` followed by the same
  augmentation transforms (view 1 / view 2 settings), as if each view were
  a separate sample.

Each pipeline runs in its own worker process (like a dataloader worker, so
neither inherits the other's allocator and cache state); the main process
hands both the same videos, one sample at a time, alternating which goes
first, so that machine load affects both alike. Wall-clock and CPU time
(which is less sensitive to other jobs on the machine) are both reported.
Everything is single-threaded (torch, OpenCV, decord). The default run (all
videos of the data root, 3 rounds) takes well under two minutes.

Usage::

    python benchmarks/data_pipeline.py [--data-root DIR] [--rounds 3]
"""
import argparse
import glob
import os
import os.path as osp
import sys
import time
from typing import Callable, Dict, List

import cv2
import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
VIDEO_EXTS = ('.mp4', '.avi', '.mkv', '.webm', '.mov')


def default_data_root() -> str:
    shared = os.environ.get('CONSTCL_SHARED',
                            osp.join(osp.dirname(REPO), 'shared'))
    return osp.join(shared, 'data')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--data-root',
        default=default_data_root(),
        help='folder searched recursively for videos (default: '
        '$CONSTCL_SHARED/data or ../shared/data)')
    parser.add_argument(
        '--rounds', type=int, default=3, help='passes over the videos')
    parser.add_argument('--clip-len', type=int, default=16)
    parser.add_argument('--frame-interval', type=int, default=2)
    parser.add_argument('--crop-size', type=int, default=224)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def find_videos(root: str) -> List[str]:
    if not osp.isdir(root):
        sys.exit(f'data root {root} does not exist (use --data-root or '
                 'CONSTCL_SHARED)')
    videos = sorted(
        p for p in glob.glob(osp.join(root, '**', '*'), recursive=True)
        if p.lower().endswith(VIDEO_EXTS))
    if not videos:
        sys.exit(f'no video ({", ".join(VIDEO_EXTS)}) under {root}')
    return videos


def augmentations(view: int, crop_size: int) -> List[dict]:
    """The per-view augmentation configs (view 0 = always blurred)."""
    blur = (1.0, 0.1)[view]
    solarize = (0.0, 0.2)[view]
    return [
        dict(type='MultiViewRandomResizedCrop', scale=crop_size),
        dict(type='MultiViewFlip', flip_ratio=0.5),
        dict(type='RandomRegionBoxes', num_boxes=8),
        dict(type='MultiViewColorJitter', prob=0.8, strength=1.0),
        dict(type='MultiViewGrayscale', prob=0.2),
        dict(type='MultiViewGaussianBlur', prob=blur, kernel_size=23),
        dict(type='MultiViewSolarize', prob=solarize),
    ]


class AsOneView:
    """mmaction2's list of ``T`` frames -> a one-view list of clips.

    No copy: the multi-view transforms read a list of clips, each a list of
    frames (see ``constcl_mm.datasets.transforms.view_utils``).
    """

    def __call__(self, results: Dict) -> Dict:
        results['imgs'] = [results['imgs']]
        results['clip_starts'] = np.asarray(results['frame_inds'][:1])
        return results


def build_ours(args) -> Callable[[str], dict]:
    from mmengine.dataset import Compose
    pipeline = Compose([
        dict(type='VideoReaderInit', backend='decord', num_threads=1),
        dict(
            type='CVRLSampleFrames',
            clip_len=args.clip_len,
            frame_interval=args.frame_interval),
        dict(type='MultiClipDecode'),
        dict(type='MultiViewRandomResizedCrop', scale=args.crop_size),
        dict(type='MultiViewFlip', flip_ratio=0.5),
        dict(type='GenerateRegionBoxes', box_type='random', num_boxes=8),
        dict(type='MultiViewColorJitter', prob=0.8, strength=1.0),
        dict(type='MultiViewGrayscale', prob=0.2),
        dict(type='MultiViewGaussianBlur', prob=(1.0, 0.1), kernel_size=23),
        dict(type='MultiViewSolarize', prob=(0.0, 0.2)),
        dict(type='PackConSTCLInputs'),
    ])

    def run(filename: str) -> dict:
        return pipeline(dict(filename=filename, label=-1, start_index=0))

    return run


def build_baseline(args) -> Callable[[str], dict]:
    from mmengine.dataset import Compose

    from constcl_mm.datasets.transforms import PackConSTCLInputs
    views = []
    for view in range(2):
        views.append(
            Compose([
                dict(type='DecordInit', num_threads=1),
                dict(
                    type='SampleFrames',
                    clip_len=args.clip_len,
                    frame_interval=args.frame_interval,
                    num_clips=1),
                dict(type='DecordDecode'),
                AsOneView(),
            ] + augmentations(view, args.crop_size)))
    pack = PackConSTCLInputs()

    def run(filename: str) -> dict:
        outs = [
            p(dict(filename=filename, label=-1, start_index=0)) for p in views
        ]
        merged = dict(outs[0])
        for key in ('imgs', 'boxes', 'box_valid', 'clip_starts', 'flip'):
            merged[key] = np.concatenate([o[key] for o in outs])
        return pack(merged)

    return run


def _setup() -> None:
    """Single-threaded libraries and the registered transforms."""
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    from mmengine.registry import DefaultScope

    import constcl_mm  # noqa: F401 - registers the transforms
    if DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance('benchmark', scope_name='mmaction')


def worker(name: str, args: argparse.Namespace, conn) -> None:
    """Runs one pipeline in its own process; times each requested video.

    Each pipeline lives in a separate process, like a dataloader worker,
    so that neither inherits the other's allocator and cache state.
    """
    _setup()
    run = (build_ours if name == 'ours' else build_baseline)(args)
    np.random.seed(args.seed)
    while True:
        video = conn.recv()
        if video is None:
            break
        start, start_cpu = time.perf_counter(), time.process_time()
        out = run(video)
        conn.send(
            (time.perf_counter() - start, time.process_time() - start_cpu,
             tuple(out['inputs'].shape)))
    conn.close()


def main() -> None:
    args = parse_args()
    videos = find_videos(args.data_root)
    import multiprocessing as mp
    ctx = mp.get_context('spawn')
    workers = {}
    for name in ('ours', 'baseline'):
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=worker, args=(name, args, child))
        proc.start()
        workers[name] = (proc, parent)
    expected = (2, 3, args.clip_len, args.crop_size, args.crop_size)
    try:
        for name, (_, conn) in workers.items():  # warm-up: imports, codecs
            conn.send(videos[0])
            shape = conn.recv()[2]
            assert shape == expected, (name, shape)
        wall = dict(ours=0.0, baseline=0.0)
        cpu = dict(ours=0.0, baseline=0.0)
        count = 0
        for r in range(args.rounds):
            for i, video in enumerate(videos):
                order = (('ours', 'baseline') if (i + r) % 2 == 0 else
                         ('baseline', 'ours'))
                for name in order:  # one at a time, alternating
                    conn = workers[name][1]
                    conn.send(video)
                    seconds, cpu_seconds, _ = conn.recv()
                    wall[name] += seconds
                    cpu[name] += cpu_seconds
                count += 1
    finally:
        for proc, conn in workers.values():
            conn.send(None)
            proc.join(timeout=30)
    print(f'{len(videos)} videos under {args.data_root}, {args.rounds} '
          f'rounds, {count} two-view samples per pipeline '
          f'({args.clip_len}x{args.frame_interval} clips at '
          f'{args.crop_size}x{args.crop_size}, 1 thread, one process per '
          'pipeline)')
    print(f'{"":38s}{"wall clock":>14s}{"CPU time":>14s}')
    for name, label in (('ours', 'ours (decode once, both clips)'),
                        ('baseline', 'baseline (2 mmaction2 single-view)')):
        print(f'{label:38s}{count / wall[name]:9.2f} /s   '
              f'{count / cpu[name]:9.2f} /s')
    print(f'{"speed-up ours / baseline":38s}'
          f'{wall["baseline"] / wall["ours"]:9.2f} x    '
          f'{cpu["baseline"] / cpu["ours"]:9.2f} x')


if __name__ == '__main__':
    main()
