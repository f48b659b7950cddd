# Copyright (c) constcl_mm authors. All rights reserved.
from .context_cross_attention_neck import (ContextCrossAttentionNeck,
                                           nearest_context_indices)

__all__ = ['ContextCrossAttentionNeck', 'nearest_context_indices']
