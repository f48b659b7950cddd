# Copyright (c) constcl_mm authors. All rights reserved.
"""Drawing predictions on frames (AVA detections, tracking results)."""
from .box_drawing import (GT_COLOR, PRED_COLOR, box_to_pixels, draw_boxes,
                          draw_text)
from .image_io import read_rgb, write_rgb
from .montage import evenly_spaced, make_montage

__all__ = [
    'GT_COLOR', 'PRED_COLOR', 'box_to_pixels', 'draw_boxes', 'draw_text',
    'read_rgb', 'write_rgb', 'evenly_spaced', 'make_montage'
]
