# Copyright (c) constcl_mm authors. All rights reserved.
"""The cross-attention decoder of the official InstanceReconstructor.

It is not ``nn.MultiheadAttention`` (official_implementation.md §3.4, §9.6):
each "head" is an independent single-head unit with its own query/key/value
projections,
LayerNorm and FFN; the units of a layer run in parallel on the same queries
and their outputs are concatenated. Only region queries attend to the context
memory (no self-attention among queries).
"""
import math
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F


class DecoderUnit(nn.Module):
    """One single-head cross-attention unit (official_implementation.md §3.4).

    ``Q = X Wq + bq``, ``K = M Wk + bk``, ``V = M Wv + bv``,
    ``H = LN(softmax(Q K^T / sqrt(d)) V + Q)``, ``out = FFN2(GELU(FFN1(H)))``.
    The residual adds the *projected* query; the FFN has no residual and no
    second LayerNorm.

    Args:
        query_channels (int): Width of the queries X.
        memory_channels (int): Width of the memory M.
        channels (int): Unit width d. Defaults to 128.
        dropout (float): Dropout on the attention output. Defaults to 0.
        layer_norm_eps (float): Defaults to 1e-12 (the official config).
    """

    def __init__(self,
                 query_channels: int,
                 memory_channels: int,
                 channels: int = 128,
                 dropout: float = 0.0,
                 layer_norm_eps: float = 1e-12) -> None:
        super().__init__()
        self.query = nn.Linear(query_channels, channels)
        self.key = nn.Linear(memory_channels, channels)
        self.value = nn.Linear(memory_channels, channels)
        self.dropout = nn.Dropout(dropout)
        self.layer_norm = nn.LayerNorm(channels, eps=layer_norm_eps)
        self.ffn1 = nn.Linear(channels, channels)
        self.ffn2 = nn.Linear(channels, channels)
        self.scale = 1.0 / math.sqrt(channels)

    def forward(self,
                query: torch.Tensor,
                memory: torch.Tensor,
                return_attention: bool = False):
        """Attends the queries to the memory.

        Args:
            query (Tensor): ``(B, N, query_channels)``.
            memory (Tensor): ``(B, M, memory_channels)``.
            return_attention (bool): Also return the attention weights.

        Returns:
            Tensor ``(B, N, channels)`` (and ``(B, N, M)`` weights).
        """
        q = self.query(query)
        k = self.key(memory)
        v = self.value(memory)
        attn = torch.softmax(q @ k.transpose(1, 2) * self.scale, dim=-1)
        hidden = self.layer_norm(self.dropout(attn @ v) + q)
        out = self.ffn2(F.gelu(self.ffn1(hidden)))
        return (out, attn) if return_attention else out


class ContextDecoder(nn.Module):
    """Stack of layers of parallel :class:`DecoderUnit`
    (official_implementation.md §3.4).

    Layer 0 maps the region features (``in_channels``) to
    ``num_heads * channels``; later layers keep that width. Every layer
    attends to the same memory.

    Args:
        in_channels (int): Width of the region queries (backbone channels).
        memory_channels (int): Width of the memory tokens (backbone channels
            plus the positional encoding).
        channels (int): Width of each unit. Defaults to 128.
        num_layers (int): Defaults to 3.
        num_heads (int): Units per layer. Defaults to 3.
        dropout (float): Defaults to 0.
        layer_norm_eps (float): Defaults to 1e-12.
    """

    def __init__(self,
                 in_channels: int,
                 memory_channels: int,
                 channels: int = 128,
                 num_layers: int = 3,
                 num_heads: int = 3,
                 dropout: float = 0.0,
                 layer_norm_eps: float = 1e-12) -> None:
        super().__init__()
        self.layers = nn.ModuleList()
        width = in_channels
        for _ in range(num_layers):
            self.layers.append(
                nn.ModuleList(
                    DecoderUnit(width, memory_channels, channels, dropout,
                                layer_norm_eps) for _ in range(num_heads)))
            width = channels * num_heads
        self.out_channels = width

    def forward(self,
                query: torch.Tensor,
                memory: torch.Tensor,
                return_attention: bool = False):
        """Decodes region queries against a context memory.

        Args:
            query (Tensor): ``(B, N, in_channels)``.
            memory (Tensor): ``(B, M, memory_channels)``.
            return_attention (bool): Also return, per layer, the list of the
                units' attention weights ``(B, N, M)``.

        Returns:
            Tensor ``(B, N, num_heads * channels)`` (and the weights).
        """
        hidden = query
        attentions: List[List[torch.Tensor]] = []
        for units in self.layers:
            outs = [unit(hidden, memory, return_attention) for unit in units]
            if return_attention:
                attentions.append([o[1] for o in outs])
                outs = [o[0] for o in outs]
            hidden = torch.cat(outs, dim=-1)
        return (hidden, attentions) if return_attention else hidden
