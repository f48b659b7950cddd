# Copyright (c) constcl_mm authors. All rights reserved.
"""The projection MLP of the global head and of the context-0 region head."""
import torch.nn as nn
from mmcv.cnn import build_norm_layer


def projection_mlp(
    in_channels: int,
    hid_channels: int = 2048,
    out_channels: int = 128,
    num_hidden_layers: int = 3,
    norm_cfg: dict = dict(type='BN1d', momentum=0.1, eps=1e-5)
) -> nn.Sequential:
    """``num_hidden_layers x [Linear(no bias), norm, ReLU] ->
    Linear(out_channels)``: the SimCLR/CVRL projection head.

    Args:
        in_channels (int): Input width.
        hid_channels (int): Hidden width. Defaults to 2048.
        out_channels (int): Output width. Defaults to 128.
        num_hidden_layers (int): Defaults to 3.
        norm_cfg (dict): Hidden-layer norm. Defaults to BN1d.

    Returns:
        nn.Sequential: Maps ``(M, in_channels)`` to ``(M, out_channels)``.
    """
    layers = []
    width = in_channels
    for _ in range(num_hidden_layers):
        layers += [
            nn.Linear(width, hid_channels, bias=False),
            build_norm_layer(norm_cfg, hid_channels)[1],
            nn.ReLU(inplace=True)
        ]
        width = hid_channels
    layers.append(nn.Linear(width, out_channels))
    return nn.Sequential(*layers)
