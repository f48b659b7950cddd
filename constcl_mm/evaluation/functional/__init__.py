# Copyright (c) constcl_mm authors. All rights reserved.
from .sot_ope import (bbox_iou_aligned, eval_sot_ope,  # noqa: F401
                      eval_sot_ope_video,
                      success_error, success_overlap)
from .ava_kinetics import (ava_kinetics_eval, infer_source,  # noqa: F401
                           keyframe_key, read_ava_csv)
