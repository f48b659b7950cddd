# Copyright (c) constcl_mm authors. All rights reserved.
"""A grid of frames in one image, and which frames to put in it."""
import math
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

__all__ = ['evenly_spaced', 'make_montage']


def evenly_spaced(num_items: int, num: int) -> List[int]:
    """``num`` indices spread evenly over ``range(num_items)``, the first
    and the last included.

    Args:
        num_items (int): How many items there are.
        num (int): How many to pick; all of them when there are fewer.

    Returns:
        list[int]: Increasing, distinct indices.

    Example:
        >>> evenly_spaced(120, 4)
        [0, 40, 79, 119]
    """
    if num_items < 0 or num < 0:
        raise ValueError(f'expected num_items >= 0 and num >= 0, got '
                         f'{num_items} and {num}')
    if num >= num_items:
        return list(range(num_items))
    if num == 1:
        return [0]
    return sorted(
        {int(round(i * (num_items - 1) / (num - 1)))
         for i in range(num)})


def make_montage(images: Sequence[np.ndarray],
                 cols: int = 4,
                 tile_size: Optional[Tuple[int, int]] = None,
                 pad: int = 2,
                 pad_value: int = 255) -> np.ndarray:
    """Images side by side, row by row, in a grid of ``cols`` columns.

    Args:
        images (Sequence[np.ndarray]): ``(H, W, 3)`` uint8 images.
        cols (int): Columns (fewer when there are fewer images).
            Defaults to 4.
        tile_size (tuple[int, int], optional): ``(width, height)`` of every
            tile; images of another size are resized to it (area
            interpolation). Defaults to the size of the first image.
        pad (int): Pixels between tiles and around the grid. Defaults to 2.
        pad_value (int): Grey level of the padding and of empty tiles.
            Defaults to 255 (white).

    Returns:
        np.ndarray: ``(rows * (h + pad) + pad, cols * (w + pad) + pad, 3)``
        uint8.

    Raises:
        ValueError: No image, an image that is not ``(H, W, 3)`` uint8,
            ``cols < 1`` or ``pad < 0``.
    """
    if not len(images):
        raise ValueError('make_montage needs at least one image')
    if cols < 1 or pad < 0:
        raise ValueError(f'expected cols >= 1 and pad >= 0, got {cols} and '
                         f'{pad}')
    for i, image in enumerate(images):
        if not isinstance(image, np.ndarray) or image.ndim != 3 or \
                image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f'image {i} is not an (H, W, 3) uint8 image: '
                             f'{getattr(image, "shape", type(image))} '
                             f'{getattr(image, "dtype", "")}'.rstrip())
    if tile_size is None:
        tile_w, tile_h = images[0].shape[1], images[0].shape[0]
    else:
        tile_w, tile_h = (int(v) for v in tile_size)
    cols = min(cols, len(images))
    rows = math.ceil(len(images) / cols)
    grid = np.full(
        (rows * (tile_h + pad) + pad, cols * (tile_w + pad) + pad, 3),
        pad_value,
        dtype=np.uint8)
    for i, image in enumerate(images):
        if image.shape[:2] != (tile_h, tile_w):
            image = cv2.resize(
                image, (tile_w, tile_h), interpolation=cv2.INTER_AREA)
        y = pad + (i // cols) * (tile_h + pad)
        x = pad + (i % cols) * (tile_w + pad)
        grid[y:y + tile_h, x:x + tile_w] = image
    return grid
