# Copyright (c) constcl_mm authors. All rights reserved.
"""One-pass evaluation (OPE) of single-object tracking: the OTB toolkit maths.

Conventions (identical in the OTB MATLAB toolkit, got10k, pysot and
mmtracking's ``eval_sot_ope``, checked on the real OTB sequence Crossing):

* **Success**: per frame IoU of the predicted and ground-truth boxes; a frame
  succeeds at threshold ``t`` when ``IoU > t`` (strictly). The success curve
  uses the 21 thresholds ``0, 0.05, ..., 1``; the success score (AUC) is its
  mean, averaged over videos.
* **Precision**: per frame distance between box centres; a frame succeeds at
  ``d`` pixels when ``distance <= d``, for ``d = 0, 1, ..., 50``. The score is
  the curve at 20 px, averaged over videos.
* **Normalised precision**: the same with both centres divided by the
  ground-truth width and height, thresholds ``0, 0.01, ..., 0.5``; the score
  is the curve at 0.2.
* Boxes are ``(x1, y1, x2, y2)`` with ``w = x2 - x1`` (no ``+1``). The centre
  convention (``x1 + w / 2`` or OTB's ``x + (w - 1) / 2``) does not matter:
  both boxes shift alike, so distances are unchanged.
* Frames whose ground truth is invalid (non-finite, zero or negative size)
  count in the denominator but never succeed, as in the toolkits.
  :class:`~constcl_mm.datasets.OTB100Dataset` names them (``file:line``)
  in a warning when it is built.
* The first frame initialises the tracker (its prediction is the given
  box) and is scored like the others, as in the toolkits; a one-frame
  sequence would therefore score itself, so ``OTB100Dataset`` and
  :class:`SOTMetric` leave such sequences out and list them.

All scores here are fractions in [0, 1]; :class:`SOTMetric` reports x100.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np

IOU_THRS = np.linspace(0, 1, 21)
PIXEL_THRS = np.arange(0, 51, dtype=np.float64)
NORM_THRS = PIXEL_THRS / 100.
PRECISION_PIXELS = 20  # index into PIXEL_THRS / NORM_THRS (20 px / 0.2)


def bbox_iou_aligned(bboxes1: np.ndarray, bboxes2: np.ndarray) -> np.ndarray:
    """IoU of paired boxes.

    Args:
        bboxes1 (ndarray): ``(N, 4)`` boxes ``(x1, y1, x2, y2)``.
        bboxes2 (ndarray): ``(N, 4)`` boxes, paired with ``bboxes1``.

    Returns:
        ndarray: ``(N, )`` IoU; 0 where the union is empty.
    """
    bboxes1 = np.asarray(bboxes1, dtype=np.float64).reshape(-1, 4)
    bboxes2 = np.asarray(bboxes2, dtype=np.float64).reshape(-1, 4)
    lt = np.maximum(bboxes1[:, :2], bboxes2[:, :2])
    rb = np.minimum(bboxes1[:, 2:], bboxes2[:, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=1)
    area1 = np.prod(np.clip(bboxes1[:, 2:] - bboxes1[:, :2], 0, None), axis=1)
    area2 = np.prod(np.clip(bboxes2[:, 2:] - bboxes2[:, :2], 0, None), axis=1)
    union = area1 + area2 - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.)


def valid_gt_mask(gt_bboxes: np.ndarray) -> np.ndarray:
    """Frames whose ground truth is a finite box of positive size."""
    gt_bboxes = np.asarray(gt_bboxes, dtype=np.float64).reshape(-1, 4)
    finite = np.isfinite(gt_bboxes).all(axis=1)
    wh = np.where(finite[:, None], gt_bboxes[:, 2:] - gt_bboxes[:, :2], 0)
    return finite & (wh > 0).all(axis=1)


def success_overlap(gt_bboxes: np.ndarray,
                    pred_bboxes: np.ndarray,
                    iou_thrs: np.ndarray = IOU_THRS,
                    video_length: Optional[int] = None) -> np.ndarray:
    """Success curve: fraction of frames with ``IoU > thr``.

    Args:
        gt_bboxes (ndarray): ``(N, 4)`` ground truth, xyxy.
        pred_bboxes (ndarray): ``(N, 4)`` predictions, xyxy.
        iou_thrs (ndarray): IoU thresholds. Defaults to the 21 of OTB.
        video_length (int, optional): Denominator (frames in the video);
            defaults to ``N``.

    Returns:
        ndarray: ``(len(iou_thrs), )`` success rates.
    """
    video_length = len(gt_bboxes) if video_length is None else video_length
    ious = np.full(len(gt_bboxes), -1.)
    valid = valid_gt_mask(gt_bboxes)
    pred = np.asarray(pred_bboxes, dtype=np.float64).reshape(-1, 4)
    ious[valid] = np.nan_to_num(
        bbox_iou_aligned(gt_bboxes[valid], pred[valid]), nan=-1.)
    return (ious[None] > np.asarray(iou_thrs)[:, None]).sum(1) / max(
        video_length, 1)


def success_error(gt_centers: np.ndarray,
                  pred_centers: np.ndarray,
                  thrs: np.ndarray,
                  valid: np.ndarray,
                  video_length: Optional[int] = None) -> np.ndarray:
    """Precision curve: fraction of frames with ``distance <= thr``.

    Args:
        gt_centers (ndarray): ``(N, 2)`` ground-truth centres.
        pred_centers (ndarray): ``(N, 2)`` predicted centres.
        thrs (ndarray): Distance thresholds.
        valid (ndarray): ``(N, )`` bool, frames that may succeed.
        video_length (int, optional): Denominator; defaults to ``N``.

    Returns:
        ndarray: ``(len(thrs), )`` precision values.
    """
    video_length = len(gt_centers) if video_length is None else video_length
    dist = np.full(len(gt_centers), np.inf)
    diff = gt_centers[valid] - pred_centers[valid]
    dist[valid] = np.nan_to_num(np.sqrt((diff**2).sum(1)), nan=np.inf)
    return (dist[None] <= np.asarray(thrs)[:, None]).sum(1) / max(
        video_length, 1)


def _centers(bboxes: np.ndarray) -> np.ndarray:
    return (bboxes[:, :2] + bboxes[:, 2:]) / 2.


def eval_sot_ope_video(
        pred_bboxes: np.ndarray,
        gt_bboxes: np.ndarray,
        visible: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """Curves of one video.

    Args:
        pred_bboxes (ndarray): ``(N, 4)`` predictions, xyxy, one per frame.
        gt_bboxes (ndarray): ``(N, 4)`` ground truth, xyxy.
        visible (ndarray, optional): ``(N, )`` bool; frames outside it are
            not evaluated but still count in the denominator (mmtracking's
            ``only_eval_visible``). Defaults to all frames.

    Returns:
        dict: ``success`` (21, ), ``precision`` (51, ) and
        ``norm_precision`` (51, ) curves, fractions.
    """
    pred = np.asarray(pred_bboxes, dtype=np.float64).reshape(-1, 4)
    gt = np.asarray(gt_bboxes, dtype=np.float64).reshape(-1, 4)
    if len(pred) != len(gt):
        raise ValueError(f'{len(pred)} predicted boxes for {len(gt)} '
                         'ground-truth boxes')
    video_length = len(gt)
    if visible is not None:
        visible = np.asarray(visible, dtype=bool).reshape(-1)
        if len(visible) != video_length:
            raise ValueError(f'{len(visible)} visibility flags for '
                             f'{video_length} frames')
        pred, gt = pred[visible], gt[visible]
    valid = valid_gt_mask(gt)
    gt_c, pred_c = _centers(gt), _centers(pred)
    gt_wh = np.where(valid[:, None], gt[:, 2:] - gt[:, :2], 1.)
    return dict(
        success=success_overlap(gt, pred, IOU_THRS, video_length),
        precision=success_error(gt_c, pred_c, PIXEL_THRS, valid, video_length),
        norm_precision=success_error(gt_c / gt_wh, pred_c / gt_wh, NORM_THRS,
                                     valid, video_length))


def eval_sot_ope(
        results: Sequence[np.ndarray],
        annotations: Sequence[np.ndarray],
        visible_infos: Optional[Sequence[np.ndarray]] = None
) -> Dict[str, object]:
    """OPE over videos (OTB toolkit / mmtracking ``eval_sot_ope``).

    Args:
        results (list[ndarray]): Per video ``(N_i, 4)`` predictions, xyxy.
        annotations (list[ndarray]): Per video ``(N_i, 4)`` ground truth.
        visible_infos (list[ndarray], optional): Per video ``(N_i, )`` bool.

    Returns:
        dict: ``success`` (AUC), ``precision`` (at 20 px) and
        ``norm_precision`` (at 0.2) as fractions averaged over videos; the
        mean curves ``success_curve`` (21, ), ``precision_curve`` (51, ),
        ``norm_precision_curve`` (51, ); and ``per_video``, a list of dicts
        with the same three scores and curves for each video.
    """
    if len(results) != len(annotations):
        raise ValueError(f'{len(results)} result videos for '
                         f'{len(annotations)} annotated videos')
    if not results:
        raise ValueError('no video to evaluate')
    if visible_infos is None:
        visible_infos = [None] * len(results)
    per_video: List[Dict[str, object]] = []
    for pred, gt, visible in zip(results, annotations, visible_infos):
        curves = eval_sot_ope_video(pred, gt, visible)
        per_video.append(
            dict(
                success=float(curves['success'].mean()),
                precision=float(curves['precision'][PRECISION_PIXELS]),
                norm_precision=float(
                    curves['norm_precision'][PRECISION_PIXELS]),
                success_curve=curves['success'],
                precision_curve=curves['precision'],
                norm_precision_curve=curves['norm_precision']))
    success_curve = np.mean([v['success_curve'] for v in per_video], axis=0)
    precision_curve = np.mean([v['precision_curve'] for v in per_video],
                              axis=0)
    norm_curve = np.mean([v['norm_precision_curve'] for v in per_video],
                         axis=0)
    return dict(
        success=float(success_curve.mean()),
        precision=float(precision_curve[PRECISION_PIXELS]),
        norm_precision=float(norm_curve[PRECISION_PIXELS]),
        success_curve=success_curve,
        precision_curve=precision_curve,
        norm_precision_curve=norm_curve,
        per_video=per_video)
