# Copyright (c) constcl_mm authors. All rights reserved.
from .ava_kinetics_metric import AVAKineticsMetric
from .sot_metric import SOTMetric

__all__ = ['AVAKineticsMetric', 'SOTMetric']
