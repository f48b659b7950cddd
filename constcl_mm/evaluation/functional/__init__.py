# Copyright (c) constcl_mm authors. All rights reserved.
from .ava_kinetics import (ava_kinetics_eval, infer_source,  # noqa: F401
                           keyframe_key, read_ava_csv)
