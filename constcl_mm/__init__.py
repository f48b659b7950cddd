# Copyright (c) constcl_mm authors. All rights reserved.
"""ConST-CL for OpenMMLab.

Importing this package first applies the stack fixes of
:mod:`constcl_mm.compat` (mmcv ops check, the missing mmaction2 DRN module,
weights-only checkpoint loading, CPU distributed launch), then registers
every constcl_mm module into the mmaction2 registries (and mmdet's, for the
AVA heads). It also makes ``constcl_mm::`` config names known to mmengine
(:mod:`constcl_mm.mim`).
"""
from .stack_versions import check_stack_versions

check_stack_versions()  # mmengine/mmcv/mmdet/mmaction2 ranges, with the fix

from . import compat  # noqa: E402
from .mim import register_config_package  # noqa: E402

compat.apply()
register_config_package()  # `_base_ = 'constcl_mm::...'` in any config

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__  # noqa: E402,F401

__all__ = [
    '__version__', 'compat', 'datasets', 'engine', 'evaluation', 'models'
]
