# Copyright (c) constcl_mm authors. All rights reserved.
"""Dense correspondence by label propagation (semi-supervised video object
segmentation without training a readout).

The evaluation of the self-supervised correspondence literature (TimeCycle,
UVC, CRW, VFS on DAVIS-2017), written for short clips on the CPU:

1. The first frame's object masks become a soft label map of ``K + 1``
   channels (background + ``K`` objects) at the feature resolution (area
   downsampling: each feature cell holds the fraction of its pixels per
   label).
2. Frame ``t`` is labelled from a queue of context frames, the first frame
   (ground truth) plus the last ``context`` predicted frames (their soft
   labels): the cosine affinity of every position of frame ``t`` to every
   position of the context frames within ``radius`` feature cells
   (Euclidean, in every context frame), keeping the ``topk`` largest over
   all context frames, a softmax at ``temperature`` over those, and the
   weighted sum of their labels.
3. The predicted soft labels are upsampled bilinearly to the mask
   resolution; the argmax is the segmentation.
4. J (region IoU, the DAVIS region similarity) per object and frame,
   excluding the first frame; a frame where the object is absent from both
   the ground truth and the prediction scores 1. Averaged over frames per
   object; the J-recall is the fraction of frames with IoU > 0.5.

The defaults are those of CRW's DAVIS evaluation (top-k 10, radius 12,
temperature 0.05), except the queue: 7 predicted frames instead of 20,
since these clips have 8-16 feature frames.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from ...models.utils.normalize import l2_normalize

JRECALL_THRESHOLD = 0.5
AFFINITY_BUDGET = 1 << 24  # affinities held at once (64 MB of float32)


def check_propagation_args(context: int, radius: Optional[float], topk: int,
                           temperature: float) -> None:
    """Raises ``ValueError`` naming the argument and the allowed values.

    Args:
        context (int): Predicted frames in the queue, ``>= 0``.
        radius (float, optional): Neighbourhood radius in feature cells,
            ``None`` (no limit) or ``>= 0``.
        topk (int): Affinities kept per position, ``>= 1``.
        temperature (float): Softmax temperature, ``> 0`` and finite.
    """
    if isinstance(context, bool) or not isinstance(context, int) \
            or context < 0:
        raise ValueError('label propagation: context must be an int >= 0 '
                         f'(predicted frames in the queue), got {context!r}')
    if radius is not None and (isinstance(
            radius, bool) or not isinstance(radius,
                                            (int, float)) or not radius >= 0):
        raise ValueError('label propagation: radius must be None (all '
                         'positions) or a number >= 0 of feature cells, got '
                         f'{radius!r}')
    if isinstance(topk, bool) or not isinstance(topk, int) or topk < 1:
        raise ValueError(
            f'label propagation: topk must be an int >= 1, got {topk!r}')
    if isinstance(temperature, bool) or not isinstance(
            temperature, (int, float)) or not 0 < temperature < math.inf:
        raise ValueError('label propagation: temperature must be a finite '
                         f'number > 0, got {temperature!r}')


def neighbourhood_mask(
        height: int,
        width: int,
        radius: Optional[float],
        device: Optional[torch.device] = None) -> Optional[torch.Tensor]:
    """Which key positions each query position may attend to.

    Args:
        height, width (int): Feature map size ``(h, w)``.
        radius (float, optional): Largest Euclidean distance in feature
            cells; ``None`` allows every position.
        device (torch.device, optional): Device of the mask.

    Returns:
        Tensor or None: ``(h * w, h * w)`` bool, ``[query, key]`` (row-major
        positions), or None when every position is allowed.
    """
    if radius is None or radius >= math.hypot(height - 1, width - 1):
        return None
    ys, xs = torch.meshgrid(
        torch.arange(height, device=device, dtype=torch.float32),
        torch.arange(width, device=device, dtype=torch.float32),
        indexing='ij')
    grid = torch.stack([ys.flatten(), xs.flatten()], dim=1)
    return torch.cdist(grid, grid) <= radius + 1e-6


def context_frames(t: int, context: int) -> List[int]:
    """The queue of frame ``t``: frame 0 and the last ``context`` frames
    before ``t`` (frame 0 counted once)."""
    return [0] + list(range(max(1, t - context), t))


def _propagate_rows(query: torch.Tensor, ctx_keys: torch.Tensor,
                    ctx_labels: torch.Tensor, allowed: Optional[torch.Tensor],
                    topk: int, temperature: float) -> torch.Tensor:
    """Labels of some query positions of one frame.

    Args:
        query (Tensor): ``(q, C)`` unit features of the query positions.
        ctx_keys (Tensor): ``(n, hw, C)`` unit features of the context.
        ctx_labels (Tensor): ``(n * hw, L)`` their soft labels.
        allowed (Tensor, optional): ``(q, hw)`` bool neighbourhood.
        topk (int): Affinities kept per query.
        temperature (float): Softmax temperature.

    Returns:
        Tensor: ``(q, L)``.
    """
    affinity = torch.einsum('qc,nkc->qnk', query, ctx_keys)
    if allowed is not None:
        affinity = affinity.masked_fill(~allowed[:, None, :], float('-inf'))
    affinity = affinity.flatten(1)  # (q, n * hw)
    values, index = affinity.topk(min(topk, affinity.shape[1]), dim=1)
    weights = torch.softmax(values / temperature, dim=1)  # (q, k)
    return torch.einsum('qk,qkl->ql', weights, ctx_labels[index])


def propagate_labels(feats: torch.Tensor,
                     first_labels: torch.Tensor,
                     context: int = 7,
                     radius: Optional[float] = 12,
                     topk: int = 10,
                     temperature: float = 0.05) -> torch.Tensor:
    """Propagates the first frame's labels through the clip, frame by frame.

    Args:
        feats (Tensor): ``(T, C, h, w)`` features per frame; L2-normalised
            over ``C`` here (cosine affinities).
        first_labels (Tensor): ``(L, h, w)`` soft labels of frame 0 (``L =
            K + 1`` channels with the background, e.g. from
            :func:`labels_from_mask`).
        context (int): Predicted frames in the queue besides frame 0.
            Defaults to 7.
        radius (float, optional): Neighbourhood in feature cells; None for
            all positions. Defaults to 12.
        topk (int): Affinities kept per position (over all context frames).
            Defaults to 10.
        temperature (float): Softmax temperature. Defaults to 0.05.

    Returns:
        Tensor: ``(T, L, h, w)`` float32 soft labels; frame 0 is
        ``first_labels``.
    """
    check_propagation_args(context, radius, topk, temperature)
    if feats.dim() != 4:
        raise ValueError('label propagation: feats must be (T, C, h, w), got '
                         f'{tuple(feats.shape)}')
    num_frames, _, height, width = feats.shape
    if first_labels.dim() != 3 or first_labels.shape[1:] != (height, width):
        raise ValueError(
            f'label propagation: first_labels must be (L, {height}, {width}) '
            f'like the features, got {tuple(first_labels.shape)}')
    # (T, hw, C) unit vectors
    keys = l2_normalize(feats.float().flatten(2).transpose(1, 2), dim=2)
    allowed = neighbourhood_mask(height, width, radius, feats.device)
    labels = [first_labels.float().flatten(1).T]  # (hw, L) per frame
    for t in range(1, num_frames):
        queue = context_frames(t, context)
        ctx_labels = torch.cat([labels[i] for i in queue])  # (n * hw, L)
        # query rows in chunks: at most ~16M affinities at a time
        step = max(1, AFFINITY_BUDGET // ctx_labels.shape[0])
        labels.append(
            torch.cat([
                _propagate_rows(
                    keys[t, q:q + step], keys[queue], ctx_labels,
                    None if allowed is None else allowed[q:q + step], topk,
                    temperature) for q in range(0, height * width, step)
            ]))
    return torch.stack(labels).transpose(1, 2).reshape(num_frames, -1, height,
                                                       width)


def relabel_objects(masks: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Keeps the objects of frame 0, numbered ``1..K`` in id order.

    Args:
        masks (Tensor): ``(T, H, W)`` integer object ids, 0 = background.

    Returns:
        tuple[Tensor, Tensor]: ``(T, H, W)`` int64 masks in ``0..K`` (objects
        absent from frame 0 become background) and the ``(K,)`` original ids.
    """
    if masks.dim() != 3:
        raise ValueError(
            f'masks must be (T, H, W) object ids, got {tuple(masks.shape)}')
    if masks.dtype.is_floating_point or masks.dtype == torch.bool:
        raise ValueError(
            f'masks must be integer object ids, got {masks.dtype}')
    masks = masks.long()
    if int(masks.min()) < 0:
        raise ValueError('masks must be >= 0 (0 = background), got '
                         f'{int(masks.min())}')
    ids = torch.unique(masks[0])
    ids = ids[ids != 0]
    lookup = torch.zeros(int(masks.max()) + 1, dtype=torch.long)
    lookup[ids] = torch.arange(1, len(ids) + 1)
    return lookup[masks], ids


def labels_from_mask(mask: torch.Tensor, num_objects: int,
                     size: Sequence[int]) -> torch.Tensor:
    """Soft label map of a mask at the feature resolution.

    Args:
        mask (Tensor): ``(H, W)`` int64 in ``0..K``.
        num_objects (int): ``K``.
        size (tuple[int, int]): Feature size ``(h, w)``.

    Returns:
        Tensor: ``(K + 1, h, w)`` float32, per cell the fraction of its
        pixels with each label (area downsampling).
    """
    one_hot = F.one_hot(mask.long(), num_objects + 1).permute(2, 0, 1)
    return F.interpolate(
        one_hot[None].float(), size=tuple(size), mode='area')[0]


def labels_to_masks(labels: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Segmentations from soft labels.

    Args:
        labels (Tensor): ``(T, L, h, w)`` soft labels.
        size (tuple[int, int]): Mask size ``(H, W)``.

    Returns:
        Tensor: ``(T, H, W)`` int64 argmax of the bilinearly upsampled
        labels.
    """
    up = F.interpolate(
        labels.float(), size=tuple(size), mode='bilinear', align_corners=False)
    return up.argmax(dim=1)


def region_iou(pred: torch.Tensor, gt: torch.Tensor,
               num_objects: int) -> torch.Tensor:
    """J (region IoU) per object and frame.

    Args:
        pred, gt (Tensor): ``(T, H, W)`` int64 in ``0..K``.
        num_objects (int): ``K``.

    Returns:
        Tensor: ``(K, T)`` float64 IoU; 1 where the object is in neither.
    """
    if pred.shape != gt.shape:
        raise ValueError(f'prediction {tuple(pred.shape)} and ground truth '
                         f'{tuple(gt.shape)} differ in shape')
    objects = torch.arange(1, num_objects + 1, device=gt.device)
    p = pred[None] == objects[:, None, None, None]  # (K, T, H, W)
    g = gt[None] == objects[:, None, None, None]
    inter = (p & g).flatten(2).sum(2).double()
    union = (p | g).flatten(2).sum(2).double()
    return torch.where(union > 0, inter / union.clamp_min(1),
                       torch.ones_like(union))


def score_video(pred: torch.Tensor, gt: torch.Tensor,
                num_objects: int) -> Dict:
    """J of one video, the first frame excluded.

    Args:
        pred, gt (Tensor): ``(T, H, W)`` int64 in ``0..K`` (``T >= 2``).
        num_objects (int): ``K >= 1``.

    Returns:
        dict: ``j_per_object`` and ``recall_per_object`` (lists of K
        floats: mean IoU over frames ``1..T-1``, fraction of those frames
        with IoU > 0.5), ``j_mean`` (mean over objects) and ``iou`` (the
        ``(K, T - 1)`` tensor).
    """
    if gt.shape[0] < 2:
        raise ValueError('J needs at least 2 frames (frame 0 is the given '
                         f'one), got {gt.shape[0]}')
    iou = region_iou(pred, gt, num_objects)[:, 1:]
    per_object = iou.mean(1)
    return dict(
        iou=iou,
        j_per_object=per_object.tolist(),
        recall_per_object=(iou > JRECALL_THRESHOLD).double().mean(1).tolist(),
        j_mean=float(per_object.mean()))


def propagate_video(feats: torch.Tensor, masks: torch.Tensor,
                    **kwargs) -> Dict:
    """Label propagation of one video and its J.

    Args:
        feats (Tensor): ``(T, C, h, w)`` features of the scored frames.
        masks (Tensor): ``(T, H, W)`` integer ground-truth ids of the same
            frames (0 = background); the objects of frame 0 are propagated.
        **kwargs: :func:`propagate_labels` arguments (``context``,
            ``radius``, ``topk``, ``temperature``).

    Returns:
        dict: :func:`score_video` entries plus ``prediction`` and ``gt``
        (``(T, H, W)`` int64 in ``0..K``), ``object_ids`` (``(K,)``
        original ids) and ``num_objects``; with no object in frame 0 only
        ``num_objects=0`` and ``object_ids``.
    """
    if feats.shape[0] != masks.shape[0]:
        raise ValueError(f'{feats.shape[0]} feature frames for '
                         f'{masks.shape[0]} mask frames')
    gt, ids = relabel_objects(masks)
    if len(ids) == 0:
        return dict(num_objects=0, object_ids=ids)
    first = labels_from_mask(gt[0], len(ids), feats.shape[2:])
    labels = propagate_labels(feats, first, **kwargs)
    pred = labels_to_masks(labels, gt.shape[1:])
    out = score_video(pred, gt, len(ids))
    out.update(prediction=pred, gt=gt, object_ids=ids, num_objects=len(ids))
    return out


def summarize_videos(videos: Sequence[Dict]) -> Dict:
    """Dataset J from per-video results.

    Args:
        videos (Sequence[dict]): :func:`propagate_video` /
            :func:`score_video` results; videos without objects are counted
            in ``skipped_videos``.

    Returns:
        dict: ``j_mean`` (over all objects of all videos, the DAVIS
        convention), ``j_recall`` (likewise), ``j_per_video`` (per-video
        means over objects), ``num_videos`` (scored), ``num_objects`` and
        ``skipped_videos``.
    """
    scored = [v for v in videos if v.get('num_objects', 1) > 0]
    if not scored:
        raise ValueError('label propagation: no video has an object in its '
                         'first frame')
    per_object = [j for v in scored for j in v['j_per_object']]
    recall = [r for v in scored for r in v['recall_per_object']]
    return dict(
        j_mean=sum(per_object) / len(per_object),
        j_recall=sum(recall) / len(recall),
        j_per_video=[v['j_mean'] for v in scored],
        num_videos=len(scored),
        num_objects=len(per_object),
        skipped_videos=len(videos) - len(scored))
