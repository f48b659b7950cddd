# Copyright (c) constcl_mm authors. All rights reserved.
"""SiamFC exemplar/search cropping of a training pair."""
import math
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform


def context_size(bbox: Sequence[float], context_amount: float = 0.5) -> float:
    """SiamFC's exemplar side: ``sqrt((w + p) * (h + p))``, ``p = c (w + h)``.

    Args:
        bbox (Sequence[float]): ``(x1, y1, x2, y2)``.
        context_amount (float): ``c``. Defaults to 0.5.
    """
    w, h = bbox[2] - bbox[0], bbox[3] - bbox[1]
    pad = context_amount * (w + h)
    return math.sqrt((w + pad) * (h + pad))


def crop_square(img: np.ndarray,
                center: Tuple[float, float],
                size: float,
                out_size: int,
                border: Optional[Sequence[float]] = None) -> np.ndarray:
    """Crops a square around ``center`` and resizes it (bilinear).

    Coordinates are continuous 0-based pixels (pixel ``i`` covers
    ``[i, i + 1)``); output pixel ``u`` samples the image at
    ``cx - size / 2 + (u + 0.5) * size / out_size``, the same mapping as the
    tracker's ``grid_sample`` crops at test time. Outside the image the
    crop takes ``border`` (default: the image's mean colour, as SiamFC).

    Args:
        img (ndarray): ``(H, W, C)``.
        center (tuple[float, float]): ``(cx, cy)``.
        size (float): Side of the square in image pixels.
        out_size (int): Side of the output.
        border (Sequence[float], optional): Fill colour.

    Returns:
        ndarray: ``(out_size, out_size, C)``, the dtype of ``img``.
    """
    if size <= 0:
        raise ValueError(f'crop size must be > 0, got {size}')
    if border is None:
        border = img.reshape(-1, img.shape[-1]).mean(0)
    scale = size / out_size
    x0 = center[0] - size / 2
    y0 = center[1] - size / 2
    matrix = np.array([[scale, 0, x0 + 0.5 * scale - 0.5],
                       [0, scale, y0 + 0.5 * scale - 0.5]],
                      dtype=np.float64)
    return cv2.warpAffine(
        img,
        matrix, (out_size, out_size),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=tuple(float(b) for b in border))


@TRANSFORMS.register_module()
class SiamFCPairCrop(BaseTransform):
    """Crops an exemplar and a search region like SiamFC training.

    The exemplar is a square of side :func:`context_size` around the target
    of the exemplar frame, resized to ``exemplar_size``; the search region is
    ``search_size / exemplar_size`` times larger around the target of the
    search frame, resized to ``search_size``, so the target has the same
    scale in both and sits in the centre of the search region, where the
    label map puts its positives. Training augmentation (SiamFC's
    stretch and crop): the search side is scaled by ``U(1 - s, 1 + s)``
    (``s = scale_jitter``) and its centre shifted by up to ``max_shift``
    output pixels. Every frame of a stack (a frame and its neighbours) gets
    the same crop, filled with its own mean colour outside the image.

    Required Keys: ``exemplar_imgs`` ``(T, H, W, 3)``, ``exemplar_bbox``
    ``(4, )``, ``search_imgs``, ``search_bbox`` (xyxy).

    Modified Keys: ``exemplar_imgs`` ``(T, e, e, 3)``, ``search_imgs``
    ``(T, s, s, 3)``.

    Added Keys: ``search_gt_bbox`` ``(1, 4)``, the target in the search crop.

    Args:
        exemplar_size (int): Defaults to 127.
        search_size (int): Defaults to 255.
        context_amount (float): Defaults to 0.5.
        scale_jitter (float): Defaults to 0.05.
        max_shift (float): Defaults to 4 (pixels of the search crop).
    """

    def __init__(self,
                 exemplar_size: int = 127,
                 search_size: int = 255,
                 context_amount: float = 0.5,
                 scale_jitter: float = 0.05,
                 max_shift: float = 4.) -> None:
        if not 0 < exemplar_size <= search_size:
            raise ValueError('need 0 < exemplar_size <= search_size, got '
                             f'{exemplar_size}, {search_size}')
        if not 0 <= scale_jitter < 1 or max_shift < 0:
            raise ValueError('need 0 <= scale_jitter < 1 and max_shift >= 0, '
                             f'got {scale_jitter}, {max_shift}')
        self.exemplar_size = exemplar_size
        self.search_size = search_size
        self.context_amount = context_amount
        self.scale_jitter = scale_jitter
        self.max_shift = max_shift

    @staticmethod
    def _crop_stack(imgs: np.ndarray, center, size, out_size) -> np.ndarray:
        return np.stack(
            [crop_square(img, center, size, out_size) for img in imgs])

    def transform(self, results: dict) -> dict:
        for key in ('exemplar_bbox', 'search_bbox'):
            bbox = np.asarray(results[key], dtype=np.float64).reshape(4)
            if not (np.isfinite(bbox).all() and bbox[2] > bbox[0]
                    and bbox[3] > bbox[1]):
                raise ValueError(f'{key} {bbox.tolist()} is not a valid box')
        ebox = np.asarray(results['exemplar_bbox'], np.float64).reshape(4)
        sbox = np.asarray(results['search_bbox'], np.float64).reshape(4)
        z_size = context_size(ebox, self.context_amount)
        results['exemplar_imgs'] = self._crop_stack(results['exemplar_imgs'],
                                                    ((ebox[0] + ebox[2]) / 2,
                                                     (ebox[1] + ebox[3]) / 2),
                                                    z_size, self.exemplar_size)

        ratio = self.search_size / self.exemplar_size
        x_size = context_size(sbox, self.context_amount) * ratio
        x_size *= np.random.uniform(1 - self.scale_jitter,
                                    1 + self.scale_jitter)
        px = x_size / self.search_size  # image pixels per crop pixel
        shift = np.random.uniform(-self.max_shift, self.max_shift, 2) * px
        cx = (sbox[0] + sbox[2]) / 2 + shift[0]
        cy = (sbox[1] + sbox[3]) / 2 + shift[1]
        results['search_imgs'] = self._crop_stack(results['search_imgs'],
                                                  (cx, cy), x_size,
                                                  self.search_size)
        x0, y0 = cx - x_size / 2, cy - x_size / 2
        results['search_gt_bbox'] = ((sbox - np.array([x0, y0, x0, y0])) /
                                     px).astype(np.float32)[None]
        results['img_shape'] = (self.search_size, self.search_size)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(exemplar_size='
                f'{self.exemplar_size}, search_size={self.search_size}, '
                f'context_amount={self.context_amount}, scale_jitter='
                f'{self.scale_jitter}, max_shift={self.max_shift})')
