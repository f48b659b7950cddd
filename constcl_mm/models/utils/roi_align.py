# Copyright (c) constcl_mm authors. All rights reserved.
"""ROIAlign with the semantics of the official ConST-CL code.

The official head uses ``official/vision``'s ``multilevel_crop_and_resize``
on a single level: one bilinear sample per output bin at offset 0.5, feature
pixel ``k`` sitting at coordinate ``k`` (no half-pixel shift), indices clamped
to the border, and no minimum box size. ``torchvision.ops.roi_align`` or
``mmcv.ops.RoIAlign`` differ (minimum size 1 pixel, several samples per bin,
half-pixel alignment), which matters for boxes 0.3-1.5 pixels wide on a 7x7
map.
"""
from typing import Tuple

import torch


def _grid(start: torch.Tensor, end: torch.Tensor, size: int, crop: int,
          offset: float) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sample coordinates of one axis and their two neighbours and weights.

    Args:
        start, end (Tensor): Normalised box limits ``(B, N)``.
        size (int): Feature size along the axis.
        crop (int): Number of bins.
        offset (float): Sample position inside a bin (0.5 = centre).

    Returns:
        tuple: lower index, upper index (long) and upper weight, each
        ``(B, N, crop)``.
    """
    steps = (torch.arange(crop, device=start.device, dtype=start.dtype) +
             offset) / crop
    pos = (start[..., None] + steps * (end - start)[..., None]) * size
    low = pos.floor().clamp(0, size - 1)
    high = (low + 1).clamp(max=size - 1)
    weight_high = pos - low
    return low.long(), high.long(), weight_high


def roi_align_bins(features: torch.Tensor,
                   boxes: torch.Tensor,
                   crop_size: int = 4,
                   sample_offset: float = 0.5) -> torch.Tensor:
    """Bilinear ROIAlign bins, one sample per bin.

    Args:
        features (Tensor): Feature maps ``(B, C, H, W)``.
        boxes (Tensor): Boxes ``(B, N, 4)`` as normalised
            ``[x1, y1, x2, y2]`` in [0, 1] of the frame the features cover.
        crop_size (int): Bins per side. Defaults to 4.
        sample_offset (float): Sample position inside each bin. Defaults to
            0.5.

    Returns:
        Tensor: ``(B, N, C, crop_size, crop_size)``.
    """
    b, c, h, w = features.shape
    n = boxes.shape[1]
    boxes = boxes.to(features.dtype)
    y0, y1, wy = _grid(boxes[..., 1], boxes[..., 3], h, crop_size,
                       sample_offset)
    x0, x1, wx = _grid(boxes[..., 0], boxes[..., 2], w, crop_size,
                       sample_offset)
    flat = features.flatten(2)  # (B, C, H*W)

    def corner(yi: torch.Tensor, xi: torch.Tensor) -> torch.Tensor:
        # (B, N, crop, 1) * W + (B, N, 1, crop) -> (B, N*crop*crop)
        index = (yi[..., :, None] * w + xi[..., None, :]).reshape(b, -1)
        picked = flat.gather(2, index[:, None, :].expand(b, c, -1))
        return picked.reshape(b, c, n, crop_size, crop_size)

    wy = wy[..., :, None].unsqueeze(1)  # (B, 1, N, crop, 1)
    wx = wx[..., None, :].unsqueeze(1)  # (B, 1, N, 1, crop)
    out = (
        corner(y0, x0) * (1 - wy) * (1 - wx) + corner(y0, x1) * (1 - wy) * wx +
        corner(y1, x0) * wy * (1 - wx) + corner(y1, x1) * wy * wx)
    return out.permute(0, 2, 1, 3, 4)


def roi_align_pooled(features: torch.Tensor,
                     boxes: torch.Tensor,
                     crop_size: int = 4,
                     sample_offset: float = 0.5) -> torch.Tensor:
    """Region features: ROIAlign bins averaged over the crop.

    Args:
        features (Tensor): ``(B, C, H, W)``.
        boxes (Tensor): ``(B, N, 4)`` normalised ``[x1, y1, x2, y2]``.
        crop_size (int): Bins per side. Defaults to 4.
        sample_offset (float): Defaults to 0.5.

    Returns:
        Tensor: ``(B, N, C)``.
    """
    return roi_align_bins(features, boxes, crop_size,
                          sample_offset).mean(dim=(-2, -1))
