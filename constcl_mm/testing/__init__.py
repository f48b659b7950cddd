# Copyright (c) constcl_mm authors. All rights reserved.
"""Inputs for tests and benchmarks (as ``mmaction.testing``)."""
from .inputs import random_two_view_batch

__all__ = ['random_two_view_batch']
