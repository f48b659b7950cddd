# Copyright (c) constcl_mm authors. All rights reserved.
"""Random region boxes of the official ConST-CL code
(official_implementation.md §4)."""
from typing import Dict, Sequence

import numpy as np
from mmaction.registry import TRANSFORMS

from .region_boxes import BaseRegionBoxes


@TRANSFORMS.register_module()
class RandomRegionBoxes(BaseRegionBoxes):
    """Random boxes drawn directly in each view's final crop coordinates.

    As written in the official ``_generate_random_positions``, per box:
    ``x1, y1 ~ U[0, 1)``, ``w ~ U[w_lo, w_hi)``, ``aspect ~ U[a_lo, a_hi)``,
    ``h = w * aspect``, ``x2 = min(x1 + w, max_coord)``,
    ``y2 = min(y1 + h, max_coord)``. The views get independent boxes and,
    since they are drawn after augmentation, no crop/flip mapping applies.

    ``diagonal_artifact=True`` reproduces what the official code computes
    when run in a ``tf.data`` graph (official_implementation.md §4, "as
    executed"): the four draws share one uniform ``u`` per box, so ``x1 = y1 =
    u``,
    ``w = w_lo + (w_hi - w_lo) u`` and ``aspect = a_lo + (a_hi - a_lo) u``;
    every box then starts on the image diagonal and grows with ``u``.

    The official code leaves ~0.1% of the boxes inverted (``x1 > x2`` when
    ``x1 > max_coord``); here the top-left corner is clamped to
    ``max_coord`` as well, so every box satisfies ``x1 <= x2``, ``y1 <= y2``.

    Args:
        num_boxes (int): Boxes per view. Defaults to 8.
        width_range (tuple[float]): Box width range. Defaults to
            ``(0.1, 0.5)``.
        aspect_ratio_range (tuple[float]): Height / width range. Defaults
            to ``(0.5, 2.0)``.
        max_coord (float): Upper clip of the coordinates. Defaults to 0.999.
        diagonal_artifact (bool): Reproduce the official graph-mode
            artefact. Defaults to False.
    """

    box_type = 'random'

    def __init__(self,
                 num_boxes: int = 8,
                 width_range: Sequence[float] = (0.1, 0.5),
                 aspect_ratio_range: Sequence[float] = (0.5, 2.0),
                 max_coord: float = 0.999,
                 diagonal_artifact: bool = False) -> None:
        super().__init__(num_boxes)
        if not 0 < width_range[0] <= width_range[1] <= 1:
            raise ValueError(f'width_range must satisfy 0 < lo <= hi <= 1, '
                             f'got {width_range}')
        if not 0 < aspect_ratio_range[0] <= aspect_ratio_range[1]:
            raise ValueError('aspect_ratio_range must satisfy 0 < lo <= hi, '
                             f'got {aspect_ratio_range}')
        if not 0 < max_coord <= 1:
            raise ValueError(f'max_coord must be in (0, 1], got {max_coord}')
        self.width_range = tuple(float(w) for w in width_range)
        self.aspect_ratio_range = tuple(float(a) for a in aspect_ratio_range)
        self.max_coord = float(max_coord)
        self.diagonal_artifact = diagonal_artifact

    def draw(self, num: int) -> np.ndarray:
        """Draws ``num`` boxes.

        Args:
            num (int): Number of boxes.

        Returns:
            np.ndarray: ``(num, 4)`` normalised ``[x1, y1, x2, y2]``.
        """
        (w_lo, w_hi), (a_lo, a_hi) = self.width_range, self.aspect_ratio_range
        if self.diagonal_artifact:
            u = np.random.rand(num)
            x1 = y1 = u
            width = w_lo + (w_hi - w_lo) * u
            aspect = a_lo + (a_hi - a_lo) * u
        else:
            x1 = np.random.rand(num)
            y1 = np.random.rand(num)
            width = np.random.uniform(w_lo, w_hi, num)
            aspect = np.random.uniform(a_lo, a_hi, num)
        x2 = np.minimum(x1 + width, self.max_coord)
        y2 = np.minimum(y1 + width * aspect, self.max_coord)
        x1 = np.minimum(x1, self.max_coord)
        y1 = np.minimum(y1, self.max_coord)
        return np.stack([x1, y1, x2, y2], axis=-1).astype(np.float32)

    def generate(self, results: Dict, view: int,
                 keyframe_index: int) -> np.ndarray:
        """Random boxes of one view (the image is not used)."""
        return self.draw(self.num_boxes)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_boxes={self.num_boxes}, '
                f'width_range={self.width_range}, '
                f'aspect_ratio_range={self.aspect_ratio_range}, '
                f'diagonal_artifact={self.diagonal_artifact})')
