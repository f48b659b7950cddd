# Copyright (c) constcl_mm authors. All rights reserved.
"""Checks an OTB-2015 folder and writes its info file (all 100 targets).

The standard layout, one folder per sequence as the benchmark ships them::

    data/otb100/Basketball/img/0001.jpg ...
    data/otb100/Basketball/groundtruth_rect.txt
    data/otb100/Jogging/groundtruth_rect.1.txt, groundtruth_rect.2.txt
    ...

Every target of ``constcl_mm.datasets.OTB100_TARGETS`` is checked (image
folder, ground-truth file and its box count against the frame range, the
first and last frames -- or every frame with ``--check-frames``) and written
as ``name,video_path,ann_path,start_frame_id,end_frame_id,template``::

    python tools/data/otb/gen_otb100_infos.py data/otb100 \
        [--out data/otb100/otb100_infos.txt] [--check-frames] \
        [--allow-missing]

``OTB100Dataset(ann_file='otb100_infos.txt', data_root='data/otb100')``
reads it (``ann_file=''`` uses the built-in table directly).
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmengine.utils import ProgressBar

from constcl_mm.datasets.otb_dataset import (OTB100_TARGETS, OTBTarget,
                                             load_sot_bboxes)

HEADER = ('# OTB-2015 targets: name,video_path,ann_path,start_frame_id,'
          'end_frame_id,framename_template (paths relative to the root)')


def check_target(root: str,
                 target: OTBTarget,
                 all_frames: bool = False) -> Optional[str]:
    """The first problem found with a target, or None."""
    img_dir = osp.join(root, target.img_dir)
    ann = osp.join(root, target.ann_path)
    if not osp.isdir(img_dir):
        return f'no image folder {img_dir}'
    if not osp.isfile(ann):
        return f'no ground truth {ann}'
    try:
        boxes = load_sot_bboxes(ann)
    except ValueError as e:
        return str(e)
    length = target.end - target.start + 1
    if len(boxes) != length and not (len(boxes) == target.end
                                     and target.start > 1):
        return (f'{ann} has {len(boxes)} boxes for frames '
                f'{target.start}-{target.end}')
    frames = range(target.start, target.end +
                   1) if all_frames else (target.start, target.end)
    for n in frames:
        path = osp.join(img_dir, target.framename_template % n)
        if not osp.isfile(path):
            return f'missing frame {path}'
    return None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='OTB-2015 root (one folder per sequence)')
    parser.add_argument(
        '--out', help='info file (default: <root>/otb100_infos.txt)')
    parser.add_argument(
        '--check-frames',
        action='store_true',
        help='check that every frame file exists, not only the first/last')
    parser.add_argument(
        '--allow-missing',
        action='store_true',
        help='write the valid targets even if some are missing or broken')
    args = parser.parse_args(argv)
    out = args.out or osp.join(args.root, 'otb100_infos.txt')

    rows, problems = [], []
    bar = ProgressBar(len(OTB100_TARGETS))
    for target in OTB100_TARGETS:
        problem = check_target(args.root, target, args.check_frames)
        if problem is None:
            rows.append(','.join(
                str(v) for v in (target.name, target.img_dir, target.ann_path,
                                 target.start, target.end,
                                 target.framename_template)))
        else:
            problems.append(f'{target.name}: {problem}')
        bar.update()
    print()
    for p in problems:
        print(p, file=sys.stderr)
    if problems and not args.allow_missing:
        print(
            f'{len(problems)} of {len(OTB100_TARGETS)} targets have '
            'problems; nothing written (--allow-missing writes the rest)',
            file=sys.stderr)
        return 1
    with open(out, 'w') as f:
        f.write('\n'.join([HEADER] + rows) + '\n')
    frames = sum(t.end - t.start + 1 for t in OTB100_TARGETS
                 if not any(p.startswith(t.name + ':') for p in problems))
    print(f'{len(rows)} targets ({frames} frames) written to {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
