# Copyright (c) constcl_mm authors. All rights reserved.
from .sot_metric import SOTMetric  # noqa: F401
from .ava_kinetics_metric import AVAKineticsMetric  # noqa: F401
