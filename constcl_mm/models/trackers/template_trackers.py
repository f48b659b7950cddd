# Copyright (c) constcl_mm authors. All rights reserved.
"""Control trackers without learned features, for the tracking tables.

Both run through the same OTB dataset, sampler and :class:`SOTMetric` as
:class:`SiamFC` (they are models of the Runner's test loop), so their
scores are directly comparable with a network's:

* :class:`StaticBoxTracker`: the first-frame box in every frame, a tracker
  that never moves. Anything below it has learnt nothing usable.
* :class:`NCCTracker`: the first frame's pixels as a fixed template,
  matched by normalised cross-correlation (OpenCV's ``TM_CCOEFF_NORMED``)
  over a search region around the last position, at a few scales. What raw
  pixels achieve without any learning.
"""
import math
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmaction.registry import MODELS

from .base_ope_tracker import BaseOPETracker


def _default_preprocessor(cfg: Optional[dict]) -> dict:
    return dict(type='SOTDataPreprocessor') if cfg is None else cfg


def centre_frame(frames: torch.Tensor) -> np.ndarray:
    """The middle frame of a ``(T, 3, H, W)`` stack as ``(H, W, 3)``
    float32."""
    frame = frames[frames.shape[0] // 2].detach().float().cpu()
    return np.ascontiguousarray(frame.permute(1, 2, 0).numpy())


def crop_replicate(img: np.ndarray, x0: int, y0: int, w: int,
                   h: int) -> np.ndarray:
    """``img[y0:y0 + h, x0:x0 + w]`` with the border pixels repeated where
    the window leaves the image."""
    ys = np.clip(np.arange(y0, y0 + h), 0, img.shape[0] - 1)
    xs = np.clip(np.arange(x0, x0 + w), 0, img.shape[1] - 1)
    return img[ys[:, None], xs[None, :]]


@MODELS.register_module()
class StaticBoxTracker(BaseOPETracker):
    """Control: outputs the first frame's ground-truth box in every frame.

    Args:
        data_preprocessor (dict, optional): Defaults to
            :class:`SOTDataPreprocessor`.
    """

    def __init__(self, data_preprocessor: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=_default_preprocessor(data_preprocessor))

    def init(self, frames: torch.Tensor, bbox: torch.Tensor) -> None:
        self.memo = dict(bbox=bbox.detach().clone().cpu())

    def track(self, frames: torch.Tensor) -> Tuple[torch.Tensor, float]:
        return self.memo['bbox'].clone(), 0.


@MODELS.register_module()
class NCCTracker(BaseOPETracker):
    """Control: pixel template matching by normalised cross-correlation.

    At frame 0 the template is the ground-truth box's pixels of the centre
    frame (rounded to whole pixels). At every later frame the template,
    resized to the current target size times each of ``scales``, slides
    over a search window reaching ``search_factor`` x the target's longer
    side beyond it on every side, centred on the last position (pixels
    outside the image repeat the border). The best normalised
    cross-correlation (``cv2.TM_CCOEFF_NORMED``, in [-1, 1]; non-unit
    scales lose ``scale_penalty``) places the box; its size moves towards
    the best scale with rate ``scale_lr``. The template is never updated,
    like SiamFC's exemplar.

    Args:
        search_factor (float): Search margin in target sizes. Defaults to 1.
        scales (Sequence[float]): Template scales. Defaults to
            ``(1 / 1.05, 1, 1.05)``; ``(1.0,)`` is single-scale.
        scale_penalty (float): Subtracted from the scores of non-unit
            scales. Defaults to 0.02.
        scale_lr (float): Size update rate. Defaults to 0.5.
        min_size (int): Smallest template side in pixels. Defaults to 4.
        data_preprocessor (dict, optional): Defaults to
            :class:`SOTDataPreprocessor` (NCC does not depend on the
            normalisation).
    """

    def __init__(self,
                 search_factor: float = 1.0,
                 scales: Sequence[float] = (1 / 1.05, 1.0, 1.05),
                 scale_penalty: float = 0.02,
                 scale_lr: float = 0.5,
                 min_size: int = 4,
                 window_influence: float = 0.,
                 data_preprocessor: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=_default_preprocessor(data_preprocessor))
        if search_factor < 0 or not scales or min(scales) <= 0:
            raise ValueError('need search_factor >= 0 and positive scales, '
                             f'got {search_factor}, {tuple(scales)}')
        if not 0 <= scale_lr <= 1 or min_size < 1:
            raise ValueError('need 0 <= scale_lr <= 1 and min_size >= 1, got '
                             f'{scale_lr}, {min_size}')
        self.search_factor = float(search_factor)
        self.scales = tuple(float(s) for s in scales)
        self.scale_penalty = float(scale_penalty)
        self.scale_lr = float(scale_lr)
        self.min_size = int(min_size)
        self.window_influence = float(window_influence)

    def init(self, frames: torch.Tensor, bbox: torch.Tensor) -> None:
        img = centre_frame(frames)
        x1, y1, x2, y2 = (float(v) for v in bbox)
        if not (x2 > x1 and y2 > y1
                and all(math.isfinite(v) for v in (x1, y1, x2, y2))):
            raise ValueError(f'initial box {[x1, y1, x2, y2]} is not valid')
        w = max(int(round(x2 - x1)), self.min_size)
        h = max(int(round(y2 - y1)), self.min_size)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        template = crop_replicate(img, int(round(cx - w / 2)),
                                  int(round(cy - h / 2)), w, h)
        self.memo = dict(
            template=template,
            center=(cx, cy),
            size=(x2 - x1, y2 - y1),
            img_size=(img.shape[1], img.shape[0]))

    def _match(self, img: np.ndarray,
               scale: float) -> Tuple[float, float, float, int, int]:
        """Best NCC of the template at ``scale`` x the current size:
        ``(score, cx, cy, w, h)`` of the matched window."""
        memo = self.memo
        cx, cy = memo['center']
        w = max(int(round(memo['size'][0] * scale)), self.min_size)
        h = max(int(round(memo['size'][1] * scale)), self.min_size)
        template = cv2.resize(
            memo['template'], (w, h),
            interpolation=cv2.INTER_AREA
            if w < memo['template'].shape[1] else cv2.INTER_LINEAR)
        pad = int(math.ceil(self.search_factor * max(w, h)))
        x0 = int(round(cx - w / 2)) - pad
        y0 = int(round(cy - h / 2)) - pad
        region = crop_replicate(img, x0, y0, w + 2 * pad, h + 2 * pad)
        response = np.nan_to_num(
            cv2.matchTemplate(region, template, cv2.TM_CCOEFF_NORMED),
            nan=-1.,
            posinf=-1.,
            neginf=-1.)
        ranked = response
        if self.window_influence > 0:
            window = np.outer(
                np.hanning(response.shape[0] + 2)[1:-1],
                np.hanning(response.shape[1] + 2)[1:-1])
            ranked = (1 - self.window_influence) * response + \
                self.window_influence * window
        row, col = np.unravel_index(int(ranked.argmax()), ranked.shape)
        score = float(ranked[row, col])
        return score, x0 + col + w / 2, y0 + row + h / 2, w, h

    @torch.no_grad()
    def track(self, frames: torch.Tensor) -> Tuple[torch.Tensor, float]:
        img = centre_frame(frames)
        best = None
        for scale in self.scales:
            score, cx, cy, _, _ = self._match(img, scale)
            ranked = score if scale == 1 else score - self.scale_penalty
            if best is None or ranked > best[0]:
                best = (ranked, score, cx, cy, scale)
        _, score, cx, cy, scale = best
        memo = self.memo
        img_w, img_h = memo['img_size']
        factor = 1 - self.scale_lr + self.scale_lr * scale
        w = min(max(memo['size'][0] * factor, 1.), float(img_w))
        h = min(max(memo['size'][1] * factor, 1.), float(img_h))
        cx = min(max(cx, 0.), float(img_w))
        cy = min(max(cy, 0.), float(img_h))
        memo['center'], memo['size'] = (cx, cy), (w, h)
        bbox = torch.tensor([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        return bbox, score
