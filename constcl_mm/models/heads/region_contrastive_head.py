# Copyright (c) constcl_mm authors. All rights reserved.
from typing import Dict, Optional

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from ..losses.region_infonce import region_infonce_loss
from ..utils.precision import autocast_off
from .global_contrastive_head import checked_temperature


@MODELS.register_module()
class RegionContrastiveHead(BaseModule):
    """Region (local) contrastive loss on the context neck's outputs.

    Positives by argmax cosine similarity of the two views' raw region
    features, negatives = all regions of the other videos of the global
    batch (gathered with gradient), both directions averaged
    (official_implementation.md §3.5).

    Args:
        temperature (float): Defaults to 0.2.
        loss_weight (float): Defaults to 0.001 (the official code; the paper
            writes 0.01, see ``configs/constcl/*_localw0.01*``).
        normalize (bool): L2-normalise the inputs. Defaults to True.
        mask_invalid_targets (bool): Keep padding boxes out of the matching
            and the negatives (for box generators that may yield fewer than
            N boxes). The official code uses every box. Defaults to False.
    """

    def __init__(self,
                 temperature: float = 0.2,
                 loss_weight: float = 0.001,
                 normalize: bool = True,
                 mask_invalid_targets: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        temperature = checked_temperature(temperature, self,
                                          'model.local_head.temperature', 0.2)
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.normalize = normalize
        self.mask_invalid_targets = mask_invalid_targets

    def loss(self,
             regions: Dict[str, torch.Tensor],
             valid: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Computes the local loss.

        Args:
            regions (dict[str, Tensor]): ``inst_a``, ``inst_b``, ``inst_a2b``,
                ``inst_b2a``, each ``(B, N, C)`` (the neck's output), and
                optionally ``target_a``/``target_b`` (projected targets of
                vanilla region contrast).
            valid (Tensor, optional): ``(2B, N)`` bool box validity, rows
                ``0..B-1`` view a.

        Returns:
            dict[str, Tensor]: ``loss_local`` (weighted) and the statistics
            ``local_pos_sim``, ``local_neg_sim`` (means) and their min/max.
        """
        valid_a = valid_b = None
        if valid is not None:
            valid_a, valid_b = valid.bool().chunk(2, dim=0)
        targets = [
            regions[k].float() if k in regions else None
            for k in ('target_a', 'target_b')
        ]
        with autocast_off(regions['inst_a']):
            out = region_infonce_loss(
                regions['inst_a'].float(), regions['inst_b'].float(),
                regions['inst_a2b'].float(), regions['inst_b2a'].float(),
                valid_a, valid_b, self.temperature, self.normalize,
                self.mask_invalid_targets, *targets)
        losses = dict(loss_local=out['loss'] * self.loss_weight)
        for key in ('pos_sim', 'pos_sim_min', 'pos_sim_max', 'neg_sim',
                    'neg_sim_min', 'neg_sim_max'):
            losses[f'local_{key}'] = out[key]
        return losses
