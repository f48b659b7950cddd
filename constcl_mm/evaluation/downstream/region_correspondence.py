# Copyright (c) constcl_mm authors. All rights reserved.
"""Region correspondence on held-out videos of the synthetic world.

Two clips of one video at different times (clip A from the first frame,
clip B ending at the last one), their keyframes' ground-truth object boxes,
local-branch region features pooled exactly as in pretraining (per-location
L2 normalisation, ROIAlign on the keyframe, averaged bins: the neck's
``region_features``), and argmax-cosine matching of every object of A among
the objects of B (and the reverse): top-1 accuracy against chance.
"""
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmaction.structures import ActionDataSample

from ...datasets.synthetic_world import build_world
from ...models.utils.normalize import l2_normalize
from ...models.utils.roi_align import roi_align_pooled
from ..functional.region_correspondence import region_match_accuracy


class CorrespondenceClips:
    """The evaluation clips of :func:`evaluate_region_correspondence`.

    Per video: clip A takes frames ``frame_interval * k`` and clip B frames
    ``L - 1 - span + frame_interval * k`` (k < clip_len, span =
    ``(clip_len - 1) * frame_interval``), both resized from the full frame to
    ``size`` (no crop, no flip: area 1 of the pretraining crops), with the
    boxes of the hero and the distractors on each keyframe (``clip_len //
    2``). An object is valid in a view when its visible fraction there is at
    least ``min_visibility``; videos with fewer than 2 objects valid in both
    views are left out (and counted).

    Args:
        world (dict, optional): :class:`SyntheticWorld` arguments.
        num_videos (int): Videos ``first_index ..`` to use.
        first_index (int): Defaults to 0.
        clip_len (int): Defaults to 16.
        frame_interval (int): Defaults to 2.
        size (int): Input side in pixels. Defaults to 64.
        min_visibility (float): Defaults to 0.5.
    """

    def __init__(self,
                 world: Optional[dict] = None,
                 num_videos: int = 64,
                 first_index: int = 0,
                 clip_len: int = 16,
                 frame_interval: int = 2,
                 size: int = 64,
                 min_visibility: float = 0.5) -> None:
        self.world = build_world(world)
        span = (clip_len - 1) * frame_interval
        last_start = self.world.num_frames - 1 - span
        if last_start <= 0:
            raise ValueError(
                f'videos of {self.world.num_frames} frames are too short for '
                f'two distinct {clip_len}x{frame_interval} clips')
        steps = np.arange(clip_len) * frame_interval
        self.frame_inds = np.stack([steps, last_start + steps])
        self.keyframe = clip_len // 2
        self.size = size
        self.inputs: List[torch.Tensor] = []  # (2, 3, T, S, S) uint8
        self.boxes: List[torch.Tensor] = []  # (2, M, 4) normalised
        self.valid: List[torch.Tensor] = []  # (2, M) bool
        self.video_indices: List[int] = []
        self.skipped = 0
        for index in range(first_index, first_index + num_videos):
            self._add(index, min_visibility)
        if not self.inputs:
            raise ValueError('no video has 2 objects visible in both clips')

    def _add(self, index: int, min_visibility: float) -> None:
        video = self.world.video(index)
        height, width = video.frame_size
        frames, boxes, vis = video.render(np.unique(self.frame_inds))
        lookup = {int(t): k for k, t in enumerate(np.unique(self.frame_inds))}
        key = [lookup[int(t)] for t in self.frame_inds[:, self.keyframe]]
        valid = vis[key] >= min_visibility  # (2, M)
        if int((valid[0] & valid[1]).sum()) < 2:
            self.skipped += 1
            return
        clips = np.stack([
            np.stack([
                cv2.resize(
                    frames[lookup[int(t)]], (self.size, self.size),
                    interpolation=cv2.INTER_AREA) for t in row
            ]) for row in self.frame_inds
        ])  # (2, T, S, S, 3)
        scale = np.array([width, height, width, height], dtype=np.float32)
        self.inputs.append(
            torch.from_numpy(clips).permute(0, 4, 1, 2, 3).contiguous())
        self.boxes.append(torch.from_numpy(boxes[key] / scale))
        self.valid.append(torch.from_numpy(valid))
        self.video_indices.append(index)

    def __len__(self) -> int:
        return len(self.inputs)

    def batch(self, indices: Sequence[int], max_objects: int) -> dict:
        """Packed samples for the model's data preprocessor, with boxes
        padded to ``max_objects`` (padding is invalid)."""
        samples = []
        for i in indices:
            boxes = torch.zeros(2, max_objects, 4)
            boxes[..., 2:] = 1.0
            valid = torch.zeros(2, max_objects, dtype=torch.bool)
            m = self.boxes[i].shape[1]
            boxes[:, :m] = self.boxes[i]
            valid[:, :m] = self.valid[i]
            sample = ActionDataSample()
            sample.set_field(boxes, 'boxes')
            sample.set_field(valid, 'box_valid')
            samples.append(sample)
        return dict(
            inputs=[self.inputs[i] for i in indices], data_samples=samples)


def region_features_of_model(model: torch.nn.Module, inputs: torch.Tensor,
                             boxes: torch.Tensor) -> torch.Tensor:
    """Region features as the local loss sees them.

    A ConSTCL model with a local branch pools its ``local_index`` output
    with the neck's ``region_features``; a model without one (CVRL) pools its
    ``global_index`` output (its only res5) the same way.

    Args:
        model (ConSTCL): The pretraining model (eval mode).
        inputs (Tensor): ``(2B, 3, T, H, W)`` from its data preprocessor.
        boxes (Tensor): ``(2B, N, 4)`` normalised ``[x1, y1, x2, y2]``.

    Returns:
        Tensor: ``(2B, N, C)``.
    """
    feats = model.extract_feat(inputs)
    if getattr(model, 'with_local', False):
        return model.neck.region_features(feats[model.local_index], boxes)
    feat = l2_normalize(feats[model.global_index].float(), dim=1)
    keyframe = feat[:, :, feat.shape[2] // 2]
    return roi_align_pooled(keyframe, boxes, 4, 0.5)


@torch.no_grad()
def evaluate_region_correspondence(model: torch.nn.Module,
                                   clips: CorrespondenceClips,
                                   batch_size: int = 8,
                                   return_matches: bool = False) -> Dict:
    """Top-1 region correspondence of ``model`` on ``clips``.

    Args:
        model (ConSTCL): Built pretraining model (any of random init, CVRL,
            ConST-CL); switched to eval mode.
        clips (CorrespondenceClips): The evaluation set.
        batch_size (int): Videos per forward pass. Defaults to 8.
        return_matches (bool): Also return, per video, the ``(2, M, C)``
            features (for figures). Defaults to False.

    Returns:
        dict: ``accuracy``, ``chance``, ``num_queries``, ``num_videos``,
        ``skipped_videos`` (and ``features`` with ``return_matches``).
    """
    model.eval()
    max_objects = max(b.shape[1] for b in clips.boxes)
    feats_a, feats_b, valid_a, valid_b = [], [], [], []
    for start in range(0, len(clips), batch_size):
        indices = list(range(start, min(start + batch_size, len(clips))))
        data = model.data_preprocessor(
            clips.batch(indices, max_objects), False)
        boxes = torch.stack([ds.boxes for ds in data['data_samples']
                             ]).to(data['inputs'])
        valid = torch.stack([ds.box_valid for ds in data['data_samples']])
        # (B, 2, N, 4) -> the (2B, N, 4) layout: view-a rows first
        boxes = boxes.transpose(0, 1).flatten(0, 1).float()
        region = region_features_of_model(model, data['inputs'], boxes)
        a, b = region.float().cpu().chunk(2, dim=0)
        feats_a.append(a)
        feats_b.append(b)
        valid_a.append(valid[:, 0])
        valid_b.append(valid[:, 1])
    feats_a, feats_b = torch.cat(feats_a), torch.cat(feats_b)
    valid_a, valid_b = torch.cat(valid_a), torch.cat(valid_b)
    out = region_match_accuracy(feats_a, feats_b, valid_a, valid_b)
    out.update(num_videos=len(clips), skipped_videos=clips.skipped)
    if return_matches:
        out['features'] = (feats_a, feats_b, valid_a, valid_b)
    return out


def draw_region_matches(clips: CorrespondenceClips,
                        video: int,
                        feats_a: torch.Tensor,
                        feats_b: torch.Tensor,
                        scale: int = 4) -> np.ndarray:
    """A picture of one video's matches: keyframe A | keyframe B.

    Each object of A is joined to the object of B its feature matches
    (argmax cosine), green when it is the same object, red otherwise.

    Args:
        clips (CorrespondenceClips): The evaluation set.
        video (int): Position in ``clips``.
        feats_a, feats_b (Tensor): ``(N, C)`` region features of that video.
        scale (int): Upscaling of the 64-px keyframes. Defaults to 4.

    Returns:
        np.ndarray: ``uint8`` RGB image.
    """
    key = clips.keyframe
    views = clips.inputs[video][:, :, key].permute(0, 2, 3, 1).numpy()
    side = clips.size * scale
    canvas = np.concatenate([
        cv2.resize(
            np.ascontiguousarray(v), (side, side),
            interpolation=cv2.INTER_NEAREST) for v in views
    ],
                            axis=1).copy()
    boxes = clips.boxes[video].numpy() * side
    valid = clips.valid[video].numpy()
    m = boxes.shape[1]
    sim = l2_normalize(feats_a[:m].float()) @ l2_normalize(
        feats_b[:m].float()).T
    sim[:, ~torch.from_numpy(valid[1])] = float('-inf')
    for view in (0, 1):
        for j in np.flatnonzero(valid[view]):
            x1, y1, x2, y2 = boxes[view, j]
            off = view * side
            cv2.rectangle(canvas, (int(x1) + off, int(y1)),
                          (int(x2) + off - 1, int(y2) - 1), (255, 255, 0), 1)
            cv2.putText(canvas, str(j), (int(x1) + off + 2, int(y1) + 12),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 0), 1)
    for i in np.flatnonzero(valid[0] & valid[1]):
        j = int(sim[i].argmax())
        centre_a = boxes[0, i].reshape(2, 2).mean(0)
        centre_b = boxes[1, j].reshape(2, 2).mean(0) + np.array([side, 0])
        colour = (0, 255, 0) if j == i else (255, 0, 0)
        cv2.line(canvas, tuple(int(c) for c in centre_a),
                 tuple(int(c) for c in centre_b), colour, 2)
    return canvas
