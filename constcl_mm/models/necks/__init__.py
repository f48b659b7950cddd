# Copyright (c) constcl_mm authors. All rights reserved.
from .context_cross_attention_neck import (ContextCrossAttentionNeck,
                                           context_frame_indices)
from .context_decoder import ContextDecoder, DecoderUnit
from .positional_encoding import CoordinateMLPEncoding

__all__ = [
    'ContextCrossAttentionNeck', 'ContextDecoder', 'DecoderUnit',
    'CoordinateMLPEncoding', 'context_frame_indices'
]
