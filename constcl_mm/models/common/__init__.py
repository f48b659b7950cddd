# Copyright (c) constcl_mm authors. All rights reserved.
from .context_decoder import ContextDecoder, DecoderUnit
from .context_memory import (DEFAULT_ATTENTION_CFG, KERAS_LINEAR_INIT,
                             build_context_attention, check_context_length,
                             context_frame_indices, context_memory,
                             keras_init_, resolve_attention_cfg)
from .positional_encoding import CoordinateMLPEncoding
from .projection_mlp import projection_mlp

__all__ = [
    'ContextDecoder', 'DecoderUnit', 'CoordinateMLPEncoding',
    'DEFAULT_ATTENTION_CFG', 'KERAS_LINEAR_INIT', 'build_context_attention',
    'resolve_attention_cfg', 'check_context_length', 'context_frame_indices',
    'context_memory', 'keras_init_', 'projection_mlp'
]
