# Copyright (c) constcl_mm authors. All rights reserved.
"""The context-attention block shared by the pretraining neck and the AVA
head: memory frames, memory tokens, decoder construction and its init.

Both :class:`~constcl_mm.models.necks.ContextCrossAttentionNeck` (the
paper's ``g(h, F'_c)``) and
:class:`~constcl_mm.models.roi_heads.ActionTransformerHead` build a
:class:`CoordinateMLPEncoding` and a :class:`ContextDecoder` with
:func:`build_context_attention`, turn a clip's feature map into memory
tokens with :func:`context_memory` and initialise them with
:data:`KERAS_LINEAR_INIT` (official_implementation.md §3).
"""
import numbers
from typing import List, Mapping, Optional, Tuple

import torch
from mmengine.model.weight_init import initialize
from torch import nn

from .context_decoder import ContextDecoder
from .positional_encoding import CoordinateMLPEncoding

# Keras' default Dense init (glorot-uniform kernel, zero bias), which the
# official TF model uses for every linear layer of the context block.
KERAS_LINEAR_INIT = dict(
    type='Xavier', layer='Linear', distribution='uniform', bias=0.)


def check_context_length(context_length: int,
                         allow_zero: bool = False) -> None:
    """Raises ``ValueError`` unless ``context_length`` is a positive odd
    number (or 0 with ``allow_zero``: vanilla region contrast)."""
    if isinstance(context_length, bool) or \
            not isinstance(context_length, numbers.Integral):
        raise TypeError(
            f'context_length must be an integer, got {context_length!r} '
            f'({type(context_length).__name__})')
    if allow_zero and context_length == 0:
        return
    if context_length < 1 or context_length % 2 == 0:
        raise ValueError(
            'context_length must be a positive odd number'
            f'{" (or 0 for vanilla region contrast)" if allow_zero else ""}'
            f', got {context_length}')


def context_frame_indices(num_frames: int, context_length: int) -> List[int]:
    """Feature frames forming the context memory (official indexing).

    The memory is centred on the keyframe ``T // 2`` with stride
    ``T // L``: for ``T = 8`` and ``L = 5`` these are frames 2-6; ``L = 3``
    gives 2, 4, 6 and ``L = 1`` the keyframe alone.

    Args:
        num_frames (int): Feature frames T'.
        context_length (int): Memory frames L (odd, ``1 <= L <= T'``).

    Returns:
        list[int]: The L frame indices.
    """
    check_context_length(context_length)
    if context_length > num_frames:
        raise ValueError(
            f'context_length {context_length} is larger than the number of '
            f'feature frames {num_frames}')
    keyframe = num_frames // 2
    stride = num_frames // context_length
    half = context_length // 2
    return [keyframe + k * stride for k in range(-half, half + 1)]


#: The settings of a context block (``attention_cfg`` of the neck and of
#: the AVA head), with the official values as defaults:
#:
#: * ``tx_channels``: width of each decoder unit;
#: * ``num_layers``: decoder layers;
#: * ``num_heads``: units per layer (their outputs are concatenated, so the
#:   block's output width is ``num_heads * tx_channels``);
#: * ``dropout``: dropout on each unit's attention output;
#: * ``layer_norm_eps``: epsilon of the decoder's layer norms;
#: * ``use_positional_encoding``: concatenate the coordinate encoding to the
#:   memory;
#: * ``pe_hidden_channels`` / ``pe_channels``: hidden and output channels of
#:   each of the two coordinate MLPs.
DEFAULT_ATTENTION_CFG = dict(
    tx_channels=128,
    num_layers=3,
    num_heads=3,
    dropout=0.0,
    layer_norm_eps=1e-12,
    use_positional_encoding=True,
    pe_hidden_channels=4,
    pe_channels=8)


def resolve_attention_cfg(attention_cfg: Optional[Mapping] = None,
                          owner: str = 'attention_cfg') -> dict:
    """:data:`DEFAULT_ATTENTION_CFG` updated with ``attention_cfg``.

    Args:
        attention_cfg (Mapping, optional): Any of the default's keys.
        owner (str): Who asks, for the error message.

    Returns:
        dict: All eight settings.

    Raises:
        ValueError: ``attention_cfg`` has a key that is not a setting.
    """
    cfg = dict(attention_cfg or {})
    unknown = sorted(set(cfg) - set(DEFAULT_ATTENTION_CFG))
    if unknown:
        raise ValueError(
            f'{owner}: unknown attention_cfg key(s) {unknown}; the settings '
            f'are {sorted(DEFAULT_ATTENTION_CFG)}')
    return {**DEFAULT_ATTENTION_CFG, **cfg}


def build_context_attention(
    in_channels: int,
    attention_cfg: Optional[Mapping] = None,
    owner: str = 'attention_cfg'
) -> Tuple[Optional[CoordinateMLPEncoding], ContextDecoder]:
    """The positional encoding (or None) and the decoder of a context block.

    Args:
        in_channels (int): Width C of the queries and of the memory
            features (before the encoding is concatenated).
        attention_cfg (Mapping, optional): Settings overriding
            :data:`DEFAULT_ATTENTION_CFG`. Defaults to None (the official
            values).
        owner (str): Who builds the block, for error messages.

    Returns:
        tuple: ``(positional_encoding or None, decoder)``; the decoder's
        memory width is ``C`` plus the encoding's channels and its output
        width ``num_heads * tx_channels``.
    """
    cfg = resolve_attention_cfg(attention_cfg, owner)
    memory_channels = in_channels
    positional_encoding = None
    if cfg['use_positional_encoding']:
        positional_encoding = CoordinateMLPEncoding(cfg['pe_hidden_channels'],
                                                    cfg['pe_channels'])
        memory_channels += positional_encoding.out_channels
    decoder = ContextDecoder(in_channels, memory_channels, cfg['tx_channels'],
                             cfg['num_layers'], cfg['num_heads'],
                             cfg['dropout'], cfg['layer_norm_eps'])
    return positional_encoding, decoder


def keras_init_(*modules: Optional[nn.Module]) -> None:
    """Applies :data:`KERAS_LINEAR_INIT` to the linear layers of
    ``modules`` (None entries are skipped)."""
    for module in modules:
        if module is not None:
            initialize(module, KERAS_LINEAR_INIT)


def context_memory(features: torch.Tensor, frame_index: Optional[torch.Tensor],
                   positional_encoding: Optional[nn.Module]) -> torch.Tensor:
    """Memory tokens of a batch of clips: gather the memory frames,
    channels last, concatenate the encoding, flatten the grid.

    Args:
        features (Tensor): ``(B, C, T', H, W)``.
        frame_index (Tensor, optional): ``(B, L)`` long feature-frame
            indices per clip; None keeps all ``T'`` frames.
        positional_encoding (nn.Module, optional): Maps ``(B, L, H, W, C)``
            to ``(B, L, H, W, C + PE)``.

    Returns:
        Tensor: ``(B, L * H * W, C + PE)``.
    """
    if frame_index is not None:
        n, c, _, h, w = features.shape
        features = features.gather(
            2, frame_index[:, None, :, None, None].expand(n, c, -1, h, w))
    memory = features.permute(0, 2, 3, 4, 1)  # (B, L, H, W, C)
    if positional_encoding is not None:
        memory = positional_encoding(memory)
    return memory.flatten(1, 3)
