# Copyright (c) constcl_mm authors. All rights reserved.
"""Kinetics csv annotations -> mmaction2 video list files.

Reads the official csv files (header ``label,youtube_id,time_start,time_end,
split[,is_cc]``) and writes ``{dataset}_{subset}_list_videos.txt`` with lines
``<class_dir>/<youtube_id>_<start:06d>_<end:06d>.mp4 <label>`` (mmaction2's
download layout: class folders with spaces replaced by underscores; use
``--flat`` for videos stored without class folders). Labels are 0-based in
the order of ``--label-map`` (one class per line, e.g. mmaction2's
``label_map_k400.txt``) or, without one, alphabetical over the train csv.
Kinetics videos disappear from YouTube: with ``--video-dir`` the missing
ones are left out, counted and listed in ``*_missing.txt``. Layout
(docs/recognition.md)::

    data/kinetics400/
      annotations/   kinetics_train.csv kinetics_val.csv
      videos_train/  abseiling/0347ZoDXyP0_000095_000105.mp4 ...
      videos_val/    abseiling/0wR5jVB-WPk_000417_000427.mp4 ...

Usage::

    python tools/data/kinetics/kinetics_lists.py \
        --csv train data/kinetics400/annotations/kinetics_train.csv \
        --csv val data/kinetics400/annotations/kinetics_val.csv \
        --video-dir train data/kinetics400/videos_train \
        --video-dir val data/kinetics400/videos_val \
        --out-dir data/kinetics400 --dataset kinetics400
"""
import argparse
import csv
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from constcl_mm.utils import AnnotationError
from constcl_mm.utils.list_files import (Entry, add_video_check_arguments,
                                         summary_lines, write_present_list)

REQUIRED = ('label', 'youtube_id', 'time_start', 'time_end')


def read_label_map(path: str) -> List[str]:
    """Class names, one per line (blank lines ignored)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist')
    with open(path, encoding='utf-8-sig') as f:
        classes = [line.strip() for line in f if line.strip()]
    dup = sorted({c for c in classes if classes.count(c) > 1})
    if dup:
        raise AnnotationError(f'{path}: duplicate classes {dup}')
    return classes


def read_csv(path: str) -> List[Tuple[int, Dict[str, str]]]:
    """Rows with their line numbers; checks the header."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist')
    with open(path, encoding='utf-8-sig', newline='') as f:
        reader = csv.DictReader(f)
        header = [h.strip() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        absent = [c for c in REQUIRED if c not in header]
        if absent:
            hint = (' (a csv without labels, like the original test set, '
                    'cannot be turned into a labelled list)'
                    if absent == ['label'] else '')
            raise AnnotationError(
                f'{path}: header {header} lacks {absent}{hint}')
        return [(reader.line_num, row) for row in reader]


def _seconds(value: str, where: str, field: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise AnnotationError(
            f'{where}: {field} {value!r} is not a number') from None
    if number < 0 or number != int(number):
        raise AnnotationError(
            f'{where}: {field} {value!r} is not a whole number of seconds')
    return int(number)


def video_name(row: Dict[str, str],
               where: str,
               class_dirs: bool = True) -> str:
    """``<class_dir>/<id>_<start:06d>_<end:06d>.mp4`` of one csv row."""
    youtube_id = (row.get('youtube_id') or '').strip()
    if not youtube_id:
        raise AnnotationError(f'{where}: empty youtube_id')
    start = _seconds(row.get('time_start'), where, 'time_start')
    end = _seconds(row.get('time_end'), where, 'time_end')
    if end <= start:
        raise AnnotationError(
            f'{where}: time_end {end} is not after time_start {start}')
    name = f'{youtube_id}_{start:06d}_{end:06d}.mp4'
    if class_dirs:
        name = row['label'].strip().replace(' ', '_') + '/' + name
    return name


def parse_csv(path: str,
              classes: Sequence[str],
              class_dirs: bool = True) -> List[Entry]:
    """Entries of one csv; every label must be one of ``classes``."""
    index = {name: i for i, name in enumerate(classes)}
    entries, seen = [], set()
    for lineno, row in read_csv(path):
        where = f'{path}:{lineno}'
        label = (row.get('label') or '').strip()
        if label not in index:
            raise AnnotationError(
                f'{where}: label {label!r} is not a known class '
                f'({len(classes)} classes)')
        name = video_name(row, where, class_dirs)
        if name in seen:
            raise AnnotationError(f'{where}: clip {name} listed twice')
        seen.add(name)
        entries.append((name, index[label]))
    return entries


def classes_from_csv(path: str) -> List[str]:
    """Alphabetical class names of a csv (the train csv)."""
    labels = {(row.get('label') or '').strip() for _, row in read_csv(path)}
    if '' in labels:
        raise AnnotationError(f'{path}: rows with an empty label')
    return sorted(labels)


def build_lists(csvs: Dict[str, str],
                out_dir: str,
                dataset: str = 'kinetics400',
                label_map: Optional[str] = None,
                video_dirs: Optional[Dict[str, str]] = None,
                class_dirs: bool = True,
                strict: bool = False) -> Dict[str, Dict[str, int]]:
    """Writes one list per subset.

    Args:
        csvs (dict): ``{subset: csv path}``, e.g. train / val / test.
        out_dir (str): Output folder.
        dataset (str): File name prefix. Defaults to 'kinetics400'.
        label_map (str, optional): Class order; without it the train csv's
            classes in alphabetical order.
        video_dirs (dict, optional): ``{subset: folder}`` to check.
        class_dirs (bool): Videos sit in per-class folders.
        strict (bool): Fail on a missing video instead of leaving it out.

    Returns:
        dict: Per written file, ``{'written': n, 'missing': m}``.
    """
    video_dirs = video_dirs or {}
    unknown = set(video_dirs) - set(csvs)
    if unknown:
        raise ValueError(f'--video-dir given for {sorted(unknown)} without '
                         'a --csv for that subset')
    if label_map is not None:
        classes = read_label_map(label_map)
    elif 'train' in csvs:
        classes = classes_from_csv(csvs['train'])
    else:
        raise ValueError('give --label-map, or a train csv to take the '
                         'classes from')
    os.makedirs(out_dir, exist_ok=True)
    summary = {}
    for subset, path in csvs.items():
        entries = parse_csv(path, classes, class_dirs)
        out = osp.join(out_dir, f'{dataset}_{subset}_list_videos.txt')
        summary[out] = write_present_list(out, entries, video_dirs.get(subset),
                                          strict)
    return summary


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Kinetics csv annotations -> mmaction2 lists')
    parser.add_argument(
        '--csv',
        nargs=2,
        action='append',
        required=True,
        metavar=('SUBSET', 'CSV'),
        help='e.g. --csv train kinetics_train.csv '
        '(repeat for val / test)')
    parser.add_argument('--out-dir', default='data/kinetics400')
    parser.add_argument(
        '--dataset',
        default='kinetics400',
        help='prefix of the list file names')
    parser.add_argument('--label-map', help='class order, one per line')
    parser.add_argument(
        '--flat',
        action='store_true',
        help='videos are not in per-class folders')
    add_video_check_arguments(parser, per_subset=True)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    csvs = dict(args.csv)
    if len(csvs) != len(args.csv):
        raise ValueError('a subset is given twice with --csv')
    summary = build_lists(csvs, args.out_dir, args.dataset, args.label_map,
                          dict(args.video_dir), not args.flat, args.strict)
    for line in summary_lines(summary):
        print(line)


if __name__ == '__main__':
    main()
