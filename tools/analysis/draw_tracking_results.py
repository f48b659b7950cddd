# Copyright (c) constcl_mm authors. All rights reserved.
"""Draws tracking results and ground truth on OTB frames.

Reads an OTB-2015 folder (``<root>/<Seq>/img/0001.jpg ...`` and
``groundtruth_rect.txt``, 1-based ``x,y,w,h``) through ``OTB100Dataset``
(the targets of ``OTB100_TARGETS``, or of an info file written by
``tools/data/otb/gen_otb100_infos.py``), and the boxes ``SOTMetric`` dumps
with ``test_evaluator.out_dir=DIR`` (``DIR/results/<Seq>.txt``, one 1-based
``x,y,w,h`` row per frame)::

    python tools/analysis/draw_tracking_results.py data/otb100 \\
        work_dirs/otb100_sot work_dirs/otb100_vis \\
        [--sequences Crossing Bolt] [--interval 10] [--ann-file F]

writes, per sequence, every ``--interval``-th frame (the first included) as
``OUT/<Seq>/<frame file name>.jpg`` (``0001.jpg`` ...) with the ground truth
in green and the prediction in red, and ``OUT/<Seq>_montage.png``, a grid of
``--montage-frames`` evenly spaced frames (first and last included) captioned
with their frame numbers. Without ``--sequences`` every ``<Seq>.txt`` of the
results folder is drawn.
"""
import argparse
import glob
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.utils import ProgressBar

from constcl_mm.datasets.otb_dataset import (OTB100_TARGETS, OTB100Dataset,
                                             load_sot_bboxes, parse_otb_infos)
from constcl_mm.visualization import (GT_COLOR, PRED_COLOR, draw_boxes,
                                      draw_text, evenly_spaced, make_montage,
                                      read_rgb, write_rgb)


def find_results_dir(path: str) -> str:
    """``path/results`` when it exists (the metric's ``out_dir``), else
    ``path`` itself.

    Raises:
        FileNotFoundError: Neither is a folder.
    """
    for folder in (osp.join(path, 'results'), path):
        if osp.isdir(folder):
            return folder
    raise FileNotFoundError(
        f'results folder {path} does not exist (expected the out_dir of '
        'SOTMetric, holding results/<Seq>.txt, or that results folder)')


def pred_boxes(path: str, num_frames: int, bbox_offset: float,
               sequence: str) -> np.ndarray:
    """The predicted boxes of a results file as 0-based ``x1, y1, x2, y2``.

    The inverse of ``SOTMetric._dump``: ``x1 = x - bbox_offset``,
    ``x2 = x1 + w`` (and likewise for ``y``).

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: Its row count differs from the sequence's frames (names
            the file), or a row is not four numbers.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'results file {path} of sequence {sequence} does not exist')
    xywh = load_sot_bboxes(path)
    if len(xywh) != num_frames:
        raise ValueError(
            f'{path} has {len(xywh)} boxes but sequence {sequence} has '
            f'{num_frames} frames: one x,y,w,h row per frame expected')
    boxes = xywh.copy()
    boxes[:, :2] -= bbox_offset
    boxes[:, 2:] += boxes[:, :2]
    return boxes


def select_targets(root: str, names: Sequence[str],
                   ann_file: Optional[str]) -> List[str]:
    """Checks that every sequence is a known target whose folder exists.

    Raises:
        KeyError: A name is neither in ``ann_file`` nor in
            ``OTB100_TARGETS``.
        FileNotFoundError: A sequence folder is missing (names it).
    """
    rows = parse_otb_infos(ann_file) if ann_file else list(OTB100_TARGETS)
    by_name = {row.name: row for row in rows}
    source = ann_file or 'OTB100_TARGETS'
    for name in names:
        if name not in by_name:
            raise KeyError(f'sequence {name} is not a target of {source} '
                           '(pass --ann-file with an info file listing it)')
        folder = osp.join(root, by_name[name].folder)
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'sequence folder {folder} (sequence {name}) does not exist')
    return list(names)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw tracking results and ground truth on OTB frames')
    parser.add_argument('data_root', help='OTB folder: <root>/<Seq>/img/')
    parser.add_argument(
        'results',
        help="SOTMetric's out_dir (holding results/<Seq>.txt) or the "
        'results folder itself')
    parser.add_argument('out_dir', help='where the drawings go')
    parser.add_argument(
        '--sequences',
        nargs='+',
        help='sequences to draw (default: every results file)')
    parser.add_argument(
        '--ann-file',
        help='OTB info file (absolute, or relative to data_root); default: '
        'the built-in OTB100_TARGETS table, as OTB100Dataset')
    parser.add_argument(
        '--interval',
        type=int,
        default=10,
        help='save every n-th frame (default 10)')
    parser.add_argument(
        '--montage-frames',
        type=int,
        default=8,
        help='frames in the montage (default 8)')
    parser.add_argument(
        '--montage-cols',
        type=int,
        default=4,
        help='montage columns (default 4)')
    parser.add_argument(
        '--montage-width',
        type=int,
        help='width of a montage tile in pixels (default: the frame width)')
    parser.add_argument(
        '--bbox-offset',
        type=float,
        default=1.,
        help="SOTMetric's bbox_offset the results were written with "
        '(default 1: 1-based, as OTB)')
    parser.add_argument(
        '--thickness', type=int, default=2, help='box outline width')
    parser.add_argument(
        '--jpeg-quality', type=int, default=90, help='JPEG quality')
    args = parser.parse_args(argv)
    for key in ('interval', 'montage_frames', 'montage_cols', 'thickness'):
        if getattr(args, key) < 1:
            parser.error(f'--{key.replace("_", "-")} must be >= 1')
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    results_dir = find_results_dir(args.results)
    names = args.sequences or sorted(
        osp.splitext(osp.basename(p))[0]
        for p in glob.glob(osp.join(results_dir, '*.txt')))
    if not names:
        raise FileNotFoundError(f'no <Seq>.txt results file in {results_dir}')
    ann_file = None
    if args.ann_file:
        ann_file = args.ann_file if osp.isfile(args.ann_file) else osp.join(
            args.data_root, args.ann_file)
        ann_file = osp.abspath(ann_file)
    select_targets(args.data_root, names, ann_file)
    dataset = OTB100Dataset(
        ann_file=ann_file or '',
        targets=names,
        num_neighbors=0,
        data_root=args.data_root,
        # relative to data_root (mmengine joins the two; a relative root
        # given twice would double)
        data_prefix=dict(img_path=''))
    failed = dataset.metainfo.get('failed_targets') or {}
    if failed:
        raise FileNotFoundError('; '.join(f'sequence {name}: {why}'
                                          for name, why in failed.items()))

    plans = []
    for idx in range(dataset.num_videos):
        info = dataset.get_data_info(idx)
        gt = info['gt_bboxes'].astype(np.float64)
        name = info['video_name']
        pred = pred_boxes(
            osp.join(results_dir, f'{name}.txt'), len(gt), args.bbox_offset,
            name)
        saved = set(range(0, len(gt), args.interval))
        montage = evenly_spaced(len(gt), args.montage_frames)
        plans.append((info, gt, pred, saved, montage))

    progress = ProgressBar(sum(len(s | set(m)) for _, _, _, s, m in plans))
    for info, gt, pred, saved, montage in plans:
        name = info['video_name']
        tiles = []
        for i in sorted(saved | set(montage)):
            number = info['start_frame_id'] + i
            file_name = info['framename_template'] % number
            image = read_rgb(osp.join(info['img_dir'], file_name))
            image = draw_boxes(
                image, gt[i:i + 1], color=GT_COLOR, thickness=args.thickness)
            image = draw_boxes(
                image,
                pred[i:i + 1],
                color=PRED_COLOR,
                thickness=args.thickness)
            if i in saved:
                write_rgb(
                    osp.join(args.out_dir, name,
                             osp.splitext(file_name)[0] + '.jpg'), image,
                    args.jpeg_quality)
            if i in montage:
                # captions as large in the montage as on a 240-px frame
                tiles.append(
                    draw_text(
                        image,
                        f'#{number}',
                        font_scale=0.4 * image.shape[1] /
                        (args.montage_width or image.shape[1])))
            progress.update()
        tile_size = None
        if args.montage_width:
            h, w = tiles[0].shape[:2]
            tile_size = (args.montage_width,
                         max(1, round(h * args.montage_width / w)))
        write_rgb(
            osp.join(args.out_dir, f'{name}_montage.png'),
            make_montage(tiles, args.montage_cols, tile_size))
    print(f'\n{len(plans)} sequence(s) drawn into {args.out_dir} '
          '(ground truth green, prediction red)')


if __name__ == '__main__':
    main()
