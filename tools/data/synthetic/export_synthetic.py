# Copyright (c) constcl_mm authors. All rights reserved.
"""Exports videos of the synthetic world as mp4 + OTB folders.

Writes videos ``FIRST .. FIRST + N - 1`` of world ``SEED`` in the layouts the
real datasets read (``constcl_mm/datasets/synthetic_export.py``)::

    python tools/data/synthetic/export_synthetic.py OUT --seed 1 \
        --first-index 0 --num-videos 300 [--layouts videos otb] \
        [--otb-frame-interval 2] [--otb-max-frames N] [--codec libx264]

    OUT/videos/s1_000000.mp4 ...   OUT/videos.txt  ("s1_000000.mp4 3")
    OUT/otb/s1_000000/img/0001.jpg ... groundtruth_rect.txt
    OUT/otb/otb_infos.txt          OUT/export.json
    OUT/got10k/train/s1_000000/00000001.jpg ... groundtruth.txt, list.txt
                                   (--layouts got10k: SiamFC training pairs)
"""
import argparse
import sys
import time
from typing import List, Optional

from constcl_mm.datasets.synthetic_export import LAYOUTS, export_world


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir', help='output folder')
    parser.add_argument('--seed', type=int, default=1, help='world seed')
    parser.add_argument(
        '--first-index', type=int, default=0, help='index of the first video')
    parser.add_argument('--num-videos', type=int, default=100)
    parser.add_argument(
        '--layouts', nargs='+', choices=LAYOUTS, default=['videos', 'otb'])
    parser.add_argument(
        '--num-frames',
        type=int,
        default=64,
        help='frames per video (world setting)')
    parser.add_argument(
        '--frame-size',
        type=int,
        nargs=2,
        default=(96, 96),
        metavar=('H', 'W'),
        help='world frame size')
    parser.add_argument(
        '--codec', choices=('libx264', 'mpeg4'), default='libx264')
    parser.add_argument(
        '--quality',
        type=int,
        default=10,
        help='libx264 CRF or mpeg4 qscale (lower is better)')
    parser.add_argument(
        '--otb-min-visible',
        type=float,
        default=0.5,
        help='hero visibility needed on frame 1')
    parser.add_argument(
        '--otb-frame-interval',
        type=int,
        default=2,
        help='keep every k-th video frame in a sequence (default 2: the '
        'pretraining clips\' frame interval)')
    parser.add_argument('--otb-min-frames', type=int, default=16)
    parser.add_argument('--otb-max-frames', type=int, default=None)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    start = time.time()
    summary = export_world(
        dict(
            seed=args.seed,
            num_frames=args.num_frames,
            frame_size=tuple(args.frame_size)),
        args.out_dir,
        first_index=args.first_index,
        num_videos=args.num_videos,
        layouts=args.layouts,
        codec=args.codec,
        quality=args.quality,
        min_visible=args.otb_min_visible,
        frame_interval=args.otb_frame_interval,
        min_frames=args.otb_min_frames,
        max_frames=args.otb_max_frames)
    if 'videos' in args.layouts:
        print(f"{len(summary['videos'])} videos -> {summary['video_list']}")
    if 'got10k' in args.layouts:
        print(f"{len(summary['videos'])} GOT-10k sequences -> "
              f"{summary['got10k_list']}")
    if 'otb' in args.layouts:
        print(f"{len(summary['sequences'])} OTB sequences -> "
              f"{summary['otb_info']}; {len(summary['skipped'])} skipped")
        for s in summary['skipped']:
            print(f"  skipped {s['name']}: {s['reason']}")
    print(f'{time.time() - start:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
