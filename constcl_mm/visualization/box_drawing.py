# Copyright (c) constcl_mm authors. All rights reserved.
"""Boxes and their labels drawn on RGB frames.

Boxes are ``(x1, y1, x2, y2)`` in continuous pixel coordinates, the
convention of the datasets (pixel ``i`` covers ``[i, i + 1)``): a box
``(10, 20, 30, 40)`` covers the pixel columns 10-29 and rows 20-39. Its
outline is drawn *inside* it, on those pixels, so that a box never colours a
pixel it does not cover.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    'GT_COLOR', 'PRED_COLOR', 'box_to_pixels', 'draw_boxes', 'draw_text'
]

Color = Tuple[int, int, int]

#: Ground truth: green (RGB).
GT_COLOR: Color = (0, 255, 0)
#: Predictions: red (RGB).
PRED_COLOR: Color = (255, 0, 0)

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.ndim != 3 or \
            image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError('expected an (H, W, 3) uint8 RGB image, got '
                         f'{getattr(image, "shape", type(image))} '
                         f'{getattr(image, "dtype", "")}'.rstrip())


def box_to_pixels(box: Sequence[float], height: int,
                  width: int) -> Optional[Tuple[int, int, int, int]]:
    """The pixels a box covers, clipped to the image.

    Args:
        box (Sequence[float]): ``(x1, y1, x2, y2)``, continuous pixels.
        height (int): Image height.
        width (int): Image width.

    Returns:
        tuple[int, int, int, int] | None: ``(left, top, right, bottom)``,
        inclusive pixel indices, or None when the box is not finite, empty
        (``x2 <= x1`` or ``y2 <= y1``) or entirely outside the image. A box
        narrower than a pixel covers one.
    """
    x1, y1, x2, y2 = (float(v) for v in box)
    if not np.isfinite([x1, y1, x2, y2]).all() or x2 <= x1 or y2 <= y1:
        return None
    left, top = int(np.floor(x1 + 0.5)), int(np.floor(y1 + 0.5))
    right = max(int(np.floor(x2 + 0.5)) - 1, left)
    bottom = max(int(np.floor(y2 + 0.5)) - 1, top)
    left, top = max(left, 0), max(top, 0)
    right, bottom = min(right, width - 1), min(bottom, height - 1)
    if left > right or top > bottom:
        return None
    return left, top, right, bottom


def _auto_font_scale(height: int, width: int) -> float:
    return max(0.3, min(height, width) / 600.)


def _text_color(background: Color) -> Color:
    r, g, b = background
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else \
        (255, 255, 255)


def _text_block(text: str, color: Color, font_scale: float) -> np.ndarray:
    """``text`` (lines split at ``\\n``) on a filled ``color`` block."""
    lines = text.split('\n')
    thickness = max(1, int(round(font_scale * 1.5)))
    pad = max(1, int(round(3 * font_scale)))
    (_, text_h), baseline = cv2.getTextSize('Ag', _FONT, font_scale, thickness)
    line_h = text_h + baseline + pad
    block_w = max(
        cv2.getTextSize(line, _FONT, font_scale, thickness)[0][0]
        for line in lines) + 2 * pad
    block = np.empty((line_h * len(lines) + pad, block_w, 3), np.uint8)
    block[:] = color
    for i, line in enumerate(lines):
        cv2.putText(block, line, (pad, pad + i * line_h + text_h), _FONT,
                    font_scale, _text_color(color), thickness, cv2.LINE_AA)
    return block


def _paste(image: np.ndarray, block: np.ndarray, x: int, y: int) -> None:
    """Copies ``block`` with its top-left corner at ``(x, y)``, moved to fit
    inside ``image`` (cropped when larger than it). In place."""
    height, width = image.shape[:2]
    block_h, block_w = block.shape[:2]
    x0 = max(0, min(x, width - block_w))
    y0 = max(0, min(y, height - block_h))
    h, w = min(block_h, height - y0), min(block_w, width - x0)
    image[y0:y0 + h, x0:x0 + w] = block[:h, :w]


def draw_text(image: np.ndarray,
              text: str,
              position: Tuple[int, int] = (0, 0),
              color: Color = (255, 255, 255),
              font_scale: Optional[float] = None) -> np.ndarray:
    """Text on a filled background, e.g. a caption.

    Args:
        image (np.ndarray): ``(H, W, 3)`` uint8 RGB; not modified.
        text (str): The text; ``\\n`` starts a new line.
        position (tuple[int, int]): ``(x, y)`` of the block's top-left
            corner; the block is moved to fit inside the image.
        color (tuple[int, int, int]): Background colour (RGB); the text is
            black or white, whichever reads better.
        font_scale (float, optional): OpenCV font scale. Defaults to one
            that grows with the image (0.4 at 240 px).

    Returns:
        np.ndarray: A copy of ``image`` with the text.
    """
    _check_image(image)
    out = image.copy()
    scale = font_scale or _auto_font_scale(*out.shape[:2])
    block = _text_block(text, tuple(int(c) for c in color), scale)
    _paste(out, block, int(position[0]), int(position[1]))
    return out


def draw_boxes(image: np.ndarray,
               boxes: np.ndarray,
               labels: Optional[Sequence[str]] = None,
               color: Color = PRED_COLOR,
               thickness: int = 2,
               font_scale: Optional[float] = None) -> np.ndarray:
    """Boxes, and optionally their labels, drawn on a copy of an image.

    Each box is clipped to the image and outlined on its outermost
    ``thickness`` pixels (inside the box). Its label is written on a filled
    ``color`` block just above the box's top-left corner, moved inside the
    frame when there is no room (a box touching the top edge gets the label
    over its top). Labels are drawn after all the outlines. Boxes that are
    not finite, empty or outside the image are skipped, with their labels.

    Args:
        image (np.ndarray): ``(H, W, 3)`` uint8 RGB; not modified.
        boxes (np.ndarray): ``(N, 4)`` ``(x1, y1, x2, y2)`` in pixels
            (continuous coordinates, see the module docstring).
        labels (Sequence[str], optional): One text per box (``\\n`` for
            several lines); empty strings draw no label.
        color (tuple[int, int, int]): RGB colour of the outlines and label
            backgrounds. Defaults to :data:`PRED_COLOR` (red).
        thickness (int): Outline width in pixels. Defaults to 2.
        font_scale (float, optional): OpenCV font scale of the labels.
            Defaults to one that grows with the image (0.4 at 240 px).

    Returns:
        np.ndarray: The image with the boxes, ``(H, W, 3)`` uint8.

    Raises:
        ValueError: The image is not ``(H, W, 3)`` uint8, the boxes are not
            ``(N, 4)``, ``labels`` has another length than ``boxes`` or the
            thickness is below 1.
    """
    _check_image(image)
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.size == 0:
        boxes = boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f'boxes must be (N, 4) x1,y1,x2,y2, got shape '
                         f'{boxes.shape}')
    if labels is not None and len(labels) != len(boxes):
        raise ValueError(f'{len(labels)} labels for {len(boxes)} boxes')
    if thickness < 1:
        raise ValueError(f'thickness must be >= 1, got {thickness}')
    out = image.copy()
    height, width = out.shape[:2]
    color = tuple(int(c) for c in color)
    placed = []
    for i, box in enumerate(boxes):
        pixels = box_to_pixels(box, height, width)
        if pixels is None:
            continue
        left, top, right, bottom = pixels
        t = min(thickness, right - left + 1, bottom - top + 1)
        out[top:top + t, left:right + 1] = color
        out[bottom - t + 1:bottom + 1, left:right + 1] = color
        out[top:bottom + 1, left:left + t] = color
        out[top:bottom + 1, right - t + 1:right + 1] = color
        if labels is not None and labels[i]:
            placed.append((labels[i], left, top))
    scale = font_scale or _auto_font_scale(height, width)
    for text, left, top in placed:
        block = _text_block(text, color, scale)
        _paste(out, block, left, top - block.shape[0])
    return out
