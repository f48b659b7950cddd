# Copyright (c) constcl_mm authors. All rights reserved.
"""A pixel backbone for checking the tracker's geometry without learning."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS


@MODELS.register_module(force=True)
class PixelStride8Backbone(nn.Module):
    """Space-to-depth "features": every 8x8 cell's pixels as 192 channels.

    Same padding as a ResNet (4 px), so 127 -> 16 and 255 -> 32 cells and
    the SiamFC response is 17x17 at total stride 8, like ResNet3dY's
    tracking variant. Per frame: ``(N, 3, T, H, W) -> (N, 192, T, h, w)``.
    """

    def __init__(self) -> None:
        super().__init__()
        weight = torch.eye(192).reshape(192, 3, 8, 8)
        self.register_buffer('weight', weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, t, h, w = x.shape
        frames = x.transpose(1, 2).reshape(n * t, c, h, w)
        feat = F.conv2d(frames, self.weight, stride=8, padding=4)
        if getattr(self, "centre", False):
            feat = feat - feat.mean(dim=(2, 3), keepdim=True)
        return feat.reshape(n, t, *feat.shape[1:]).transpose(1, 2)


def pixel_tracker(**test_cfg) -> nn.Module:
    """A SiamFC on :class:`PixelStride8Backbone` (no adjust layer)."""
    cfg = dict(total_stride=8)
    cfg.update(test_cfg)
    return MODELS.build(
        dict(
            type='SiamFC',
            num_frames=5,
            backbone=dict(type='PixelStride8Backbone'),
            head=dict(
                type='SiamFCHead', in_channels=192, adjust_channels=None),
            test_cfg=cfg)).eval()
