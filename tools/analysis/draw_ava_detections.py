# Copyright (c) constcl_mm authors. All rights reserved.
"""Draws AVA (or AVA-Kinetics) action detections on their keyframes.

Reads the pickle ``tools/test.py CONFIG CKPT --dump det.pkl`` writes for the
AVA configs: a list with one dict per keyframe, ``img_key``
(``'0f39OWEqJ24,0902'``) and ``pred_instances`` with ``bboxes`` ``(N, 4)``
(normalised ``x1, y1, x2, y2``) and ``scores`` ``(N, num_classes)`` (column 0
is the background, column ``c`` the action id ``c``, as ``AVAMetric`` reads
them)::

    python tools/analysis/draw_ava_detections.py det.pkl data/ava/rawframes \\
        data/ava/annotations/ava_action_list_v2.2.pbtxt work_dirs/ava_vis \\
        [--score-thr 0.3] [--top-k 3] [--gt ava_val_v2.2.csv] \\
        [--videos ID ...] [--limit N]

writes ``OUT/<video>_<timestamp>.jpg`` per keyframe: every person box with at
least one action scoring ``--score-thr`` or more in red, with up to
``--top-k`` lines ``name 0.87`` (highest first), and, with ``--gt``, the
ground-truth person boxes in green (unlabelled).

Keyframe frames follow the dataset (``MixedAVAKineticsDataset``): the frame
of timestamp ``t`` is ``<root>/<video>/img_%05d.jpg`` number
``(t - 900) * 30 + 1`` (``--timestamp-start``, ``--fps``,
``--filename-tmpl``). Kinetics keyframes of AVA-Kinetics are found in their
clip folder ``<kinetics root>/<youtube_id>_<start:06d>_<end:06d>`` (number
``(t - start) * 30 + 1``).

Label maps: AVA's pbtxt (``item { name: "..." id: 12 }``) or an ``id: name``
list, one a line (mmaction2's ``tools/data/ava/label_map.txt``). An action
above the threshold whose id is not in the label map stops the tool unless
``--skip-unknown`` (then only the label map's classes are drawn, as the AVA
evaluation scores only those).
"""
import argparse
import os
import os.path as osp
import re
from decimal import Decimal
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.utils import ProgressBar

from constcl_mm.datasets.ava_annotations import (find_clip, keyframe_key,
                                                 parse_kinetics_clip_name,
                                                 parse_timestamp, read_ava_csv,
                                                 read_kinetics_clip_index,
                                                 read_label_file,
                                                 split_keyframe_key)
from constcl_mm.utils.errors import AnnotationError
from constcl_mm.utils.safe_pickle import load_data_pickle
from constcl_mm.utils.text_files import read_lines
from constcl_mm.visualization import (GT_COLOR, PRED_COLOR, draw_boxes,
                                      read_rgb, write_rgb)

_ID_NAME = re.compile(r'^\s*(\d+)\s*:\s*(.*?)\s*$')


def read_label_map(path: str) -> Dict[int, str]:
    """Action id -> name from a pbtxt label map or an ``id: name`` list.

    Raises:
        FileNotFoundError: The file does not exist.
        AnnotationError: A line of an ``id: name`` list is neither that nor
            blank / ``#`` (names file and line), an id appears twice, or the
            file holds no class.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'label map {path} does not exist')
    lines = read_lines(path)
    if any(re.match(r'^\s*item\s*\{', line) for line in lines):
        categories, _ = read_label_file(path)
        return {int(c['id']): str(c['name']) for c in categories}
    names: Dict[int, str] = {}
    for lineno, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        match = _ID_NAME.match(line)
        if match is None or not match[2]:
            raise AnnotationError(
                f'{path}:{lineno}: expected "id: name" (or a pbtxt label '
                f'map), got {line!r}')
        class_id = int(match[1])
        if class_id in names:
            raise AnnotationError(f'{path}:{lineno}: action id {class_id} '
                                  'appears twice')
        names[class_id] = match[2]
    if not names:
        raise AnnotationError(f'{path} holds no "id: name" line')
    return names


def _numpy(value) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def load_detections(path: str) -> List[Tuple[str, np.ndarray, np.ndarray]]:
    """``(img_key, bboxes (N, 4), scores (N, C))`` per keyframe of a
    ``--dump`` pickle.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: It is not a list of dicts with ``img_key`` and
            ``pred_instances`` (``bboxes`` ``(N, 4)`` normalised, ``scores``
            ``(N, C)``); names the file and the entry.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'detections file {path} does not exist')
    # an allow-listed unpickler: a crafted dump is refused, never executed
    results = load_data_pickle(path, allow_tensors=True)
    if not isinstance(results, (list, tuple)):
        raise ValueError(f'{path}: expected the list tools/test.py --dump '
                         f'writes, got {type(results).__name__}')
    out = []
    for i, result in enumerate(results):
        try:
            key = result['img_key']
            pred = result['pred_instances']
            bboxes, scores = _numpy(pred['bboxes']), _numpy(pred['scores'])
        except (KeyError, TypeError, IndexError):
            raise ValueError(
                f'{path}, entry {i}: expected a dict with img_key and '
                'pred_instances (bboxes, scores), as tools/test.py --dump '
                'writes for the AVA configs') from None
        where = f'{path}, entry {i} ({key})'
        if bboxes.size == 0:  # a keyframe without any person box
            bboxes = bboxes.reshape(0, 4)
        if bboxes.ndim != 2 or bboxes.shape[1] != 4 or scores.ndim != 2 \
                or len(scores) != len(bboxes):
            raise ValueError(f'{where}: expected bboxes (N, 4) and scores '
                             f'(N, C), got {bboxes.shape} and {scores.shape}')
        if len(bboxes) and np.abs(bboxes).max() > 1.5:
            raise ValueError(
                f'{where}: bboxes are not normalised to [0, 1] (max '
                f'{np.abs(bboxes).max():.1f}): expected the AVA heads\' '
                'normalised x1,y1,x2,y2')
        video_id, timestamp = split_keyframe_key(str(key))
        out.append((keyframe_key(video_id, timestamp), bboxes, scores))
    return out


def box_lines(img_key: str,
              scores: np.ndarray,
              label_map: Dict[int, str],
              label_map_path: str,
              score_thr: float,
              top_k: int,
              class_ids: Optional[Sequence[int]] = None,
              skip_unknown: bool = False) -> str:
    """The label of one box: ``"name 0.87"`` lines of its best actions.

    Args:
        img_key (str): The keyframe, for error messages.
        scores (np.ndarray): ``(C, )`` scores, column 0 the background.
        label_map (dict[int, str]): Action id -> name.
        label_map_path (str): Where it came from, for error messages.
        score_thr (float): Actions below it are left out.
        top_k (int): At most this many lines.
        class_ids (Sequence[int], optional): The action id of columns
            ``1..C-1`` (``custom_classes``); default: the column number.
        skip_unknown (bool): Leave out ids missing from the label map
            instead of raising.

    Returns:
        str: The lines, highest score first; empty when no action reaches
        ``score_thr``.

    Raises:
        ValueError: An action above the threshold is not in the label map
            (unless ``skip_unknown``).
    """
    ids = list(class_ids) if class_ids is not None else list(
        range(1, len(scores)))
    candidates = []
    for column in np.argsort(-scores[1:], kind='stable') + 1:
        score = float(scores[column])
        if score < score_thr:
            break
        class_id = ids[column - 1]
        if class_id not in label_map:
            if skip_unknown:
                continue
            raise ValueError(
                f'{img_key}: action id {class_id} (score {score:.2f} >= '
                f'--score-thr {score_thr}) is not in the label map '
                f'{label_map_path} ({len(label_map)} classes): pass a label '
                'map listing every class (e.g. mmaction2\'s '
                'tools/data/ava/label_map.txt), or --skip-unknown to draw '
                'only the classes it lists')
        candidates.append(f'{label_map[class_id]} {score:.2f}')
        if len(candidates) == top_k:
            break
    return '\n'.join(candidates)


class KeyframeLocator:
    """The frame file of a keyframe, as ``MixedAVAKineticsDataset`` finds it.

    AVA: ``<frame_root>/<video>/<tmpl>`` number
    ``(t - timestamp_start) * fps + 1``. Kinetics (a clip-name video id, or a
    YouTube id without a folder under ``frame_root``):
    ``<kinetics_root>/<clip>/<tmpl>`` number ``(t - clip start) * fps + 1``,
    clamped to the clip's frame files.
    """

    def __init__(self, frame_root: str, kinetics_root: Optional[str],
                 timestamp_start: int, fps: int, filename_tmpl: str) -> None:
        self.frame_root = frame_root
        self.kinetics_root = kinetics_root or frame_root
        self.timestamp_start = timestamp_start
        self.fps = fps
        self.filename_tmpl = filename_tmpl
        self._clips = None
        self._frame_counts: Dict[str, int] = {}

    def _folder_and_start(self, video_id: str,
                          timestamp: Decimal) -> Tuple[str, int, bool]:
        """``(frame folder, time of its first frame, is a Kinetics clip)``"""
        clip = parse_kinetics_clip_name(video_id)
        if clip is not None:
            return osp.join(self.kinetics_root, video_id), clip[1], True
        folder = osp.join(self.frame_root, video_id)
        if osp.isdir(folder):
            return folder, self.timestamp_start, False
        if self._clips is None:
            self._clips = read_kinetics_clip_index(
                frame_root=self.kinetics_root)
        found = find_clip(self._clips.get(video_id, ()), timestamp)
        if found is None:
            raise FileNotFoundError(
                f'frame folder {folder} does not exist (nor a Kinetics clip '
                f'folder {video_id}_<start:06d>_<end:06d> covering '
                f'{timestamp} s under {self.kinetics_root})')
        return osp.join(self.kinetics_root, found[2]), found[0], True

    def _num_frames(self, folder: str) -> int:
        if folder not in self._frame_counts:
            if not osp.isdir(folder):
                raise FileNotFoundError(
                    f'Kinetics clip frames {folder} do not exist')
            self._frame_counts[folder] = sum(1 for name in os.listdir(folder)
                                             if name.endswith(('.jpg', '.jpeg',
                                                               '.png')))
        return self._frame_counts[folder]

    def __call__(self, img_key: str) -> str:
        video_id, text = split_keyframe_key(img_key)
        timestamp = parse_timestamp(text, img_key)
        folder, start, kinetics = self._folder_and_start(video_id, timestamp)
        index = int(((timestamp - start) * self.fps).to_integral_value()) + 1
        if kinetics:  # as MixedAVAKineticsDataset.get_data_info
            index = min(max(index, 1), max(self._num_frames(folder), 1))
        path = osp.join(folder, self.filename_tmpl.format(index))
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'keyframe {img_key}: frame file {path} does not exist '
                f'(frame ({timestamp} - {start}) * {self.fps} + 1 = {index}; '
                'check --timestamp-start, --fps and --filename-tmpl)')
        return path


def gt_boxes(csv_path: Optional[str]) -> Dict[str, np.ndarray]:
    """Distinct normalised ``x1, y1, x2, y2`` person boxes per keyframe of
    an AVA csv (one row per box and action)."""
    if csv_path is None:
        return {}
    boxes = read_ava_csv(csv_path).boxes
    out = {}
    for key, rows in boxes.items():
        distinct = sorted({(x1, y1, x2, y2) for y1, x1, y2, x2 in rows})
        out[key] = np.asarray(distinct, dtype=np.float64).reshape(-1, 4)
    return out


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw AVA action detections on their keyframes')
    parser.add_argument('detections', help='pickle of tools/test.py --dump')
    parser.add_argument('frame_root', help='<root>/<video>/img_00001.jpg')
    parser.add_argument('label_map', help='pbtxt label map or "id: name" list')
    parser.add_argument('out_dir', help='where the drawings go')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='draw actions scoring at least this (default 0.3)')
    parser.add_argument(
        '--top-k',
        type=int,
        default=3,
        help='at most this many actions per box (default 3)')
    parser.add_argument(
        '--gt', help='AVA csv whose person boxes are drawn in green')
    parser.add_argument(
        '--timestamp-start',
        type=int,
        default=900,
        help='time of the first frame file, s (default 900)')
    parser.add_argument(
        '--fps', type=int, default=30, help='frame rate (default 30)')
    parser.add_argument(
        '--filename-tmpl',
        default='img_{:05d}.jpg',
        help='frame file names (default img_{:05d}.jpg)')
    parser.add_argument(
        '--kinetics-root',
        help='Kinetics clip folders of AVA-Kinetics (default: frame_root)')
    parser.add_argument(
        '--custom-classes',
        type=int,
        nargs='+',
        help='action ids of the score columns 1.. when the model was '
        'trained with custom_classes')
    parser.add_argument(
        '--skip-unknown',
        action='store_true',
        help='draw only actions of the label map instead of stopping at '
        'another id')
    parser.add_argument(
        '--videos', nargs='+', help='only keyframes of these videos')
    parser.add_argument(
        '--limit', type=int, help='at most this many keyframes')
    parser.add_argument(
        '--thickness', type=int, default=2, help='box outline width')
    parser.add_argument(
        '--jpeg-quality', type=int, default=90, help='JPEG quality')
    args = parser.parse_args(argv)
    if args.top_k < 1:
        parser.error('--top-k must be >= 1')
    if args.thickness < 1:
        parser.error('--thickness must be >= 1')
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    label_map = read_label_map(args.label_map)
    detections = load_detections(args.detections)
    if args.videos:
        wanted = set(args.videos)
        detections = [
            d for d in detections if split_keyframe_key(d[0])[0] in wanted
        ]
    if args.limit is not None:
        detections = detections[:args.limit]
    if not detections:
        raise ValueError(f'no keyframe to draw in {args.detections}' +
                         (f' for videos {args.videos}' if args.videos else ''))
    if args.custom_classes is not None:
        columns = {scores.shape[1] for _, _, scores in detections}
        if columns != {len(args.custom_classes) + 1}:
            raise ValueError(
                f'{len(args.custom_classes)} --custom-classes need '
                f'{len(args.custom_classes) + 1} score columns, '
                f'{args.detections} has {sorted(columns)}')
    ground_truth = gt_boxes(args.gt)
    locate = KeyframeLocator(args.frame_root, args.kinetics_root,
                             args.timestamp_start, args.fps,
                             args.filename_tmpl)

    progress = ProgressBar(len(detections))
    num_boxes = 0
    for img_key, bboxes, scores in detections:
        image = read_rgb(locate(img_key))
        height, width = image.shape[:2]
        scale = np.array([width, height, width, height], dtype=np.float64)
        if img_key in ground_truth:
            image = draw_boxes(
                image,
                ground_truth[img_key] * scale,
                color=GT_COLOR,
                thickness=args.thickness)
        labels = [
            box_lines(img_key, row, label_map, args.label_map, args.score_thr,
                      args.top_k, args.custom_classes, args.skip_unknown)
            for row in scores
        ]
        keep = [i for i, text in enumerate(labels) if text]
        image = draw_boxes(
            image,
            bboxes[keep] * scale, [labels[i] for i in keep],
            color=PRED_COLOR,
            thickness=args.thickness)
        num_boxes += len(keep)
        video_id, timestamp = split_keyframe_key(img_key)
        write_rgb(
            osp.join(args.out_dir, f'{video_id}_{timestamp}.jpg'), image,
            args.jpeg_quality)
        progress.update()
    print(f'\n{len(detections)} keyframe(s), {num_boxes} box(es) above '
          f'{args.score_thr} drawn into {args.out_dir}')


if __name__ == '__main__':
    main()
