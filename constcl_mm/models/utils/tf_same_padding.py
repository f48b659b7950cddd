# Copyright (c) constcl_mm authors. All rights reserved.
"""TensorFlow 'SAME' padding for 3D convolutions and max pooling.

TF pads ``total = max((ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)`` with
``total // 2`` in front and the rest behind, so for even totals it matches
PyTorch's symmetric padding but for odd ones (stride-2 stem and 3x3 convs,
official_implementation.md §8.3) it samples a grid shifted by one pixel. Needed
only for bit-exact parity with TF checkpoints; the default constcl_mm backbone
keeps PyTorch's
symmetric padding so that checkpoints drop into stock mmaction2.
"""
import math
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


def tf_same_pads(sizes: Sequence[int], kernel: Sequence[int],
                 stride: Sequence[int], dilation: Sequence[int]) -> List[int]:
    """``F.pad`` amounts (last dim first) for TF 'SAME' on (T, H, W)."""
    pads: List[int] = []
    for n, k, s, d in reversed(list(zip(sizes, kernel, stride, dilation))):
        total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
        pads += [total // 2, total - total // 2]
    return pads


class Conv3dTFSame(nn.Conv3d):
    """``nn.Conv3d`` that pads like TF 'SAME' at run time."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = tf_same_pads(x.shape[2:], self.kernel_size, self.stride,
                            self.dilation)
        return self._conv_forward(F.pad(x, pads), self.weight, self.bias)


class MaxPool3dTFSame(nn.MaxPool3d):
    """``nn.MaxPool3d`` padding like TF 'SAME' (pad value -inf)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = tf_same_pads(x.shape[2:], self.kernel_size, self.stride,
                            (1, 1, 1))
        x = F.pad(x, pads, value=float('-inf'))
        return F.max_pool3d(x, self.kernel_size, self.stride, 0, self.dilation,
                            self.ceil_mode)


def convert_to_tf_same_padding(module: nn.Module) -> nn.Module:
    """Switches every padded Conv3d / MaxPool3d of ``module`` to TF 'SAME'.

    Parameters and their names are unchanged. Unpadded convolutions (the
    1x1x1 projection shortcuts, TF 'valid') are left alone.

    Args:
        module (nn.Module): Modified in place.

    Returns:
        nn.Module: ``module``.
    """
    for name, child in module.named_children():
        padded = isinstance(child, nn.Conv3d) and any(p > 0
                                                      for p in child.padding)
        if padded:
            child.__class__ = Conv3dTFSame
            child.padding = (0, 0, 0)
        elif isinstance(child, nn.MaxPool3d) and not isinstance(
                child, MaxPool3dTFSame):
            kernel = nn.modules.utils._triple(child.kernel_size)
            stride = nn.modules.utils._triple(child.stride)
            setattr(module, name, MaxPool3dTFSame(kernel, stride))
        else:
            convert_to_tf_same_padding(child)
    return module
