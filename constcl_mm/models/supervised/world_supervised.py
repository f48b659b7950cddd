# Copyright (c) constcl_mm authors. All rights reserved.
"""The supervised control of the learning proof (docs/learning_proof.md)."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModel

from ..utils.roi_align import roi_align_pooled

SampleList = Optional[Sequence]


@MODELS.register_module()
class WorldSupervised(BaseModel):
    """The ConST-CL backbone trained with the object world's labels.

    The upper bound of the learning proof: the same backbone, data pipeline
    (two views per video), optimiser and budget as the self-supervised
    models, trained on the labels the probes read. The scene class is
    predicted from the globally pooled global res5; the category and motion
    class of every ground-truth object box from the local res5_1 (averaged
    over time, ROI-pooled as the neck pools regions). Each view is one
    training clip.

    Args:
        backbone (dict): ``ResNet3dY`` config with both branches.
        num_scenes (int): Scene classes. Defaults to 4.
        num_categories (int): Object categories. Defaults to 8.
        num_motions (int): Motion classes. Defaults to 4.
        global_index (int): Backbone output of the scene head. Defaults to 0.
        local_index (int): Backbone output of the region heads. Defaults
            to 1.
        region_weight (float): Weight of each region loss. Defaults to 1.
        data_preprocessor (dict, optional): Defaults to
            ``ConSTCLDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 num_scenes: int = 4,
                 num_categories: int = 8,
                 num_motions: int = 4,
                 global_index: int = 0,
                 local_index: int = 1,
                 region_weight: float = 1.0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='ConSTCLDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.global_index = global_index
        self.local_index = local_index
        self.region_weight = float(region_weight)
        global_channels = self._channels(global_index)
        local_channels = self._channels(local_index)
        self.scene_head = nn.Linear(global_channels, num_scenes)
        self.category_head = nn.Linear(local_channels, num_categories)
        self.motion_head = nn.Linear(local_channels, num_motions)

    def _channels(self, index: int) -> int:
        out = self.backbone.out_indices[index]
        stage = 3 if out >= 3 else out
        return self.backbone.base_channels * 2**stage * \
            self.backbone.block.expansion

    def init_weights(self) -> None:
        super().init_weights()
        self.backbone.init_weights()
        for head in (self.scene_head, self.category_head, self.motion_head):
            nn.init.normal_(head.weight, std=0.01)
            nn.init.zeros_(head.bias)

    @staticmethod
    def _per_view(data_samples: Sequence, key: str) -> torch.Tensor:
        """``(2B, ...)`` rows of a per-video ``(2, ...)`` field, view-1 rows
        first (the data preprocessor's order)."""
        values = torch.stack(
            [torch.as_tensor(ds.get(key)) for ds in data_samples])
        return values.transpose(0, 1).flatten(0, 1)

    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Cross-entropy of the scene, category and motion heads.

        Args:
            inputs (Tensor): ``(2B, C, T, H, W)``.
            data_samples (list): One per video with ``gt_label``,
                ``boxes`` ``(2, N, 4)``, ``box_valid``, ``box_categories``
                and ``box_motions`` ``(2, N)``.

        Returns:
            dict: ``loss_scene``, ``loss_category``, ``loss_motion`` and the
            training accuracies.
        """
        feats = self.backbone(inputs)
        labels = torch.stack([
            torch.as_tensor(ds.gt_label).reshape(()) for ds in data_samples
        ]).to(inputs.device).repeat(2)
        scene = self.scene_head(
            feats[self.global_index].float().mean(dim=(2, 3, 4)))
        boxes = self._per_view(data_samples, 'boxes').to(inputs.device)
        valid = self._per_view(data_samples, 'box_valid').to(inputs.device)
        regions = roi_align_pooled(feats[self.local_index].float().mean(2),
                                   boxes.float())[valid]
        out = dict(loss_scene=F.cross_entropy(scene, labels))
        out['acc_scene'] = (scene.argmax(1) == labels).float().mean()
        for name, key, head in (('category', 'box_categories',
                                 self.category_head), ('motion', 'box_motions',
                                                       self.motion_head)):
            target = self._per_view(data_samples, key).to(inputs.device)[valid]
            logits = head(regions)
            if len(target):
                loss = F.cross_entropy(logits, target)
                acc = (logits.argmax(1) == target).float().mean()
            else:  # no visible object in the batch
                loss, acc = logits.sum() * 0, logits.new_zeros(())
            out[f'loss_{name}'] = self.region_weight * loss
            out[f'acc_{name}'] = acc
        return out

    def forward(self,
                inputs: torch.Tensor,
                data_samples: SampleList = None,
                mode: str = 'tensor'):
        """``mode='loss'``: the losses; ``'tensor'``: backbone features."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.backbone(inputs)
        raise RuntimeError(f'WorldSupervised supports modes loss and '
                           f'tensor, not {mode!r}')
