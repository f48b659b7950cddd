# Copyright (c) constcl_mm authors. All rights reserved.
from .base_ope_tracker import BaseOPETracker
from .siamfc import SiamFC, crop_frames
from .sot_data_preprocessor import SOTDataPreprocessor
from .template_trackers import NCCTracker, StaticBoxTracker
from .tracking_geometry import (pretrain_geometry, resolve_tracker_backbone,
                                tracker_geometry)

__all__ = [
    'BaseOPETracker', 'SiamFC', 'SOTDataPreprocessor', 'crop_frames',
    'NCCTracker', 'StaticBoxTracker', 'pretrain_geometry',
    'resolve_tracker_backbone', 'tracker_geometry'
]
