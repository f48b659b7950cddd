# Copyright (c) constcl_mm authors. All rights reserved.
from typing import List, Optional, Sequence, Tuple

import torch
from mmaction.models.data_preprocessors import ActionDataPreprocessor
from mmaction.registry import MODELS

from ..utils.memory_format import (MemoryFormat, get_memory_format,
                                   to_memory_format)


@MODELS.register_module()
class ChannelsLastActionDataPreprocessor(ActionDataPreprocessor):
    """mmaction2's ``ActionDataPreprocessor`` emitting channels-last clips.

    Recognition and AVA configs use it in place of the parent. With
    ``format_shape='NCTHW'`` the normalised batch, ``(N, C, T, H, W)`` or
    the multi-view ``(N, V, C, T, H, W)`` of testing, is laid out with the
    channels innermost (shape and values unchanged), so that the clips the
    recognizer hands to the backbone (``(N * V, C, T, H, W)``, a view) are
    ``torch.channels_last_3d``, the format :class:`ResNet3dY` runs. Other
    format shapes are returned as the parent makes them.

    Args:
        memory_format (str): 'channels_last_3d' or 'contiguous' (exactly
            the parent). Defaults to 'channels_last_3d'.
        **kwargs: :class:`ActionDataPreprocessor` arguments (``mean``,
            ``std``, ``format_shape`` ...).
    """

    def __init__(self,
                 memory_format: MemoryFormat = 'channels_last_3d',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.memory_format = get_memory_format(memory_format)

    def preprocess(self,
                   inputs: List[torch.Tensor],
                   data_samples: Optional[Sequence],
                   training: bool = False) -> Tuple:
        """The parent's batch, laid out in ``memory_format``."""
        batch, data_samples = super().preprocess(inputs, data_samples,
                                                 training)
        if batch.dim() >= 5 and self.format_shape in ('NCTHW', 'MIX2d3d'):
            batch = to_memory_format(batch, self.memory_format, channel_dim=-4)
        return batch, data_samples
