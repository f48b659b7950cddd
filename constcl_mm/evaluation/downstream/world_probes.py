# Copyright (c) constcl_mm authors. All rights reserved.
"""Video-level and region-level linear probes on the object world.

Frozen features of held-out videos of
:class:`~constcl_mm.datasets.object_world.ObjectWorld`, read by converged
linear classifiers:

* **video probe** (the scene label): globally pooled res5 of the global
  branch (the single res5 of CVRL);
* **region probe** (AVA with ground-truth boxes, in miniature): the object
  category and the motion class of every object visible on the keyframe,
  from the local branch's res5_1 (CVRL: its res5) averaged over time and
  ROI-pooled on the ground-truth box (ROIAlign bins averaged, as the neck
  pools regions).

Features are standardised with the statistics of the probe's training
split and read by a multinomial logistic regression solved by L-BFGS
(:func:`~.probe_separability.fit_logistic_regression`), its L2 penalty
chosen by 5-fold cross-validation on the training split only, and by a
cosine k-NN. Raw pixels pooled the same way give the pixel control.
"""
from typing import Dict, List, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ...datasets.synthetic_world import build_world
from ...models.utils.roi_align import roi_align_pooled
from .probe_separability import fit_logistic_regression, standardise

__all__ = [
    'WorldProbeClips', 'extract_world_features', 'pixel_world_features',
    'probe_accuracy', 'knn_accuracy', 'evaluate_world_probes'
]


class WorldProbeClips:
    """One clip per held-out video with its video and region labels.

    The clip takes ``clip_len`` frames every ``frame_interval`` frames,
    centred in the video, the whole frame at the rendered size (no crop, no
    flip). The regions are the objects at least ``min_visibility`` visible
    on the keyframe (``clip_len // 2``).

    Args:
        world (dict): :class:`ObjectWorld` settings (``type='objects'``).
        num_videos (int): Videos ``first_index ..`` to use.
        first_index (int): Defaults to 0.
        clip_len (int): Defaults to 16.
        frame_interval (int): Defaults to 2.
        min_visibility (float): Defaults to 0.5.
    """

    def __init__(self,
                 world: Dict,
                 num_videos: int,
                 first_index: int = 0,
                 clip_len: int = 16,
                 frame_interval: int = 2,
                 min_visibility: float = 0.5) -> None:
        self.world = build_world(world)
        if not hasattr(self.world, 'category_classes'):
            raise ValueError("WorldProbeClips needs the object world "
                             "(world type='objects')")
        span = (clip_len - 1) * frame_interval
        if span >= self.world.num_frames:
            raise ValueError(f'a {clip_len}x{frame_interval} clip does not '
                             f'fit videos of {self.world.num_frames} frames')
        start = (self.world.num_frames - 1 - span) // 2
        self.frame_inds = start + np.arange(clip_len) * frame_interval
        self.keyframe = clip_len // 2
        self.inputs: List[torch.Tensor] = []  # (3, T, H, W) uint8
        self.labels: List[int] = []
        self.boxes: List[torch.Tensor] = []  # (M, 4) normalised
        self.categories: List[int] = []
        self.motions: List[int] = []
        self.region_video: List[int] = []
        for index in range(first_index, first_index + num_videos):
            self._add(index, min_visibility)

    def _add(self, index: int, min_visibility: float) -> None:
        video = self.world.video(index)
        frames, boxes, vis = video.render(self.frame_inds)
        height, width = video.frame_size
        position = len(self.inputs)
        self.inputs.append(torch.from_numpy(frames).permute(3, 0, 1, 2))
        self.labels.append(video.label)
        key = self.keyframe
        keep = np.flatnonzero(vis[key] >= min_visibility)
        scale = np.array([width, height, width, height], np.float32)
        self.boxes.append(torch.from_numpy(boxes[key, keep] / scale))
        self.categories += [video.categories[m] for m in keep]
        self.motions += [video.motions[m] for m in keep]
        self.region_video += [position] * len(keep)

    def __len__(self) -> int:
        return len(self.inputs)


def _backbone(model: torch.nn.Module) -> torch.nn.Module:
    return getattr(model, 'backbone', model)


@torch.no_grad()
def extract_world_features(model: torch.nn.Module,
                           clips: WorldProbeClips,
                           batch_size: int = 16) -> Dict[str, torch.Tensor]:
    """Frozen video and region features of every clip.

    Args:
        model (nn.Module): A model with a ``ResNet3dY`` ``backbone`` (or the
            backbone itself), in eval mode during the call.
        clips (WorldProbeClips): The clips.
        batch_size (int): Clips per forward pass.

    Returns:
        dict: ``video`` ``(N, C)`` (GAP of the global res5), ``region``
        ``(M, C')`` (ROI-pooled time-averaged res5_1, or res5 without a
        local branch).
    """
    backbone = _backbone(model)
    saved_indices, was_training = backbone.out_indices, backbone.training
    has_global = 'global' in backbone.branches
    has_local = 'local' in backbone.branches
    backbone.out_indices = tuple(i
                                 for i, ok in ((3, has_global), (4, has_local))
                                 if ok)
    backbone.eval()
    device = next(backbone.parameters()).device
    video, region = [], []
    try:
        for start in range(0, len(clips), batch_size):
            stop = min(start + batch_size, len(clips))
            x = torch.stack(clips.inputs[start:stop]).to(device).float()
            out = backbone((x - 127.5) / 127.5)
            out = out if isinstance(out, (tuple, list)) else (out, )
            video.append(out[0].float().mean(dim=(2, 3, 4)).cpu())
            local = out[-1].float().mean(dim=2)  # (B, C, H, W)
            for k in range(stop - start):
                boxes = clips.boxes[start + k]
                if len(boxes):
                    region.append(
                        roi_align_pooled(local[k:k + 1],
                                         boxes[None].to(device))[0].cpu())
    finally:
        backbone.out_indices = saved_indices
        backbone.train(was_training)
    return dict(
        video=torch.cat(video),
        region=torch.cat(region) if region else torch.zeros(0, 1))


def pixel_world_features(clips: WorldProbeClips,
                         size: int = 8) -> Dict[str, torch.Tensor]:
    """The pixel control: the clip's mean frame pooled to ``size x size``
    (video) and, per region, the ROI-pooled mean frame and per-pixel
    temporal standard deviation (a motion-energy cue)."""
    video, region = [], []
    for inputs, boxes in zip(clips.inputs, clips.boxes):
        x = inputs.float() / 255  # (3, T, H, W)
        mean, std = x.mean(1), x.std(1)
        video.append(F.adaptive_avg_pool2d(mean, size).flatten())
        if len(boxes):
            maps = torch.cat([mean, std])[None]
            region.append(roi_align_pooled(maps, boxes[None])[0])
    return dict(
        video=torch.stack(video),
        region=torch.cat(region) if region else torch.zeros(0, 6))


def probe_accuracy(train_x: torch.Tensor,
                   train_y: torch.Tensor,
                   test_x: torch.Tensor,
                   test_y: torch.Tensor,
                   num_classes: int,
                   weight_decays: Sequence[float] = (1e-4, 1e-3, 1e-2, 1e-1),
                   folds: int = 5,
                   seed: int = 0) -> Dict[str, float]:
    """Test accuracy of a standardised L-BFGS logistic regression whose L2
    penalty is chosen by cross-validation on the training split.

    Returns:
        dict: ``top1``, ``weight_decay`` (chosen), ``cv_top1`` (its
        cross-validated training accuracy).
    """
    perm = torch.randperm(
        len(train_x), generator=torch.Generator().manual_seed(seed))
    splits = perm.chunk(folds)
    best = (-1.0, weight_decays[0])
    for wd in weight_decays:
        correct = 0
        for k in range(folds):
            held = splits[k]
            fit = torch.cat([s for j, s in enumerate(splits) if j != k])
            x_fit, x_held = standardise(train_x[fit], train_x[held])
            clf = fit_logistic_regression(x_fit, train_y[fit], num_classes, wd)
            with torch.no_grad():
                correct += int((clf(x_held).argmax(1) == train_y[held]).sum())
        acc = correct / len(train_x)
        if acc > best[0]:
            best = (acc, wd)
    x_train, x_test = standardise(train_x, test_x)
    clf = fit_logistic_regression(x_train, train_y, num_classes, best[1])
    with torch.no_grad():
        top1 = float((clf(x_test).argmax(1) == test_y).float().mean())
    return dict(top1=top1, weight_decay=best[1], cv_top1=best[0])


def knn_accuracy(train_x: torch.Tensor,
                 train_y: torch.Tensor,
                 test_x: torch.Tensor,
                 test_y: torch.Tensor,
                 num_classes: int,
                 k: int = 10) -> float:
    """Cosine k-NN on standardised features (votes weighted by
    similarity)."""
    x_train, x_test = standardise(train_x, test_x)
    sim = F.normalize(x_test, dim=1) @ F.normalize(x_train, dim=1).T
    top, idx = sim.topk(min(k, len(train_x)), dim=1)
    votes = torch.zeros(len(test_x), num_classes)
    votes.scatter_add_(1, train_y[idx], top.clamp_min(0) + 1e-6)
    return float((votes.argmax(1) == test_y).float().mean())


def _labels(clips: WorldProbeClips) -> Dict[str, torch.Tensor]:
    return dict(
        scene=torch.tensor(clips.labels),
        category=torch.tensor(clips.categories),
        motion=torch.tensor(clips.motions))


def evaluate_world_probes(train_features: Dict[str, torch.Tensor],
                          test_features: Dict[str, torch.Tensor],
                          train_clips: WorldProbeClips,
                          test_clips: WorldProbeClips,
                          seed: int = 0) -> Dict[str, float]:
    """Scene, category and motion probes (linear and k-NN) and the
    majority-class baseline of each.

    Returns:
        dict: ``<task>_top1``, ``<task>_knn``, ``<task>_majority`` for
        ``scene``, ``category``, ``motion``; ``num_train_regions``,
        ``num_test_regions``.
    """
    world = train_clips.world
    classes = dict(
        scene=len(world.classes),
        category=len(world.category_classes),
        motion=len(world.motion_classes))
    train_y, test_y = _labels(train_clips), _labels(test_clips)
    out = {}
    for task, num_classes in classes.items():
        kind = 'video' if task == 'scene' else 'region'
        x_train, x_test = train_features[kind], test_features[kind]
        scores = probe_accuracy(
            x_train,
            train_y[task],
            x_test,
            test_y[task],
            num_classes,
            seed=seed)
        out[f'{task}_top1'] = scores['top1']
        out[f'{task}_knn'] = knn_accuracy(x_train, train_y[task], x_test,
                                          test_y[task], num_classes)
        majority = int(torch.bincount(train_y[task]).argmax())
        out[f'{task}_majority'] = float(
            (test_y[task] == majority).float().mean())
    out['num_train_regions'] = len(train_clips.categories)
    out['num_test_regions'] = len(test_clips.categories)
    return out
