# Copyright (c) constcl_mm authors. All rights reserved.
"""Memory format of video tensors: channels-last 3D or contiguous.

Channels-last 3D (``torch.channels_last_3d``, memory order ``N, T, H, W,
C``) is what oneDNN on the CPU and cuDNN's tensor-core 3D convolutions run
fastest; ``(N, C, T, H, W)`` shapes are unchanged, only the strides differ.
The data preprocessors emit it, :class:`ResNet3dY` keeps it (its conv
weights are stored channels-last too), heads accept any strides.
"""
from typing import Union

import torch

MEMORY_FORMATS = {
    'channels_last_3d': torch.channels_last_3d,
    'contiguous': torch.contiguous_format,
}

MemoryFormat = Union[str, torch.memory_format]


def get_memory_format(memory_format: MemoryFormat) -> torch.memory_format:
    """The ``torch.memory_format`` of a config value.

    Args:
        memory_format (str | torch.memory_format): ``'channels_last_3d'``,
            ``'contiguous'`` or the torch object itself.

    Returns:
        torch.memory_format: ``torch.channels_last_3d`` or
        ``torch.contiguous_format``.
    """
    if isinstance(memory_format, torch.memory_format):
        if memory_format in MEMORY_FORMATS.values():
            return memory_format
    elif memory_format in MEMORY_FORMATS:
        return MEMORY_FORMATS[memory_format]
    raise ValueError(f'memory_format must be one of {sorted(MEMORY_FORMATS)}'
                     f', got {memory_format!r}')


def is_channels_last(memory_format: MemoryFormat) -> bool:
    """Whether ``memory_format`` is channels-last 3D."""
    return get_memory_format(memory_format) == torch.channels_last_3d


def to_memory_format(x: torch.Tensor,
                     memory_format: MemoryFormat,
                     channel_dim: int = 1) -> torch.Tensor:
    """Lays out ``x`` in ``memory_format`` without changing its shape.

    Channels-last stores ``channel_dim`` innermost and keeps the order of the
    other dimensions. For a ``(N, C, T, H, W)`` tensor with
    ``channel_dim=1`` this is ``torch.channels_last_3d``; other layouts are
    laid out so that the backbone's view of them is channels-last 3D:
    tracking stacks ``(N, T, C, H, W)`` (``channel_dim=2``, transposed to
    ``(N, C, T, H, W)`` by the tracker) and multi-view recognition batches
    ``(N, V, C, T, H, W)`` (``channel_dim=2``, flattened to
    ``(N * V, C, T, H, W)`` by the recognizer). A tensor already in the
    format is returned as is (no copy).

    Args:
        x (Tensor): Any tensor with at least 2 dimensions.
        memory_format (str | torch.memory_format): See
            :func:`get_memory_format`.
        channel_dim (int): The channel dimension. Defaults to 1.

    Returns:
        Tensor: ``x`` with the same shape and values.
    """
    if not is_channels_last(memory_format):
        return x.contiguous()
    channel_dim = channel_dim % x.dim()
    if x.dim() == 5 and channel_dim == 1:
        return x.contiguous(memory_format=torch.channels_last_3d)
    order = [d for d in range(x.dim()) if d != channel_dim] + [channel_dim]
    inverse = [order.index(d) for d in range(x.dim())]
    return x.permute(order).contiguous().permute(inverse)
