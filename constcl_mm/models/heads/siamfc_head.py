# Copyright (c) constcl_mm authors. All rights reserved.
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule


def cross_correlation(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Slides every exemplar over its own search features.

    Args:
        z (Tensor): Exemplar features ``(N, C, hz, wz)``.
        x (Tensor): Search features ``(N, C, hx, wx)``.

    Returns:
        Tensor: Responses ``(N, 1, hx - hz + 1, wx - wz + 1)``.
    """
    n, c, hz, wz = z.shape
    if x.shape[:2] != (n, c):
        raise ValueError(f'exemplar {tuple(z.shape)} and search '
                         f'{tuple(x.shape)} features do not pair up')
    out = F.conv2d(x.reshape(1, n * c, *x.shape[2:]), z, groups=n)
    return out.reshape(n, 1, *out.shape[2:])


def siamfc_labels(size: int,
                  total_stride: int,
                  pos_radius: float,
                  neg_radius: float,
                  device=None) -> torch.Tensor:
    """SiamFC's label map: 1 near the centre, 0 far away, 0.5 between.

    A response cell is positive when its L1 (city-block) distance to the
    centre, in search-image pixels (cells x ``total_stride``), is at most
    ``pos_radius``, negative beyond ``neg_radius`` (ignored in between).

    Returns:
        Tensor: ``(size, size)`` float labels.
    """
    r = torch.arange(size, dtype=torch.float32, device=device) - (size - 1) / 2
    dist = (r[:, None].abs() + r[None].abs()) * total_stride
    labels = torch.zeros(size, size, device=device)
    labels[dist < neg_radius] = 0.5
    labels[dist <= pos_radius] = 1.
    return labels


@MODELS.register_module()
class SiamFCHead(BaseModule):
    """SiamFC cross-correlation head with the balanced logistic loss.

    ``response = out_scale * (adjust(x) * adjust(z)) + bias``: the exemplar
    features slide over the search features (``F.conv2d(x, z, groups=N)``),
    scaled by 0.001 as in SiamFC so that the responses of wide (2048-d)
    features start as sensible logits. The optional ``adjust`` is a shared
    1x1 conv + BN reducing the channels (``adjust_channels``); it is the
    trainable part when the backbone is frozen and makes the correlation
    8x cheaper for res5 features.

    Training (Bertinetto et al., 2016): logistic loss against
    :func:`siamfc_labels` (positives within ``pos_radius`` search pixels of
    the centre), positives and negatives weighted 1/2 each per pair.

    Args:
        in_channels (int): Backbone channels. Defaults to 2048 (res5).
        adjust_channels (int, optional): Output channels of the 1x1
            adjust layer; None keeps the backbone features. Defaults to 256.
        out_scale (float): Response scale. Defaults to 0.001.
        pos_radius (float): Positive radius in search-image pixels.
            Defaults to 16.
        neg_radius (float): Cells closer than this (and not positive) are
            ignored. Defaults to 0 (all others negative).
        loss_weight (float): Defaults to 1.0.
        init_cfg (dict | list[dict], optional): Defaults to Kaiming for the
            adjust conv.
    """

    def __init__(
        self,
        in_channels: int = 2048,
        adjust_channels: Optional[int] = 256,
        out_scale: float = 0.001,
        pos_radius: float = 16.,
        neg_radius: float = 0.,
        loss_weight: float = 1.0,
        init_cfg: Optional[Union[dict, List[dict]]] = dict(
            type='Kaiming', layer='Conv2d')
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if pos_radius < 0 or neg_radius < 0:
            raise ValueError('pos_radius and neg_radius must be >= 0, got '
                             f'{pos_radius}, {neg_radius}')
        self.in_channels = in_channels
        self.adjust_channels = adjust_channels
        if adjust_channels is None:
            self.adjust = nn.Identity()
        else:
            self.adjust = nn.Sequential(
                nn.Conv2d(in_channels, adjust_channels, 1, bias=False),
                nn.BatchNorm2d(adjust_channels))
        self.out_scale = out_scale
        self.bias = nn.Parameter(torch.zeros(1))
        self.pos_radius = pos_radius
        self.neg_radius = neg_radius
        self.loss_weight = loss_weight

    def forward(self, z_feat: torch.Tensor,
                x_feat: torch.Tensor) -> torch.Tensor:
        """Responses of (adjusted) exemplar and search features.

        Args:
            z_feat (Tensor): ``(N, C, hz, wz)`` or ``(1, C, hz, wz)`` (one
                exemplar for N search regions, e.g. the scales).
            x_feat (Tensor): ``(N, C, hx, wx)``.

        Returns:
            Tensor: ``(N, 1, hx - hz + 1, wx - wz + 1)`` logits.
        """
        z = self.adjust(z_feat)
        x = self.adjust(x_feat)
        if z.shape[0] == 1 and x.shape[0] > 1:
            z = z.expand(x.shape[0], *z.shape[1:])
        return cross_correlation(z, x) * self.out_scale + self.bias

    def loss(self, responses: torch.Tensor,
             total_stride: int) -> Dict[str, torch.Tensor]:
        """Balanced logistic loss.

        Args:
            responses (Tensor): ``(N, 1, R, R)`` logits.
            total_stride (int): Search pixels per response cell.

        Returns:
            dict: ``loss_siamfc``.
        """
        size = responses.shape[-1]
        if responses.shape[-2] != size:
            raise ValueError(f'square responses expected, got '
                             f'{tuple(responses.shape)}')
        labels = siamfc_labels(size, total_stride, self.pos_radius,
                               self.neg_radius, responses.device)
        pos, neg = labels == 1, labels == 0
        weights = torch.zeros_like(labels)
        weights[pos] = 0.5 / pos.sum().clamp(min=1)
        weights[neg] = 0.5 / neg.sum().clamp(min=1)
        targets = labels.expand_as(responses)
        loss = F.binary_cross_entropy_with_logits(
            responses.float(),
            targets,
            weights.expand_as(responses),
            reduction='sum') / responses.shape[0]
        return dict(loss_siamfc=loss * self.loss_weight)
