# Copyright (c) constcl_mm authors. All rights reserved.
from typing import Dict, List, Optional, Union

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from ..common import projection_mlp
from ..losses.nt_xent import nt_xent_loss
from ..utils.precision import autocast_off


def checked_temperature(value, head: object, field: str,
                        paper: float) -> float:
    """A contrastive temperature as a float > 0, or an error naming the head,
    the config field and the value.

    Args:
        value: The configured temperature.
        head (object): The head, for the message.
        field (str): Its config field, e.g. ``model.global_head.temperature``.
        paper (float): The paper's value, for the message.
    """
    try:
        temperature = float(value)
    except (TypeError, ValueError):
        temperature = None
    if temperature is None or not temperature > 0 or \
            temperature == float('inf'):
        raise ValueError(
            f'{type(head).__name__}: temperature must be a number > 0, got '
            f'{value!r}; set {field} (the paper uses {paper})')
    return temperature


@MODELS.register_module()
class GlobalContrastiveHead(BaseModule):
    """Global (holistic) branch: MLP projection and NT-Xent
    (official_implementation.md §2).

    ``GAP(res5) -> num_hidden_layers x [Linear(no bias), BN, ReLU] ->
    Linear(out_channels)``, then the SimCLR/CVRL NT-Xent loss with both
    directions summed and negatives gathered from every process.

    Args:
        in_channels (int): Backbone channels. Defaults to 2048.
        hid_channels (int): Hidden width. Defaults to 2048.
        out_channels (int): Embedding width. Defaults to 128.
        num_hidden_layers (int): Defaults to 3.
        norm_cfg (dict): Hidden-layer norm. BN statistics cover both views
            (the 2B batch); the runner's ``sync_bn`` turns it into SyncBN.
            Defaults to ``BN1d`` with momentum 0.1, eps 1e-5.
        temperature (float): Defaults to 0.1.
        loss_weight (float): Defaults to 1.0.
        init_cfg (dict | list[dict], optional): Defaults to Keras'
            glorot-uniform kernels, zero biases.
    """

    def __init__(
        self,
        in_channels: int = 2048,
        hid_channels: int = 2048,
        out_channels: int = 128,
        num_hidden_layers: int = 3,
        norm_cfg: Dict = dict(type='BN1d', momentum=0.1, eps=1e-5),
        temperature: float = 0.1,
        loss_weight: float = 1.0,
        init_cfg: Optional[Union[dict, List[dict]]] = dict(
            type='Xavier', layer='Linear', distribution='uniform', bias=0.)
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        temperature = checked_temperature(temperature, self,
                                          'model.global_head.temperature', 0.1)
        self.mlp = projection_mlp(in_channels, hid_channels, out_channels,
                                  num_hidden_layers, norm_cfg)
        self.in_channels = in_channels
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Embeds clips.

        Args:
            x (Tensor): res5 features ``(2B, C, T, H, W)`` or pooled
                ``(2B, C)``.

        Returns:
            Tensor: ``(2B, out_channels)``, not normalised.
        """
        if x.dim() == 5:
            x = x.mean(dim=(2, 3, 4))
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'GlobalContrastiveHead expects (2B, {self.in_channels}, T, '
                f'H, W) or (2B, {self.in_channels}), got {tuple(x.shape)}')
        return self.mlp(x)

    def loss(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """NT-Xent on the embeddings of both views.

        Args:
            x (Tensor): ``(2B, C, T, H, W)``; rows ``0..B-1`` view 1.

        Returns:
            dict[str, Tensor]: ``loss_global`` (weighted), ``global_acc``,
            ``global_entropy``.
        """
        z = self.forward(x)
        if z.shape[0] % 2:
            raise ValueError(f'the batch must hold two views per video, got '
                             f'{z.shape[0]} clips')
        with autocast_off(z):
            z1, z2 = z.float().chunk(2, dim=0)
            out = nt_xent_loss(z1, z2, self.temperature)
        return dict(
            loss_global=out['loss'] * self.loss_weight,
            global_acc=out['accuracy'],
            global_entropy=out['entropy'])
