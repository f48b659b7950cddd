# Copyright (c) constcl_mm authors. All rights reserved.
from .ava_kinetics import (ava_kinetics_eval, frame_map, match_keyframes,
                           write_ava_results)
from .label_propagation import (propagate_labels, propagate_video, region_iou,
                                summarize_videos)
from .region_correspondence import region_match_accuracy
from .sot_ope import (bbox_iou_aligned, eval_sot_ope, eval_sot_ope_video,
                      success_error, success_overlap)

__all__ = [
    'ava_kinetics_eval', 'frame_map', 'match_keyframes', 'write_ava_results',
    'bbox_iou_aligned', 'eval_sot_ope', 'eval_sot_ope_video', 'success_error',
    'success_overlap', 'region_match_accuracy', 'propagate_labels',
    'propagate_video', 'region_iou', 'summarize_videos'
]
