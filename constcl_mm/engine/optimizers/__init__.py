# Copyright (c) constcl_mm authors. All rights reserved.
from .autocast_optim_wrapper import AutocastOptimWrapper, enable_amp

__all__ = ['AutocastOptimWrapper', 'enable_amp']
