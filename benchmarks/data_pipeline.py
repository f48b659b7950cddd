# Copyright (c) constcl_mm authors. All rights reserved.
"""CPU time per two-view sample: our pipelines, the decode floor, mmaction2.

Every variant produces (or, for the floor, decodes the frames of) the same
kind of sample: two 16x2 clips of one video at 224x224 with clip-consistent
augmentations and random boxes, packed by ``PackConSTCLInputs``:

* **before**: the pretraining pipeline as it was up to 3b4acf6
  (``VideoReaderInit(decord) -> CVRLSampleFrames -> MultiClipDecode ->
  MultiViewRandomResizedCrop -> flip -> boxes -> colour ops on the CPU ->
  pack``), still the default of ``kinetics400_constcl_pretrain.py``;
* **ours, CPU photometric**: the fast decoder (``'pyav_indexed'`` +
  ``MultiClipDecodeResizedCrop``) with the colour ops on the CPU;
* **ours**: the fast path of
  ``constcl_r3d50y_128xb8-16x2x2-200k_kinetics400_fast-loader.py``: the
  fast decoder, the colour ops only drawn (``apply_on='device'``; the data
  preprocessor applies them to the batch on the accelerator);
* **floor**: decoding only the frames the two clips need, into RGB, with
  each reader available here (decord, our indexed PyAV reader with 1 and 2
  threads); the fastest one is the floor;
* **baseline**: two independent mmaction2 single-view pipelines
  (``DecordInit -> SampleFrames(16, 2) -> DecordDecode`` + the same
  augmentations), as if each view were a separate sample.

Each variant runs in its own worker process (like a dataloader worker); the
main process hands all of them the same video and seed, one sample at a
time, in an order that rotates, so that the load of the machine affects all
alike. The figure is **process CPU time** (other jobs share the cores; wall
time is printed too). The "before", "ours" and "floor" variants draw the
same random numbers for the same seed, so they decode the same frames and
crops. Everything is single-threaded (torch, OpenCV, decoders) except the
2-thread floor candidate. The breakdown splits each sample's CPU time into
open (reader, sampling), decode, geometric (RGB conversion of the crop
pixels for ours, crop/resize, flip), photometric, boxes and packing.

Usage::

    python benchmarks/data_pipeline.py [--data-root DIR] [--rounds 2]
"""
import argparse
import glob
import os
import os.path as osp
import sys
import time
from typing import Callable, Dict, List, Tuple

import cv2
import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
VIDEO_EXTS = ('.mp4', '.avi', '.mkv', '.webm', '.mov')
PARTS = ('open', 'decode', 'geometric', 'photometric', 'boxes', 'packing')
VARIANTS = ('before', 'ours_cpu', 'ours', 'floor', 'baseline')
LABELS = dict(
    before='before (decord, CPU colour ops)',
    ours_cpu='ours, CPU colour ops',
    ours='ours (colour ops on the device)',
    floor='floor',
    baseline='baseline (2 mmaction2 single-view)')
FLOOR_READERS = (('decord', 1), ('pyav_indexed', 1), ('pyav_indexed', 2))


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
        '--rounds', type=int, default=2, help='passes over the videos')
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


def colour_ops(view: int = None, apply_on: str = 'cpu') -> List[dict]:
    """The photometric steps (``view`` picks one view's probabilities)."""
    blur = (1.0, 0.1) if view is None else (1.0, 0.1)[view]
    solarize = (0.0, 0.2) if view is None else (0.0, 0.2)[view]
    return [
        dict(
            type='MultiViewColorJitter',
            prob=0.8,
            strength=1.0,
            apply_on=apply_on),
        dict(type='MultiViewGrayscale', prob=0.2, apply_on=apply_on),
        dict(
            type='MultiViewGaussianBlur',
            prob=blur,
            kernel_size=23,
            apply_on=apply_on),
        dict(type='MultiViewSolarize', prob=solarize, apply_on=apply_on),
    ]


def pipeline_steps(name: str, args) -> List[Tuple[str, dict]]:
    """``(part, step config)`` of a variant's pipeline."""
    crop = dict(type='MultiViewRandomResizedCrop', scale=args.crop_size)
    sample = dict(
        type='CVRLSampleFrames',
        clip_len=args.clip_len,
        frame_interval=args.frame_interval)
    if name == 'before':
        head = [('open',
                 dict(type='VideoReaderInit', backend='decord',
                      num_threads=1)), ('open', sample),
                ('decode', dict(type='MultiClipDecode')), ('geometric', crop)]
    else:
        fused = dict(crop, type='MultiClipDecodeResizedCrop')
        head = [('open',
                 dict(
                     type='VideoReaderInit',
                     backend='pyav_indexed',
                     num_threads=1)), ('open', sample), ('geometric', fused)]
    apply_on = 'device' if name == 'ours' else 'cpu'
    return head + [
        ('geometric', dict(type='MultiViewFlip', flip_ratio=0.5)),
        ('boxes',
         dict(type='GenerateRegionBoxes', box_type='random', num_boxes=8)),
    ] + [('photometric', s) for s in colour_ops(None, apply_on)
         ] + [('packing', dict(type='PackConSTCLInputs'))]


class DecodeClock:
    """Adds the CPU time spent inside ``IndexedPyAVReader.frames``."""

    def __init__(self) -> None:
        from constcl_mm.datasets.transforms import IndexedPyAVReader
        self.seconds = 0.0
        frames = IndexedPyAVReader.frames
        clock = self

        def timed(reader, inds):
            gen = frames(reader, inds)
            while True:
                start = time.process_time()
                try:
                    item = next(gen)
                except StopIteration:
                    clock.seconds += time.process_time() - start
                    return
                clock.seconds += time.process_time() - start
                yield item

        IndexedPyAVReader.frames = timed


def build_pipeline(name: str, args) -> Callable[[str], Dict[str, float]]:
    """A function running one sample; returns CPU seconds per part."""
    from mmaction.registry import TRANSFORMS
    steps = [(part, TRANSFORMS.build(cfg))
             for part, cfg in pipeline_steps(name, args)]
    clock = DecodeClock() if name != 'before' else None

    def run(filename: str) -> Dict[str, float]:
        parts = dict.fromkeys(PARTS, 0.0)
        results = dict(filename=filename, label=-1, start_index=0)
        for part, step in steps:
            decode_before = clock.seconds if clock else 0.0
            start = time.process_time()
            results = step(results)
            seconds = time.process_time() - start
            if clock is not None and clock.seconds > decode_before:
                decoding = clock.seconds - decode_before
                parts['decode'] += decoding
                seconds -= decoding
            parts[part] += seconds
        shape = tuple(results['inputs'].shape)
        assert shape == (2, 3, args.clip_len, args.crop_size,
                         args.crop_size), shape
        return parts

    return run


def build_floor(args) -> Callable[[str], Dict[str, float]]:
    """Decodes the two clips' frames into RGB with every candidate reader.

    Returns CPU seconds per reader (the keys ``backend/threads``).
    """
    from constcl_mm.datasets.transforms import CVRLSampleFrames, open_video
    sampler = CVRLSampleFrames(args.clip_len, args.frame_interval)

    def run(filename: str) -> Dict[str, float]:
        state = np.random.get_state()
        out = {}
        for backend, threads in FLOOR_READERS:
            np.random.set_state(state)  # the clips of the other variants
            start = time.process_time()
            reader = open_video(filename, backend, num_threads=threads)
            inds = sampler(dict(total_frames=reader.num_frames))['frame_inds']
            frames = reader.read(np.unique(inds))
            reader.close()
            out[f'{backend}/{threads}'] = time.process_time() - start
            del frames
        return out

    return run


class AsOneView:
    """mmaction2's list of ``T`` frames -> a one-view list of clips."""

    def __call__(self, results: Dict) -> Dict:
        results['imgs'] = [results['imgs']]
        results['clip_starts'] = np.asarray(results['frame_inds'][:1])
        return results


def build_baseline(args) -> Callable[[str], Dict[str, float]]:
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
                dict(type='MultiViewRandomResizedCrop', scale=args.crop_size),
                dict(type='MultiViewFlip', flip_ratio=0.5),
                dict(type='RandomRegionBoxes', num_boxes=8),
            ] + colour_ops(view)))
    pack = PackConSTCLInputs()

    def run(filename: str) -> Dict[str, float]:
        start = time.process_time()
        outs = [
            p(dict(filename=filename, label=-1, start_index=0)) for p in views
        ]
        merged = dict(outs[0])
        for key in ('imgs', 'boxes', 'box_valid', 'clip_starts', 'flip'):
            merged[key] = np.concatenate([o[key] for o in outs])
        pack(merged)
        return dict(total=time.process_time() - start)

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
    """Runs one variant in its own process; times each requested sample."""
    _setup()
    if name == 'floor':
        run = build_floor(args)
    elif name == 'baseline':
        run = build_baseline(args)
    else:
        run = build_pipeline(name, args)
    while True:
        job = conn.recv()
        if job is None:
            break
        video, seed = job
        np.random.seed(seed)
        start, start_cpu = time.perf_counter(), time.process_time()
        parts = run(video)
        conn.send((time.perf_counter() - start,
                   time.process_time() - start_cpu, parts))
    conn.close()


def device_ops_seconds(args) -> float:
    """CPU seconds per sample of the deferred colour ops applied here.

    One batch of 4 samples of the ``ours`` pipeline through
    ``apply_photometric_ops`` on this CPU (1 thread): what the accelerator
    does instead of the loader workers.
    """
    _setup()
    from mmaction.registry import TRANSFORMS

    from constcl_mm.models.data_preprocessors.batch_photometric import \
        apply_photometric_ops
    rng = np.random.RandomState(args.seed)
    clips = torch.from_numpy(
        rng.randint(0, 256, (8, 3, args.clip_len, args.crop_size,
                             args.crop_size)).astype(np.uint8))
    steps = [TRANSFORMS.build(s) for s in colour_ops(None, 'device')]
    ops = []
    np.random.seed(args.seed)
    for _ in range(4):
        results = dict(imgs=np.zeros((2, 1, 1, 1, 3), np.uint8))
        for step in steps:
            results = step(results)
        ops.append(results['photometric_ops'])
    start = time.process_time()
    apply_photometric_ops(clips, ops, 2)
    return (time.process_time() - start) / 4


def _collect(workers, videos, args) -> Tuple[Dict, Dict, Dict, int]:
    wall = dict.fromkeys(VARIANTS, 0.0)
    cpu = dict.fromkeys(VARIANTS, 0.0)
    parts: Dict[str, Dict[str, float]] = {v: {} for v in VARIANTS}
    count = 0
    for r in range(args.rounds):
        for i, video in enumerate(videos):
            seed = args.seed + 1000 * r + i
            shift = (i + r) % len(VARIANTS)
            order = VARIANTS[shift:] + VARIANTS[:shift]
            for name in order:
                conn = workers[name][1]
                conn.send((video, seed))
                seconds, cpu_seconds, sample_parts = conn.recv()
                wall[name] += seconds
                cpu[name] += cpu_seconds
                for key, value in sample_parts.items():
                    parts[name][key] = parts[name].get(key, 0.0) + value
            count += 1
    return wall, cpu, parts, count


def report(args, videos, wall, cpu, parts, count, device_cpu) -> None:
    floor_cpu = {k: v for k, v in parts['floor'].items()}
    best = min(floor_cpu, key=floor_cpu.get)
    rate = {name: count / cpu[name] for name in VARIANTS if name != 'floor'}
    rate['floor'] = count / floor_cpu[best]
    print(f'{len(videos)} videos under {args.data_root}, {args.rounds} '
          f'rounds, {count} two-view samples per variant '
          f'({args.clip_len}x{args.frame_interval} clips at '
          f'{args.crop_size}x{args.crop_size}, 1 thread, one process per '
          'variant); process CPU time')
    print(f'\n{"":40s}{"CPU ms/sample":>15s}{"samples/CPU-s":>15s}'
          f'{"wall /s":>10s}')
    for name in VARIANTS:
        label = LABELS[name]
        if name == 'floor':
            label = f'floor ({best.replace("/", ", ")} thread(s))'
            ms = 1000 * floor_cpu[best] / count
            walls = ''
        else:
            ms = 1000 * cpu[name] / count
            walls = f'{count / wall[name]:10.2f}'
        print(f'{label:40s}{ms:15.1f}{rate[name]:15.2f}{walls}')
    print(f'\nours {rate["ours"]:.2f} /s, floor {rate["floor"]:.2f} /s, '
          f'baseline {rate["baseline"]:.2f} /s, before {rate["before"]:.2f} '
          f'/s (per CPU core)')
    print(f'ours / before {rate["ours"] / rate["before"]:.2f}x, '
          f'ours / floor {rate["ours"] / rate["floor"]:.2f} '
          f'(floor / ours = {rate["floor"] / rate["ours"]:.2f}x), '
          f'ours / baseline {rate["ours"] / rate["baseline"]:.2f}x; '
          f'ours with CPU colour ops {rate["ours_cpu"]:.2f} /s '
          f'({rate["ours_cpu"] / rate["before"]:.2f}x before)')
    print(f'\nbreakdown (CPU ms per sample){"":10s}' + ''.join(f'{p:>12s}'
                                                               for p in PARTS))
    for name in ('before', 'ours_cpu', 'ours'):
        print(f'{LABELS[name]:40s}' +
              ''.join(f'{1000 * parts[name][p] / count:12.1f}' for p in PARTS))
    print('\nfloor candidates (decode the needed frames into RGB), CPU ms '
          'per sample: ' + ', '.join(f'{k.replace("/", " ")} thread(s) '
                                     f'{1000 * v / count:.1f}'
                                     for k, v in floor_cpu.items()))
    print(f'deferred colour ops applied to the batch on this CPU (what the '
          f'accelerator does instead): {1000 * device_cpu:.1f} ms per '
          'sample, 1 thread')


def main() -> None:
    args = parse_args()
    videos = find_videos(args.data_root)
    import multiprocessing as mp
    ctx = mp.get_context('spawn')
    workers = {}
    for name in VARIANTS:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=worker, args=(name, args, child))
        proc.start()
        workers[name] = (proc, parent)
    try:
        for name, (_, conn) in workers.items():  # warm-up: imports, codecs
            conn.send((videos[0], args.seed))
            conn.recv()
        wall, cpu, parts, count = _collect(workers, videos, args)
    finally:
        for proc, conn in workers.values():
            conn.send(None)
            proc.join(timeout=30)
    report(args, videos, wall, cpu, parts, count, device_ops_seconds(args))


if __name__ == '__main__':
    main()
