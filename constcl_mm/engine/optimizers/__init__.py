# Copyright (c) constcl_mm authors. All rights reserved.
from .autocast_optim_wrapper import (AMP_DTYPES, AutocastOptimWrapper,
                                     enable_amp, enable_test_amp,
                                     resolve_amp_dtype)

__all__ = [
    'AMP_DTYPES', 'AutocastOptimWrapper', 'enable_amp', 'enable_test_amp',
    'resolve_amp_dtype'
]
