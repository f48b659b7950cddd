# Copyright (c) constcl_mm authors. All rights reserved.
# AVA heads live in mmdet's MODELS, like mmaction2's BBoxHeadAVA: FastRCNN
# builds its roi_head in the mmdet scope.
from .action_transformer_head import ActionTransformerHead, pad_by_clip
from .context_roi_head import ContextAVARoIHead

__all__ = ['ActionTransformerHead', 'ContextAVARoIHead', 'pad_by_clip']
