# Copyright (c) constcl_mm authors. All rights reserved.
"""Matches AVA-Kinetics keyframes to the Kinetics clips on disk.

Kinetics videos disappear from YouTube, so part of the Kinetics keyframes of
AVA-Kinetics usually has no clip. This tool

* lists the clip folders ``<youtube_id>_<start:06d>_<end:06d>`` under the
  frame root (``--clip-list``: the file ``MixedAVAKineticsDataset`` reads
  with ``kinetics_clip_list``, faster than listing a directory of 200k
  folders at every start);
* reports, per csv, how many Kinetics keyframes a clip on disk covers;
* writes the rows of the covered keyframes (``--covered-csv``: a ground
  truth restricted to the clips you have, which
  ``AVAKineticsMetric(eval_keys='processed')`` equals) and the missing
  keyframes (``--missing``);
* with ``--kinetics-csv`` (the Kinetics-700 ``label,youtube_id,time_start,
  time_end,split`` files), writes the clips to download for the missing
  keyframes (``--to-download``).

Usage::

    python tools/data/ava/ava_kinetics_clips.py \\
        data/ava_kinetics/annotations/kinetics_val_v1.0.csv \\
        --frame-root data/ava_kinetics/rawframes \\
        --clip-list data/ava_kinetics/annotations/kinetics_clips.txt \\
        --missing missing_val.txt
"""
import argparse
import csv
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

from constcl_mm.datasets.ava_annotations import (KINETICS, find_clip,
                                                 infer_source, keyframe_key,
                                                 parse_ava_row,
                                                 parse_kinetics_clip_name,
                                                 read_kinetics_clip_index)
from constcl_mm.utils import AnnotationError


def read_kinetics_csv(path: str) -> Dict[str, List[Tuple[int, int]]]:
    """``youtube_id -> [(time_start, time_end)]`` of a Kinetics-700 csv."""
    clips = defaultdict(list)
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        missing = {'youtube_id', 'time_start', 'time_end'} - set(
            reader.fieldnames or ())
        if missing:
            raise AnnotationError(f'{path}: no column(s) {sorted(missing)}')
        for row in reader:
            clips[row['youtube_id']].append(
                (int(float(row['time_start'])), int(float(row['time_end']))))
    return dict(clips)


def match(path: str, index,
          all_kinetics: bool) -> Tuple[List[str], List[Tuple[str, str]], int]:
    """Covered csv lines, missing ``(youtube_id, timestamp)`` keyframes and
    the number of Kinetics keyframes of one csv."""
    covered_lines, missing = [], {}
    keyframes = set()
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            fields = line.strip().split(',')
            video_id, ts, *_ = parse_ava_row(fields, f'{path}:{lineno}')
            source = KINETICS if all_kinetics else infer_source(video_id, ts)
            if source != KINETICS:
                covered_lines.append(line.rstrip('\n'))
                continue
            key = keyframe_key(video_id, ts)
            keyframes.add(key)
            if parse_kinetics_clip_name(video_id) is not None or \
                    find_clip(index.get(video_id, ()), ts) is not None:
                covered_lines.append(line.rstrip('\n'))
            else:
                missing[key] = (video_id, fields[1].strip())
    return covered_lines, sorted(missing.values()), len(keyframes)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Match AVA-Kinetics keyframes to Kinetics clips on disk')
    parser.add_argument('csv', nargs='+', help='AVA-Kinetics csv files')
    parser.add_argument(
        '--frame-root', help='folder of the Kinetics clip frame folders')
    parser.add_argument(
        '--clip-index', help='read the clips from this list instead')
    parser.add_argument(
        '--mixed',
        action='store_true',
        help='the csv files mix AVA and Kinetics rows (default: Kinetics '
        'only)')
    parser.add_argument('--clip-list', help='write the clips found here')
    parser.add_argument(
        '--covered-csv',
        help='write the rows of covered keyframes here '
        '(one csv: give a single input)')
    parser.add_argument('--missing', help='write missing keyframes here')
    parser.add_argument(
        '--kinetics-csv',
        nargs='*',
        default=[],
        help='Kinetics-700 csv files, for --to-download')
    parser.add_argument(
        '--to-download',
        help='write youtube_id,time_start,time_end of the '
        'clips of the missing keyframes here')
    args = parser.parse_args(argv)
    if args.frame_root is None and args.clip_index is None:
        parser.error('give --frame-root or --clip-index')
    if args.covered_csv and len(args.csv) != 1:
        parser.error('--covered-csv needs exactly one input csv')
    if args.to_download and not args.kinetics_csv:
        parser.error('--to-download needs --kinetics-csv')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    index = read_kinetics_clip_index(args.clip_index, args.frame_root)
    num_clips = sum(len(v) for v in index.values())
    print(f'{num_clips} Kinetics clips of {len(index)} YouTube videos')
    if args.clip_list:
        with open(args.clip_list, 'w') as f:
            for clips in index.values():
                for _, _, name in clips:
                    f.write(name + '\n')
    all_missing = []
    for path in args.csv:
        covered, missing, total = match(path, index, not args.mixed)
        print(f'{path}: {total - len(missing)} of {total} Kinetics '
              'keyframes have a clip')
        all_missing += missing
        if args.covered_csv:
            with open(args.covered_csv, 'w') as f:
                f.write('\n'.join(covered) + '\n')
    if args.missing:
        with open(args.missing, 'w') as f:
            f.writelines(f'{v},{t}\n' for v, t in all_missing)
    if args.to_download:
        wanted = read_kinetics_clips_for(all_missing, args.kinetics_csv)
        with open(args.to_download, 'w') as f:
            f.write('youtube_id,time_start,time_end\n')
            f.writelines(f'{v},{s},{e}\n' for v, s, e in wanted)
        print(f'{len(wanted)} Kinetics clips to download for '
              f'{len(all_missing)} missing keyframes')
    return 0


def read_kinetics_clips_for(
        missing: List[Tuple[str, str]],
        kinetics_csvs: List[str]) -> List[Tuple[str, int, int]]:
    """The Kinetics-700 clips containing the missing keyframes."""
    clips: Dict[str, List[Tuple[int, int]]] = defaultdict(list)
    for path in kinetics_csvs:
        for ytid, spans in read_kinetics_csv(path).items():
            clips[ytid] += spans
    wanted = set()
    for ytid, ts in missing:
        found: Optional[tuple] = find_clip([(s, e, '')
                                            for s, e in clips.get(ytid, ())],
                                           parse_ava_row([ytid, ts],
                                                         'missing')[1])
        if found is not None:
            wanted.add((ytid, found[0], found[1]))
    return sorted(wanted)


if __name__ == '__main__':
    sys.exit(main())
