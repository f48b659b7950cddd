# Copyright (c) constcl_mm authors. All rights reserved.
from .global_contrastive_head import GlobalContrastiveHead
from .linear_probe_head import LinearProbeHead
from .region_contrastive_head import RegionContrastiveHead
from .siamfc_head import SiamFCHead, cross_correlation, siamfc_labels

__all__ = [
    'GlobalContrastiveHead', 'RegionContrastiveHead', 'LinearProbeHead',
    'SiamFCHead', 'cross_correlation', 'siamfc_labels'
]
