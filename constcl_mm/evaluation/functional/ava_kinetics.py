# Copyright (c) constcl_mm authors. All rights reserved.
"""Frame-mAP for AVA and AVA-Kinetics, overall and split by source.

The protocol is the official ActivityNet AVA evaluation as updated for
AVA-Kinetics (``Evaluation/get_ava_performance.py``): Pascal VOC AP at IoU
0.5 per class over all keyframes, averaged over the classes of the label map
that have ground truth; at most ``capacity`` (50) detections per keyframe, the
highest-scoring ones; timestamps may be fractional (Kinetics keyframes);
ground-truth rows with only ``video_id,timestamp`` are keyframes without any
action (their detections are false positives); detections on keyframes that
are not in the ground truth are ignored; excluded keyframes count neither
ground truth nor detections.

The per-keyframe matching (:func:`mmaction.evaluation.functional.ava_utils.
tpfp_single`) and the precision/recall/AP maths (``ava_evaluation.metrics``)
are mmaction2's copies of the official code; this module only reads the
files, splits the keyframes by source (AVA movies vs Kinetics clips) and
accumulates per split.

Keyframe keys are ``"<video_id>,<timestamp>"`` with integer timestamps
written ``%04d`` (AVA's own ``0902`` form, so AVA proposal pickles match) and
fractional ones with 6 decimals, as the official AVA-Kinetics code does.
"""
import csv
import heapq
import os.path as osp
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import (Dict, Iterable, List, Optional, Sequence, Set, Tuple,
                    Union)

import numpy as np
from mmaction.evaluation.functional.ava_evaluation import metrics
from mmaction.evaluation.functional.ava_utils import read_labelmap, tpfp_single

AVA = 'ava'
KINETICS = 'kinetics'
SOURCES = (AVA, KINETICS)
# AVA keyframes are whole seconds of the 15th-30th minute of each movie.
AVA_TIME_RANGE = (900, 1800)
# mmaction2's AVA-Kinetics preparation names a Kinetics clip (and rewrites
# the csv video id as) <youtube_id>_<start:06d>_<end:06d>.
KINETICS_CLIP_RE = re.compile(r'^(?P<youtube_id>.+)_(?P<start>\d{6})_'
                              r'(?P<end>\d{6})$')

Box = List[float]  # [y1, x1, y2, x2], normalised, as the official code


class AnnotationError(ValueError):
    """A malformed line in an AVA / AVA-Kinetics file."""


def parse_timestamp(text: Union[str, int, float],
                    where: str = 'timestamp') -> Decimal:
    """A keyframe timestamp (seconds) as an exact decimal."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise AnnotationError(f'{where}: invalid timestamp {text!r}') from None
    if not value.is_finite():
        raise AnnotationError(f'{where}: invalid timestamp {text!r}')
    return value


def is_integral(value: Decimal) -> bool:
    return value == value.to_integral_value()


def keyframe_key(video_id: str, timestamp: Union[str, int, float,
                                                 Decimal]) -> str:
    """The identifier of a keyframe, shared by annotations and results.

    ``("0f39OWEqJ24", "0902") -> "0f39OWEqJ24,0902"`` (AVA, proposals use it)
    and ``("abcdefghijk", "12.5") -> "abcdefghijk,12.500000"``.
    """
    ts = timestamp if isinstance(timestamp, Decimal) else \
        parse_timestamp(timestamp)
    if is_integral(ts):
        return f'{video_id},{int(ts):04d}'
    return f'{video_id},{ts.quantize(Decimal("0.000001"))}'


def split_keyframe_key(key: str) -> Tuple[str, str]:
    """``"vid,0902" -> ("vid", "0902")`` (video ids never hold commas)."""
    video_id, _, timestamp = key.rpartition(',')
    return video_id, timestamp


def parse_kinetics_clip_name(name: str) -> Optional[Tuple[str, int, int]]:
    """``"<ytid>_000010_000020"`` -> ``("<ytid>", 10, 20)``, else None."""
    match = KINETICS_CLIP_RE.match(name)
    if match is None:
        return None
    return (match['youtube_id'], int(match['start']), int(match['end']))


def read_video_list(path: Optional[str]) -> Optional[Set[str]]:
    """Video ids, one a line (``ava_file_names_trainval_v2.1.txt`` works:
    file extensions are dropped)."""
    if path is None:
        return None
    if not osp.isfile(path):
        raise FileNotFoundError(f'video list {path} does not exist')
    ids = set()
    with open(path) as f:
        for line in f:
            name = line.strip()
            if name:
                ids.add(osp.splitext(name)[0] if '.' in name else name)
    return ids


def infer_source(video_id: str,
                 timestamp: Decimal,
                 ava_video_ids: Optional[Set[str]] = None,
                 ava_time_range: Tuple[int, int] = AVA_TIME_RANGE) -> str:
    """Which dataset a row of a mixed AVA-Kinetics csv comes from.

    1. A video id of the form ``<ytid>_<start:06d>_<end:06d>`` names a
       Kinetics clip.
    2. With a list of the AVA movie ids, a row is AVA iff its id is listed.
    3. Otherwise a row is AVA iff its timestamp is a whole second within
       the AVA range (900-1800 s); Kinetics keyframes elsewhere in their
       YouTube video, or fractional, are Kinetics. A Kinetics keyframe at a
       whole second between 900 and 1800 s would be taken for AVA: pass the
       AVA id list (or the Kinetics rows in a file of their own) to rule that
       out.
    """
    if KINETICS_CLIP_RE.match(video_id):
        return KINETICS
    if ava_video_ids is not None:
        return AVA if video_id in ava_video_ids else KINETICS
    low, high = ava_time_range
    if is_integral(timestamp) and low <= timestamp <= high:
        return AVA
    return KINETICS


@dataclass
class KeyframeBoxes:
    """Boxes of one annotation or detection file, per keyframe key."""
    boxes: Dict[str, List[Box]] = field(default_factory=dict)
    labels: Dict[str, List[int]] = field(default_factory=dict)
    scores: Dict[str, List[float]] = field(default_factory=dict)
    # every keyframe listed, including those without any box
    sources: Dict[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> Set[str]:
        return set(self.sources)

    def update(self, other: 'KeyframeBoxes') -> None:
        for key in other.sources:
            if key in self.sources and self.boxes.get(key) and \
                    other.boxes.get(key):
                raise AnnotationError(
                    f'keyframe {key} appears in two annotation files')
            self.sources[key] = other.sources[key]
            if key in other.boxes:
                self.boxes[key] = other.boxes[key]
                self.labels[key] = other.labels[key]
                self.scores[key] = other.scores[key]


Row = Tuple[str, Decimal, Optional[Box], Optional[int], float]


def parse_ava_row(row: Sequence[str], where: str,
                  score_column: bool = False) -> Row:
    """One csv row: ``video_id,timestamp[,x1,y1,x2,y2,action_id[,extra]]``.

    Args:
        row (Sequence[str]): The fields.
        where (str): ``"file:line"`` for error messages.
        score_column (bool): The 8th field is a detection score (results)
            rather than a person id (ground truth).

    Returns:
        tuple: ``(video_id, timestamp, box [y1, x1, y2, x2] or None,
        action_id or None, score)``.
    """
    if len(row) not in (2, 7, 8):
        raise AnnotationError(
            f'{where}: expected 2 (video_id,timestamp), 7 or 8 fields, got '
            f'{len(row)}: {",".join(row)!r}')
    video_id = row[0].strip()
    if not video_id:
        raise AnnotationError(f'{where}: empty video id')
    timestamp = parse_timestamp(row[1], where)
    if len(row) == 2:
        return video_id, timestamp, None, None, 1.0
    try:
        x1, y1, x2, y2 = (float(v) for v in row[2:6])
    except ValueError:
        raise AnnotationError(
            f'{where}: box fields x1,y1,x2,y2 must be numbers, got '
            f'{row[2:6]}') from None
    try:
        action_id = int(row[6])
    except ValueError:
        raise AnnotationError(
            f'{where}: action id must be an integer, got {row[6]!r}') from None
    score = 1.0
    if len(row) == 8 and score_column:
        try:
            score = float(row[7])
        except ValueError:
            raise AnnotationError(
                f'{where}: score must be a number, got {row[7]!r}') from None
    return video_id, timestamp, [y1, x1, y2, x2], action_id, score


def collect_keyframes(rows: Iterable[Row],
                      class_whitelist: Optional[Set[int]] = None,
                      capacity: int = 0,
                      source: Optional[str] = None,
                      ava_video_ids: Optional[Set[str]] = None
                      ) -> KeyframeBoxes:
    """Groups rows by keyframe as the official ``read_csv`` does.

    Boxes of classes outside ``class_whitelist`` are dropped; with
    ``capacity > 0`` only the ``capacity`` highest-scoring boxes of a
    keyframe are kept (official: 50 for detections). Boxes come out sorted by
    descending score.
    """
    if source is not None and source not in SOURCES:
        raise ValueError(f'source must be one of {SOURCES}, got {source!r}')
    entries = defaultdict(list)
    out = KeyframeBoxes()
    for video_id, timestamp, box, action_id, score in rows:
        key = keyframe_key(video_id, timestamp)
        out.sources[key] = source or infer_source(video_id, timestamp,
                                                  ava_video_ids)
        if box is None:
            continue
        if class_whitelist and action_id not in class_whitelist:
            continue
        item = (score, action_id, *box)
        heap = entries[key]
        if capacity < 1 or len(heap) < capacity:
            heapq.heappush(heap, item)
        elif score > heap[0][0]:
            heapq.heapreplace(heap, item)
    for key, heap in entries.items():
        items = sorted(heap, key=lambda tup: -tup[0])
        out.scores[key] = [it[0] for it in items]
        out.labels[key] = [it[1] for it in items]
        out.boxes[key] = [list(it[2:]) for it in items]
    return out


def read_ava_csv(path: str,
                 class_whitelist: Optional[Set[int]] = None,
                 capacity: int = 0,
                 source: Optional[str] = None,
                 ava_video_ids: Optional[Set[str]] = None,
                 score_column: bool = False) -> KeyframeBoxes:
    """Reads an AVA / AVA-Kinetics csv (ground truth or results).

    Args:
        path (str): The csv.
        class_whitelist (set[int], optional): Classes to keep.
        capacity (int): Boxes kept per keyframe (0: all).
        source (str, optional): 'ava' or 'kinetics' for every row; None
            infers it per row (:func:`infer_source`).
        ava_video_ids (set[str], optional): See :func:`infer_source`.
        score_column (bool): Read the 8th field as a score (results files).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'annotation file {path} does not exist')

    def rows():
        with open(path, newline='') as f:
            for lineno, row in enumerate(csv.reader(f), 1):
                if not row or not ''.join(row).strip():
                    continue
                yield parse_ava_row(row, f'{path}:{lineno}', score_column)

    return collect_keyframes(rows(), class_whitelist, capacity, source,
                             ava_video_ids)


def read_exclusions(path: Optional[str]) -> Set[str]:
    """Keys of the excluded keyframes (``video_id,timestamp`` per line)."""
    excluded = set()
    if path is None:
        return excluded
    if not osp.isfile(path):
        raise FileNotFoundError(f'exclusion file {path} does not exist')
    with open(path, newline='') as f:
        for lineno, row in enumerate(csv.reader(f), 1):
            if not row:
                continue
            if len(row) != 2:
                raise AnnotationError(
                    f'{path}:{lineno}: expected video_id,timestamp, got '
                    f'{",".join(row)!r}')
            excluded.add(
                keyframe_key(row[0].strip(),
                             parse_timestamp(row[1], f'{path}:{lineno}')))
    return excluded


def read_label_file(path: str) -> Tuple[List[dict], Set[int]]:
    """``(categories, class_ids)`` of a pbtxt label map (mmaction2's
    parser of the official format)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'label file {path} does not exist')
    with open(path) as f:
        categories, class_ids = read_labelmap(f)
    if not class_ids:
        raise AnnotationError(f'{path}: no "id:" entries (is it a pbtxt '
                              'label map?)')
    return categories, set(class_ids)


def _average_precision(scores: List[np.ndarray], tpfp: List[np.ndarray],
                       num_gt: int) -> float:
    scores_ = np.concatenate(scores) if scores else np.zeros(0, np.float32)
    tpfp_ = np.concatenate(tpfp) if tpfp else np.zeros(0, bool)
    precision, recall = metrics.compute_precision_recall(
        scores_.astype(np.float64), tpfp_.astype(bool), num_gt)
    return float(metrics.compute_average_precision(precision, recall))


Matches = Dict[str, Tuple[Dict[int, np.ndarray], Dict[int, np.ndarray]]]
PROGRESS_FROM = 5000  # keyframes; smaller evaluations run silently


def match_keyframes(groundtruth: KeyframeBoxes,
                    detections: KeyframeBoxes,
                    keys: Iterable[str],
                    iou_thr: float = 0.5) -> Matches:
    """Per keyframe and class, the detection scores and true-positive flags
    (official greedy matching in score order, mmaction2's ``tpfp_single``).

    Args:
        groundtruth (KeyframeBoxes): Ground truth.
        detections (KeyframeBoxes): Detections (sorted by score per
            keyframe, as :func:`collect_keyframes` returns them).
        keys (Iterable[str]): Keyframes to match.
        iou_thr (float): IoU for a true positive. Defaults to 0.5.

    Returns:
        dict: ``key -> (scores per class, true-positive flags per class)``
        for the keyframes with detections.
    """
    keys = [k for k in keys if detections.boxes.get(k)]
    progress = None
    if len(keys) >= PROGRESS_FROM:
        from mmengine.utils import ProgressBar
        progress = ProgressBar(len(keys))
    matches = {}
    for key in keys:
        matches[key] = tpfp_single(
            (groundtruth.boxes.get(key, []), groundtruth.labels.get(key, []),
             detections.boxes[key], detections.labels[key],
             detections.scores[key]), iou_thr)
        if progress is not None:
            progress.update()
    return matches


def frame_map(groundtruth: KeyframeBoxes,
              detections: KeyframeBoxes,
              class_ids: Iterable[int],
              keys: Iterable[str],
              iou_thr: float = 0.5,
              matches: Optional[Matches] = None
              ) -> Tuple[float, Dict[int, float]]:
    """Frame-mAP over the keyframes ``keys``.

    Args:
        groundtruth (KeyframeBoxes): Ground truth.
        detections (KeyframeBoxes): Detections (sorted by score per
            keyframe, as :func:`collect_keyframes` returns them).
        class_ids (Iterable[int]): Evaluated classes.
        keys (Iterable[str]): Keyframes to evaluate.
        iou_thr (float): IoU for a true positive. Defaults to 0.5.
        matches (dict, optional): :func:`match_keyframes` of (a superset
            of) ``keys``, to share the matching between splits.

    Returns:
        tuple[float, dict[int, float]]: mAP (NaN without ground truth) and
        the AP of every class that has ground truth among ``keys``.
    """
    keys = list(keys)
    if matches is None:
        matches = match_keyframes(groundtruth, detections, keys, iou_thr)
    class_ids = sorted(set(class_ids))
    num_gt = dict.fromkeys(class_ids, 0)
    scores = defaultdict(list)
    tpfps = defaultdict(list)
    for key in keys:
        for label in groundtruth.labels.get(key, []):
            if label in num_gt:
                num_gt[label] += 1
        if key not in matches:
            continue
        key_scores, key_tpfp = matches[key]
        for label in key_scores:
            scores[label].append(key_scores[label])
            tpfps[label].append(key_tpfp[label])
    aps = {
        label: _average_precision(scores[label], tpfps[label], num_gt[label])
        for label in class_ids if num_gt[label] > 0
    }
    mean_ap = float(np.mean(list(aps.values()))) if aps else float('nan')
    return mean_ap, aps


def ava_kinetics_eval(groundtruth: KeyframeBoxes,
                      detections: KeyframeBoxes,
                      class_ids: Iterable[int],
                      excluded_keys: Iterable[str] = (),
                      keys: Optional[Iterable[str]] = None,
                      iou_thr: float = 0.5) -> Dict[str, object]:
    """Frame-mAP overall and per source (AVA movies, Kinetics clips).

    Args:
        groundtruth (KeyframeBoxes): Ground truth with sources.
        detections (KeyframeBoxes): Detections.
        class_ids (Iterable[int]): Evaluated classes (the label map).
        excluded_keys (Iterable[str]): Keyframes left out entirely.
        keys (Iterable[str], optional): Evaluate only these ground-truth
            keyframes (e.g. those the model was run on); None: all.
        iou_thr (float): Defaults to 0.5.

    Returns:
        dict: ``overall`` and, for every source with ground truth, ``ava`` /
        ``kinetics`` (mAP in [0, 1]); ``per_class`` (AP per class, per
        split); ``num_keyframes`` (evaluated keyframes per split);
        ``num_ignored_detection_keyframes`` (detected keyframes that are not
        in the ground truth).
    """
    excluded = set(excluded_keys)
    eval_keys = groundtruth.keys - excluded
    if keys is not None:
        eval_keys &= set(keys)
    splits = {'overall': sorted(eval_keys)}
    for source in SOURCES:
        split = sorted(k for k in eval_keys
                       if groundtruth.sources[k] == source)
        if split:
            splits[source] = split
    matches = match_keyframes(groundtruth, detections, splits['overall'],
                              iou_thr)
    results: Dict[str, object] = {}
    per_class = {}
    for name, split_keys in splits.items():
        results[name], per_class[name] = frame_map(groundtruth, detections,
                                                   class_ids, split_keys,
                                                   iou_thr, matches)
    results['per_class'] = per_class
    results['num_keyframes'] = {k: len(v) for k, v in splits.items()}
    results['num_ignored_detection_keyframes'] = len(
        set(detections.boxes) - groundtruth.keys - excluded)
    return results


def write_ava_results(rows: Iterable[Tuple[str, Sequence[float], int, float]],
                      path: str) -> None:
    """Writes detections in the official submission format
    ``video_id,timestamp,x1,y1,x2,y2,action_id,score``.

    Args:
        rows: ``(keyframe_key, [x1, y1, x2, y2], action_id, score)``.
        path (str): Output csv.
    """
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        for key, box, action_id, score in rows:
            video_id, timestamp = split_keyframe_key(key)
            writer.writerow([video_id, timestamp] +
                            [f'{v:.3f}' for v in box] +
                            [int(action_id), f'{score:.6f}'])
