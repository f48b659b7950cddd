# Copyright (c) constcl_mm authors. All rights reserved.
from .ava_kinetics_metric import AVAKineticsMetric  # noqa: F401
