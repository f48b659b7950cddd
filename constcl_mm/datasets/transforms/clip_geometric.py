# Copyright (c) constcl_mm authors. All rights reserved.
"""Clip-consistent geometric augmentation of each view
(official_implementation.md §5.3).

One set of random parameters is drawn per view (clip) and applied to every
frame of that clip; the views get independent parameters.
"""
from typing import Dict, Sequence, Tuple, Union

import cv2
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from .view_utils import get_clips, get_views


def sample_distorted_crop(
        height: int,
        width: int,
        area_range: Tuple[float, float] = (0.3, 1.0),
        aspect_ratio_range: Tuple[float, float] = (0.5, 2.0),
        max_attempts: int = 100,
        min_object_covered: float = 0.1) -> Tuple[int, int, int, int]:
    """Random crop as TF's ``sample_distorted_bounding_box`` of the frame.

    Per attempt, the aspect ratio (width / height) is uniform in
    ``aspect_ratio_range``; the height is uniform over the integers whose
    area lies in ``area_range`` (relative to the frame); the position is
    uniform. The first crop covering at least ``min_object_covered`` of the
    frame is returned; after ``max_attempts`` failures, the whole frame.

    Args:
        height (int): Frame height.
        width (int): Frame width.
        area_range (tuple[float]): Relative crop area bounds.
        aspect_ratio_range (tuple[float]): Width / height bounds.
        max_attempts (int): Attempts before the whole-frame fallback.
        min_object_covered (float): Minimum fraction of the frame covered.

    Returns:
        tuple[int]: ``(x1, y1, x2, y2)`` in pixels, ``x2``/``y2`` exclusive.
    """
    min_area = area_range[0] * width * height
    max_area = area_range[1] * width * height
    for _ in range(max_attempts):
        aspect = np.random.uniform(*aspect_ratio_range)
        crop_h = int(np.rint(np.sqrt(min_area / aspect)))
        max_h = int(np.rint(np.sqrt(max_area / aspect)))
        if np.rint(max_h * aspect) > width:
            max_h = int((width + 0.5 - 1e-7) / aspect)
            if np.rint(max_h * aspect) > width:
                max_h -= 1
        max_h = min(max_h, height)
        crop_h = min(crop_h, max_h)
        if crop_h < max_h:
            crop_h += np.random.randint(0, max_h - crop_h + 1)
        crop_w = int(np.rint(crop_h * aspect))
        area = crop_w * crop_h
        if area < min_area:
            crop_h += 1
            crop_w = int(np.rint(crop_h * aspect))
            area = crop_w * crop_h
        if area > max_area:
            crop_h -= 1
            crop_w = int(np.rint(crop_h * aspect))
            area = crop_w * crop_h
        if (area < min_area or area > max_area or crop_w > width
                or crop_h > height or crop_w <= 0 or crop_h <= 0):
            continue
        if area < min_object_covered * width * height:
            continue
        y1 = np.random.randint(0, height - crop_h) if crop_h < height else 0
        x1 = np.random.randint(0, width - crop_w) if crop_w < width else 0
        return int(x1), int(y1), int(x1 + crop_w), int(y1 + crop_h)
    return 0, 0, int(width), int(height)


@TRANSFORMS.register_module()
class MultiViewRandomResizedCrop(BaseTransform):
    """Random resized crop, one crop per view shared by all its frames.

    The crop is drawn as in TF's ``sample_distorted_bounding_box``
    (:func:`sample_distorted_crop`) at the decoded resolution, then every
    frame of the clip is resized bilinearly to ``scale``.

    Required Keys:

        - imgs: ``(V, T, H, W, C)`` or a list of ``V`` clips (see
          :mod:`.view_utils`)

    Modified Keys:

        - imgs: ``(V, T, S_h, S_w, C)`` array, same dtype
        - img_shape

    Added Keys:

        - crop_bboxes: ``int64`` ``(V, 4)``, ``[x1, y1, x2, y2]`` pixels of
          the decoded frame (``x2``, ``y2`` exclusive)

    Args:
        scale (int | tuple[int]): Output size, ``S`` or ``(S_h, S_w)``.
            Defaults to 224.
        area_range (tuple[float]): Relative crop area. Defaults to
            ``(0.3, 1.0)``.
        aspect_ratio_range (tuple[float]): Crop width / height. Defaults to
            ``(0.5, 2.0)``.
        max_attempts (int): Attempts before using the whole frame.
            Defaults to 100.
        min_object_covered (float): Minimum covered frame fraction.
            Defaults to 0.1.
        interpolation (str): ``'bilinear'``, ``'nearest'``, ``'bicubic'`` or
            ``'area'``. Defaults to ``'bilinear'``.
    """

    _INTERP = dict(
        bilinear=cv2.INTER_LINEAR,
        nearest=cv2.INTER_NEAREST,
        bicubic=cv2.INTER_CUBIC,
        area=cv2.INTER_AREA)

    def __init__(self,
                 scale: Union[int, Sequence[int]] = 224,
                 area_range: Sequence[float] = (0.3, 1.0),
                 aspect_ratio_range: Sequence[float] = (0.5, 2.0),
                 max_attempts: int = 100,
                 min_object_covered: float = 0.1,
                 interpolation: str = 'bilinear') -> None:
        if isinstance(scale, int):
            scale = (scale, scale)
        scale = tuple(int(s) for s in scale)
        if len(scale) != 2 or min(scale) < 1:
            raise ValueError(f'scale must be S or (S_h, S_w), got {scale}')
        if not 0 < area_range[0] <= area_range[1] <= 1:
            raise ValueError(
                f'area_range must satisfy 0 < lo <= hi <= 1, got {area_range}')
        if not 0 < aspect_ratio_range[0] <= aspect_ratio_range[1]:
            raise ValueError('aspect_ratio_range must satisfy 0 < lo <= hi, '
                             f'got {aspect_ratio_range}')
        if interpolation not in self._INTERP:
            raise ValueError(f'interpolation must be one of '
                             f'{sorted(self._INTERP)}, got {interpolation!r}')
        self.scale = scale
        self.area_range = tuple(float(a) for a in area_range)
        self.aspect_ratio_range = tuple(float(a) for a in aspect_ratio_range)
        self.max_attempts = int(max_attempts)
        self.min_object_covered = float(min_object_covered)
        self.interpolation = interpolation

    def transform(self, results: Dict) -> Dict:
        """Crops and resizes each view of ``results['imgs']`` (views
        ``(V, T, H, W, C)``) and records the crops in ``crop_bboxes``."""
        clips = get_clips(results, self.__class__.__name__)
        if 'crop_bboxes' in results:
            raise ValueError('the views were already cropped (crop_bboxes is '
                             'set); MultiViewRandomResizedCrop runs once')
        num_views, clip_len = len(clips), len(clips[0])
        first = np.asarray(clips[0][0])
        height, width = first.shape[:2]
        out_h, out_w = self.scale
        out = np.empty(
            (num_views, clip_len, out_h, out_w) + first.shape[2:],
            dtype=first.dtype)
        boxes = np.zeros((num_views, 4), dtype=np.int64)
        interp = self._INTERP[self.interpolation]
        for v in range(num_views):
            x1, y1, x2, y2 = sample_distorted_crop(height, width,
                                                   self.area_range,
                                                   self.aspect_ratio_range,
                                                   self.max_attempts,
                                                   self.min_object_covered)
            boxes[v] = (x1, y1, x2, y2)
            for t in range(clip_len):
                resized = cv2.resize(
                    clips[v][t][y1:y2, x1:x2], (out_w, out_h),
                    interpolation=interp)
                out[v, t] = resized.reshape(out.shape[2:])
        results['imgs'] = out
        results['crop_bboxes'] = boxes
        results['img_shape'] = (out_h, out_w)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'area_range={self.area_range}, '
                f'aspect_ratio_range={self.aspect_ratio_range})')


@TRANSFORMS.register_module()
class MultiViewFlip(BaseTransform):
    """Horizontal flip decided once per view, applied to all its frames.

    Region boxes already present (``boxes``, normalised ``[x1, y1, x2, y2]``)
    are mirrored with their view, so the transform may run before or after
    a box generator.

    Required Keys:

        - imgs: ``(V, T, H, W, C)``

    Modified Keys:

        - imgs, boxes (optional)

    Added Keys:

        - flip: ``bool`` ``(V,)``
        - flip_direction: ``'horizontal'``

    Args:
        flip_ratio (float): Probability to flip each view. Defaults to 0.5.
    """

    def __init__(self, flip_ratio: float = 0.5) -> None:
        if not 0.0 <= flip_ratio <= 1.0:
            raise ValueError(f'flip_ratio must be in [0, 1], got {flip_ratio}')
        self.flip_ratio = float(flip_ratio)

    def transform(self, results: Dict) -> Dict:
        """Flips the chosen views of ``results['imgs']`` in place, with
        their boxes, and records which in ``flip``."""
        imgs = get_views(results, self.__class__.__name__)
        num_views = imgs.shape[0]
        flips = np.random.rand(num_views) < self.flip_ratio
        if 'flip' in results:
            raise ValueError('the views were already flipped (flip is set); '
                             'MultiViewFlip runs once')
        for v in np.flatnonzero(flips):
            for t in range(imgs.shape[1]):
                imgs[v, t] = cv2.flip(imgs[v, t], 1)
            if 'boxes' in results:
                boxes = results['boxes']
                x1 = 1.0 - boxes[v, :, 2]
                x2 = 1.0 - boxes[v, :, 0]
                boxes[v, :, 0], boxes[v, :, 2] = x1, x2
        results['imgs'] = imgs
        results['flip'] = flips
        results['flip_direction'] = 'horizontal'
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(flip_ratio={self.flip_ratio})'
