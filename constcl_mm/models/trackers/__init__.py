# Copyright (c) constcl_mm authors. All rights reserved.
from .siamfc import SiamFC, crop_frames
from .sot_data_preprocessor import SOTDataPreprocessor

__all__ = ['SiamFC', 'SOTDataPreprocessor', 'crop_frames']
