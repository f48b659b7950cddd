# Copyright (c) constcl_mm authors. All rights reserved.
from .gather import all_gather_with_grad
from .normalize import l2_normalize
from .roi_align import roi_align_bins, roi_align_pooled
from .tf_weights import convert_tf_neck_weights, tf_neck_name_to_torch

__all__ = [
    'all_gather_with_grad', 'l2_normalize', 'roi_align_bins',
    'roi_align_pooled', 'convert_tf_neck_weights', 'tf_neck_name_to_torch'
]
