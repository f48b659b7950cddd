# Copyright (c) constcl_mm authors. All rights reserved.
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
from mmaction.models.heads.base import BaseHead
from mmaction.registry import MODELS

from ..utils.normalize import l2_normalize


@MODELS.register_module()
class LinearProbeHead(BaseHead):
    """Linear classifier on L2-normalised pooled features (CVRL protocol).

    The linear-evaluation head of CVRL's ``video_ssl_linear_eval``
    (official_implementation.md §7):
    ``GAP(res5) -> L2 normalisation -> Linear(num_classes)``, no hidden
    layer, no BN, no dropout (the official model ignores its
    ``dropout_rate``). It plugs into mmaction2's ``Recognizer3D`` like any
    :class:`BaseHead`; use ``average_clips='prob'`` to average the softmax
    over the test views (the official evaluation averages probabilities over
    its 10 clips x 3 crops).

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Backbone channels. Defaults to 2048.
        loss_cls (dict): Classification loss.
            Defaults to ``dict(type='CrossEntropyLoss')``.
        normalize (bool): L2-normalise the pooled features (TF epsilon
            convention). Defaults to True.
        dropout_ratio (float): Dropout before the linear layer (not in the
            protocol). Defaults to 0.
        init_cfg (dict | list[dict], optional): Defaults to Keras' Dense
            init (glorot-uniform kernel, zero bias).
        **kwargs: :class:`BaseHead` arguments (``average_clips``, ``topk``,
            ``label_smooth_eps`` ...).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 2048,
                 loss_cls: Dict = dict(type='CrossEntropyLoss'),
                 normalize: bool = True,
                 dropout_ratio: float = 0.,
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='Xavier',
                     layer='Linear',
                     distribution='uniform',
                     bias=0.),
                 **kwargs) -> None:
        if num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        if not 0 <= dropout_ratio < 1:
            raise ValueError(
                f'dropout_ratio must be in [0, 1), got {dropout_ratio}')
        super().__init__(
            num_classes, in_channels, loss_cls, init_cfg=init_cfg, **kwargs)
        self.normalize = normalize
        self.dropout = nn.Dropout(dropout_ratio) if dropout_ratio else None
        self.fc_cls = nn.Linear(in_channels, num_classes)

    def pool(self, x: torch.Tensor) -> torch.Tensor:
        """Global average pooling (and L2 normalisation) of the features.

        Args:
            x (Tensor): ``(N, C, T, H, W)`` backbone features, or already
                pooled ``(N, C)``.

        Returns:
            Tensor: ``(N, C)``, unit L2 norm when ``normalize``.
        """
        if x.dim() == 5:
            x = x.mean(dim=(2, 3, 4))
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__} expects (N, {self.in_channels}, T, '
                f'H, W) or (N, {self.in_channels}) features, got '
                f'{tuple(x.shape)}')
        return l2_normalize(x, dim=1) if self.normalize else x

    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        """Classifies clips.

        Args:
            x (Tensor): ``(N, C, T, H, W)`` res5 features (N = batch x
                views at test time).
            **kwargs: Ignored (``Recognizer3D`` passes ``loss_aux`` /
                ``fcn_test``).

        Returns:
            Tensor: Class scores ``(N, num_classes)``.
        """
        x = self.pool(x)
        if self.dropout is not None:
            x = self.dropout(x)
        return self.fc_cls(x)
