# Copyright (c) constcl_mm authors. All rights reserved.
from .constcl import ConSTCL

__all__ = ['ConSTCL']
