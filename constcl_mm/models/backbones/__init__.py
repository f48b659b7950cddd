# Copyright (c) constcl_mm authors. All rights reserved.
from .bottleneck3d_y import Bottleneck3dY
from .resnet3d_y import ResNet3dY

__all__ = ['Bottleneck3dY', 'ResNet3dY']
