# Copyright (c) constcl_mm authors. All rights reserved.
from .world_supervised import WorldSupervised

__all__ = ['WorldSupervised']
