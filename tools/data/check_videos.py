# Copyright (c) constcl_mm authors. All rights reserved.
"""Scans a video (or rawframe) list and writes a list of readable entries.

Every entry is opened with the training readers
(``constcl_mm.datasets.transforms.video_readers``) and frames are decoded:
by default the first, middle and last frame (this catches missing, empty,
non-video, corrupt and truncated files, since the last frame lies beyond a
cut), or all of them with ``--full``. Unreadable entries are reported with
the failure kind and reason; the readable lines are written unchanged to the
clean list.

Example::

    python tools/data/check_videos.py \
        data/kinetics400/kinetics400_train_list_videos.txt \
        --data-prefix data/kinetics400/videos_train --nproc 8
    # -> data/kinetics400/kinetics400_train_list_videos_clean.txt
"""
import argparse
import os.path as osp
import sys
from collections import Counter
from multiprocessing import Pool
from typing import List, Optional, Tuple

import numpy as np
from mmengine.utils import ProgressBar

from constcl_mm.datasets.transforms.video_readers import (RawFrameReader,
                                                          VideoDecodeError,
                                                          open_video)
from constcl_mm.datasets.two_view_rawframe_dataset import parse_rawframe_list
from constcl_mm.datasets.two_view_video_dataset import parse_video_list
from constcl_mm.utils.text_files import read_lines

Job = Tuple[str, Optional[int]]  # (path, total_frames for rawframes)
Result = Optional[Tuple[str, str]]  # None or (kind, reason)


def probe_indices(num_frames: int, full: bool) -> List[np.ndarray]:
    """Frame positions to decode, in chunks of at most 64."""
    if full:
        inds = np.arange(num_frames)
    else:
        inds = np.unique([0, num_frames // 2, num_frames - 1])
    return [inds[i:i + 64] for i in range(0, len(inds), 64)]


def check_one(job: Job, backend: str, full: bool, rawframes: bool,
              filename_tmpl: str, start_index: int) -> Result:
    """Opens and decodes one entry; returns the failure or None."""
    path, total = job
    try:
        if rawframes:
            reader = RawFrameReader(path, filename_tmpl, start_index, total)
        else:
            reader = open_video(path, backend)
        with reader:
            for chunk in probe_indices(reader.num_frames, full):
                reader.read(chunk)
    except VideoDecodeError as e:
        return e.kind, e.reason
    return None


def _worker(args) -> Result:
    return check_one(*args)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='report unreadable videos and write a clean list')
    parser.add_argument(
        'list',
        help='video list (`path [label]`) or, with '
        '--rawframes, rawframe list')
    parser.add_argument(
        '--data-prefix',
        default='',
        help='folder the list paths are relative to')
    parser.add_argument(
        '--out', help='clean list (default: '
        '<list>_clean.txt)')
    parser.add_argument('--bad', help='also write the unreadable lines here')
    parser.add_argument(
        '--backend', default='decord', choices=['decord', 'pyav', 'opencv'])
    parser.add_argument(
        '--full', action='store_true', help='decode every frame (slow)')
    parser.add_argument(
        '--rawframes',
        action='store_true',
        help='the list is `frame_dir [total_frames [label]]`')
    parser.add_argument('--filename-tmpl', default='img_{:05}.jpg')
    parser.add_argument('--start-index', type=int, default=1)
    parser.add_argument(
        '--nproc', type=int, default=1, help='parallel worker processes')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.rawframes:
        entries = [(d, t) for d, t, _ in parse_rawframe_list(args.list)]
    else:
        entries = [(p, None) for p, _ in parse_video_list(args.list)]
    # The original non-blank, non-comment lines, in the same order.
    lines = [
        line for line in read_lines(args.list)
        if line.strip() and not line.strip().startswith('#')
    ]
    assert len(lines) == len(entries)
    jobs = [((osp.join(args.data_prefix, p) if args.data_prefix else p,
              t), args.backend, args.full, args.rawframes, args.filename_tmpl,
             args.start_index) for p, t in entries]

    results: List[Result] = []
    bar = ProgressBar(len(jobs))
    if args.nproc > 1:
        with Pool(args.nproc) as pool:
            for res in pool.imap(_worker, jobs, chunksize=4):
                results.append(res)
                bar.update()
    else:
        for job in jobs:
            results.append(_worker(job))
            bar.update()
    print()

    kinds = Counter(r[0] for r in results if r is not None)
    for (job, *_), res in zip(jobs, results):
        if res is not None:
            print(f'UNREADABLE {job[0]} ({res[0]}: {res[1]})')
    out = args.out or osp.splitext(args.list)[0] + '_clean.txt'
    with open(out, 'w') as f:
        f.writelines(line.strip() + '\n' for line, res in zip(lines, results)
                     if res is None)
    if args.bad:
        with open(args.bad, 'w') as f:
            f.writelines(line.strip() + '\n'
                         for line, res in zip(lines, results)
                         if res is not None)
    bad = sum(kinds.values())
    summary = ', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))
    print(f'{len(jobs)} entries checked: {len(jobs) - bad} readable, {bad} '
          f'unreadable' + (f' ({summary})' if bad else '') +
          f'. Clean list: {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
