# Copyright (c) constcl_mm authors. All rights reserved.
"""Region boxes of each view's keyframe, and the box-type config switch.

Every generator writes, for the keyframe of each view (frame
``keyframe_index = clip_len // 2`` of the clip), up to ``num_boxes`` boxes
as normalised ``[x1, y1, x2, y2]`` in ``[0, 1]`` of the view's **final**
crop (after crop, resize and flip). Missing boxes are padded with the whole
frame ``[0, 0, 1, 1]`` and marked invalid.

Place the generator after :class:`MultiViewRandomResizedCrop` and
:class:`MultiViewFlip` and before the colour transforms: proposals need the
recorded crop and flip, and the segment generators then see natural colours.
Random boxes do not depend on the image at all.
"""
from abc import ABCMeta, abstractmethod
from typing import Dict

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from .view_utils import get_views

#: Box used for padding (``box_valid`` is False there).
PAD_BOX = np.array([0.0, 0.0, 1.0, 1.0], dtype=np.float32)


def mirror_boxes(boxes: np.ndarray) -> np.ndarray:
    """Horizontal mirror of normalised ``[x1, y1, x2, y2]`` boxes.

    Args:
        boxes (np.ndarray): ``(..., 4)`` boxes in ``[0, 1]``.

    Returns:
        np.ndarray: ``(..., 4)`` mirrored boxes (``x -> 1 - x``).
    """
    out = np.array(boxes, dtype=np.float32, copy=True)
    out[..., 0] = 1.0 - boxes[..., 2]
    out[..., 2] = 1.0 - boxes[..., 0]
    return out


class BaseRegionBoxes(BaseTransform, metaclass=ABCMeta):
    """Base class of the region-box generators.

    Required Keys:

        - imgs: ``(V, T, H, W, C)``
        - keyframe_index (optional, defaults to ``T // 2``)

    Added Keys:

        - boxes: ``float32`` ``(V, N, 4)``, normalised ``[x1, y1, x2, y2]``
        - box_valid: ``bool`` ``(V, N)``
        - box_type: the generator name
        - keyframe_index

    Args:
        num_boxes (int): ``N``, boxes per view.
    """

    box_type = 'base'

    def __init__(self, num_boxes: int) -> None:
        if int(num_boxes) < 1:
            raise ValueError(f'num_boxes must be >= 1, got {num_boxes}')
        self.num_boxes = int(num_boxes)

    @abstractmethod
    def generate(self, results: Dict, view: int,
                 keyframe_index: int) -> np.ndarray:
        """Boxes of one view, best first.

        Args:
            results (dict): The result dict.
            view (int): View index.
            keyframe_index (int): Frame of the clip the boxes belong to.

        Returns:
            np.ndarray: ``(K, 4)`` normalised ``[x1, y1, x2, y2]`` boxes in
            the view's final crop; only the first ``num_boxes`` are kept.
        """

    def transform(self, results: Dict) -> Dict:
        """Adds ``boxes`` / ``box_valid`` for every view of
        ``results['imgs']`` (on its keyframe)."""
        imgs = get_views(results, self.__class__.__name__)
        num_views, clip_len = imgs.shape[:2]
        keyframe = int(results.get('keyframe_index', clip_len // 2))
        if not 0 <= keyframe < clip_len:
            raise ValueError(f'keyframe_index {keyframe} is outside the '
                             f'clip of {clip_len} frames')
        boxes = np.tile(PAD_BOX, (num_views, self.num_boxes, 1))
        valid = np.zeros((num_views, self.num_boxes), dtype=bool)
        for v in range(num_views):
            found = np.asarray(
                self.generate(results, v, keyframe),
                dtype=np.float32).reshape(-1, 4)[:self.num_boxes]
            boxes[v, :len(found)] = found
            valid[v, :len(found)] = True
        results['boxes'] = boxes
        results['box_valid'] = valid
        results['box_type'] = self.box_type
        results['keyframe_index'] = keyframe
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(num_boxes={self.num_boxes})'


@TRANSFORMS.register_module()
class GenerateRegionBoxes(BaseTransform):
    """Config switch over the box generators.

    ``box_type`` picks the generator; the other arguments go to it:

    ======================  =================================  ============
    ``box_type``            generator                          default N
    ======================  =================================  ============
    ``'random'``            :class:`RandomRegionBoxes`         8
    ``'slic'``              :class:`SLICRegionBoxes`           16
    ``'felzenszwalb'``      :class:`FelzenszwalbRegionBoxes`   16
    ``'proposals'``         :class:`ProposalRegionBoxes`       8
    ======================  =================================  ============

    Args:
        box_type (str): The generator. Defaults to ``'random'``.
        **kwargs: Arguments of the chosen generator.
    """

    GENERATORS = dict(
        random='RandomRegionBoxes',
        slic='SLICRegionBoxes',
        felzenszwalb='FelzenszwalbRegionBoxes',
        proposals='ProposalRegionBoxes')

    def __init__(self, box_type: str = 'random', **kwargs) -> None:
        if box_type not in self.GENERATORS:
            raise ValueError(f'unknown box_type {box_type!r}; choose one of '
                             f'{sorted(self.GENERATORS)}')
        self.box_type = box_type
        # Looked up in mmaction's registry itself, whatever the default scope.
        self.generator = TRANSFORMS.get(self.GENERATORS[box_type])(**kwargs)

    def transform(self, results: Dict) -> Dict:
        """Runs the chosen generator."""
        return self.generator(results)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.generator!r})'
