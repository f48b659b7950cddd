# Copyright (c) constcl_mm authors. All rights reserved.
"""HMDB51 official splits -> mmaction2 video list files.

Reads the official ``testTrainMulti_7030_splits`` files
``<class>_test_split<k>.txt`` (one per class and split; lines
``<video>.avi <flag>`` with flag 1 = train, 2 = test, 0 = unused) and
writes, per split k, ``hmdb51_train_split_{k}_videos.txt`` and
``hmdb51_val_split_{k}_videos.txt`` with lines ``<class>/<video>.avi
<label>``; labels are 0-based in alphabetical class order (mmaction2's
``label_map.txt``). Expected layout (docs/recognition.md)::

    data/hmdb51/
      annotations/   brush_hair_test_split1.txt ... wave_test_split3.txt
      videos/        brush_hair/<video>.avi ...

Usage::

    python tools/data/hmdb51/hmdb51_lists.py data/hmdb51/annotations \
        --out-dir data/hmdb51 --video-dir data/hmdb51/videos
"""
import argparse
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

from constcl_mm.utils import AnnotationError
from constcl_mm.utils.list_files import (Entry, add_video_check_arguments,
                                         summary_lines, write_present_list)

SPLIT_FILE = re.compile(r'^(?P<cls>.+)_test_split(?P<split>\d+)\.txt$')
FLAG_TRAIN, FLAG_TEST, FLAG_UNUSED = '1', '2', '0'


def find_split_files(ann_dir: str) -> Dict[str, Dict[int, str]]:
    """``{class: {split: path}}`` for every ``<class>_test_split<k>.txt``."""
    if not osp.isdir(ann_dir):
        raise FileNotFoundError(f'{ann_dir} is not a folder')
    files: Dict[str, Dict[int, str]] = {}
    for name in sorted(os.listdir(ann_dir)):
        match = SPLIT_FILE.match(name)
        if match:
            files.setdefault(match['cls'], {})[int(match['split'])] = \
                osp.join(ann_dir, name)
    if not files:
        raise AnnotationError(
            f'{ann_dir} holds no <class>_test_split<k>.txt files')
    return files


def parse_split_file(path: str) -> Dict[str, List[str]]:
    """Videos of one class and split by role: train, test, unused."""
    roles = {FLAG_TRAIN: 'train', FLAG_TEST: 'test', FLAG_UNUSED: 'unused'}
    out: Dict[str, List[str]] = {'train': [], 'test': [], 'unused': []}
    seen = set()
    with open(path, encoding='utf-8-sig') as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            where = f'{path}:{lineno}'
            if len(parts) != 2 or parts[1] not in roles:
                raise AnnotationError(
                    f'{where}: expected "<video>.avi <0|1|2>", got '
                    f'{line.strip()!r}')
            if parts[0] in seen:
                raise AnnotationError(
                    f'{where}: video {parts[0]!r} listed twice')
            seen.add(parts[0])
            out[roles[parts[1]]].append(parts[0])
    return out


def build_lists(ann_dir: str,
                out_dir: str,
                splits: Sequence[int] = (1, 2, 3),
                video_dir: Optional[str] = None,
                strict: bool = False) -> Dict[str, Dict[str, int]]:
    """Writes the train/val lists of every split.

    Returns:
        dict: Per written file, ``{'written': n, 'missing': m}``; the
        ``'unused'`` count (flag 0) is reported for the train file.
    """
    files = find_split_files(ann_dir)
    classes = sorted(files)
    os.makedirs(out_dir, exist_ok=True)
    summary = {}
    for k in splits:
        if k not in (1, 2, 3):
            raise ValueError(f'HMDB51 has splits 1, 2, 3; got {k}')
        lists: Dict[str, List[Entry]] = {'train': [], 'val': []}
        unused = 0
        for label, cls in enumerate(classes):
            if k not in files[cls]:
                raise AnnotationError(
                    f'{ann_dir}: {cls}_test_split{k}.txt is missing (class '
                    f'{cls!r} has splits {sorted(files[cls])})')
            roles = parse_split_file(files[cls][k])
            lists['train'] += [(f'{cls}/{v}', label) for v in roles['train']]
            lists['val'] += [(f'{cls}/{v}', label) for v in roles['test']]
            unused += len(roles['unused'])
        for subset, entries in lists.items():
            out = osp.join(out_dir, f'hmdb51_{subset}_split_{k}_videos.txt')
            summary[out] = write_present_list(out, entries, video_dir, strict)
            if subset == 'train':
                summary[out]['unused'] = unused
    return summary


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='HMDB51 official split files -> mmaction2 lists')
    parser.add_argument(
        'ann_dir',
        help='folder with the 153 '
        '<class>_test_split<k>.txt files')
    parser.add_argument('--out-dir', default='data/hmdb51')
    parser.add_argument('--splits', type=int, nargs='+', default=[1, 2, 3])
    add_video_check_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    summary = build_lists(args.ann_dir, args.out_dir, args.splits,
                          args.video_dir, args.strict)
    for line in summary_lines(summary):
        print(line)


if __name__ == '__main__':
    main()
