# Copyright (c) constcl_mm authors. All rights reserved.
"""UCF101 official splits -> mmaction2 video list files.

Reads the official ``ucfTrainTestlist`` files (``classInd.txt``,
``trainlist0{1,2,3}.txt``, ``testlist0{1,2,3}.txt``) and writes, per split k,
``ucf101_train_split_{k}_videos.txt`` and ``ucf101_val_split_{k}_videos.txt``
with lines ``<Class>/<video>.avi <label>``, labels 0-based in ``classInd``
order. Expected layout (docs/recognition.md)::

    data/ucf101/
      annotations/   classInd.txt trainlist01.txt ... testlist03.txt
      videos/        ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi ...

Usage::

    python tools/data/ucf101/ucf101_lists.py data/ucf101/annotations \
        --out-dir data/ucf101 --video-dir data/ucf101/videos
"""
import argparse
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from constcl_mm.utils import AnnotationError
from constcl_mm.utils.list_files import (Entry, add_video_check_arguments,
                                         summary_lines, write_present_list)


def read_lines(path: str) -> List[Tuple[int, str]]:
    """Non-empty lines with their 1-based numbers (BOM and CRLF removed)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist')
    with open(path, encoding='utf-8-sig') as f:
        return [(i, line.strip()) for i, line in enumerate(f, 1)
                if line.strip()]


def read_class_index(path: str) -> List[str]:
    """Class names in label order from ``classInd.txt`` (``<idx> <name>``,
    1-based and contiguous)."""
    classes = []
    for lineno, line in read_lines(path):
        parts = line.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise AnnotationError(
                f'{path}:{lineno}: expected "<index> <class>", got {line!r}')
        if int(parts[0]) != len(classes) + 1:
            raise AnnotationError(
                f'{path}:{lineno}: class index {parts[0]} out of order '
                f'(expected {len(classes) + 1})')
        if parts[1] in classes:
            raise AnnotationError(
                f'{path}:{lineno}: duplicate class {parts[1]!r}')
        classes.append(parts[1])
    if not classes:
        raise AnnotationError(f'{path}: no classes')
    return classes


def _label_of(video: str, lookup: Dict[str, int], where: str) -> int:
    video = video.replace('\\', '/')
    if '/' not in video:
        raise AnnotationError(
            f'{where}: expected "<Class>/<video>.avi", got {video!r}')
    cls = video.split('/')[0]
    if cls in lookup:
        return lookup[cls]
    if cls.lower() in lookup:
        return lookup[cls.lower()]
    raise AnnotationError(f'{where}: class folder {cls!r} is not in '
                          'classInd.txt')


def _lookup(classes: Sequence[str]) -> Dict[str, int]:
    table = {name: i for i, name in enumerate(classes)}
    table.update({name.lower(): i for i, name in enumerate(classes)})
    return table


def parse_trainlist(path: str, classes: Sequence[str]) -> List[Entry]:
    """``<Class>/<video>.avi <1-based label>`` lines; the label must agree
    with the class folder."""
    lookup = _lookup(classes)
    entries = []
    for lineno, line in read_lines(path):
        parts = line.split()
        where = f'{path}:{lineno}'
        if len(parts) not in (1, 2):
            raise AnnotationError(
                f'{where}: expected "<Class>/<video>.avi <label>", got '
                f'{line!r}')
        label = _label_of(parts[0], lookup, where)
        if len(parts) == 2:
            if not parts[1].isdigit():
                raise AnnotationError(
                    f'{where}: label {parts[1]!r} is not an integer')
            if int(parts[1]) - 1 != label:
                raise AnnotationError(
                    f'{where}: label {parts[1]} (1-based) disagrees with the '
                    f'class folder {classes[label]!r} (index {label + 1})')
        entries.append((parts[0].replace('\\', '/'), label))
    return entries


def parse_testlist(path: str, classes: Sequence[str]) -> List[Entry]:
    """``<Class>/<video>.avi`` lines; the label comes from the folder."""
    lookup = _lookup(classes)
    entries = []
    for lineno, line in read_lines(path):
        parts = line.split()
        where = f'{path}:{lineno}'
        if len(parts) != 1:
            raise AnnotationError(
                f'{where}: expected "<Class>/<video>.avi", got {line!r}')
        entries.append(
            (parts[0].replace('\\', '/'), _label_of(parts[0], lookup, where)))
    return entries


def build_lists(ann_dir: str,
                out_dir: str,
                splits: Sequence[int] = (1, 2, 3),
                video_dir: Optional[str] = None,
                strict: bool = False) -> Dict[str, Dict[str, int]]:
    """Writes the train/val lists of every split.

    Returns:
        dict: Per written file, ``{'written': n, 'missing': m}``.
    """
    classes = read_class_index(osp.join(ann_dir, 'classInd.txt'))
    os.makedirs(out_dir, exist_ok=True)
    summary = {}
    for k in splits:
        if k not in (1, 2, 3):
            raise ValueError(f'UCF101 has splits 1, 2, 3; got {k}')
        for subset, name, parse in (('train', f'trainlist0{k}.txt',
                                     parse_trainlist),
                                    ('val', f'testlist0{k}.txt',
                                     parse_testlist)):
            entries = parse(osp.join(ann_dir, name), classes)
            out = osp.join(out_dir, f'ucf101_{subset}_split_{k}_videos.txt')
            summary[out] = write_present_list(out, entries, video_dir, strict)
    return summary


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='UCF101 official split files -> mmaction2 lists')
    parser.add_argument(
        'ann_dir',
        help='folder with classInd.txt, '
        'trainlist0X.txt and testlist0X.txt')
    parser.add_argument('--out-dir', default='data/ucf101')
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
