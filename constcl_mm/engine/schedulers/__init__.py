# Copyright (c) constcl_mm authors. All rights reserved.
from .warmup_cosine_lr import WarmupCosineLR, warmup_cosine_factor

__all__ = ['WarmupCosineLR', 'warmup_cosine_factor']
