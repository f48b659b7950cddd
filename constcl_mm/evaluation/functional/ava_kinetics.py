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
are mmaction2's copies of the official code; this module splits the
keyframes by source (AVA movies vs Kinetics clips) and accumulates per split.
The files are read by :mod:`constcl_mm.datasets.ava_annotations`.
"""
import csv
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from mmaction.evaluation.functional.ava_evaluation import metrics
from mmaction.evaluation.functional.ava_utils import tpfp_single

from ...datasets.ava_annotations import (SOURCES, KeyframeBoxes,
                                         split_keyframe_key)


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
            (groundtruth.boxes.get(key, []), groundtruth.labels.get(
                key, []), detections.boxes[key], detections.labels[key],
             detections.scores[key]), iou_thr)
        if progress is not None:
            progress.update()
    return matches


def frame_map(
        groundtruth: KeyframeBoxes,
        detections: KeyframeBoxes,
        class_ids: Iterable[int],
        keys: Iterable[str],
        iou_thr: float = 0.5,
        matches: Optional[Matches] = None) -> Tuple[float, Dict[int, float]]:
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
            writer.writerow([video_id, timestamp] + [f'{v:.3f}' for v in box] +
                            [int(action_id), f'{score:.6f}'])
