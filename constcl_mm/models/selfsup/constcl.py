# Copyright (c) constcl_mm authors. All rights reserved.
import hashlib
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmaction.registry import MODELS
from mmengine.dist import all_gather, get_world_size
from mmengine.logging import print_log
from mmengine.model import BaseModel

from ..losses.region_infonce import match_regions

SampleList = Optional[Sequence]


@MODELS.register_module()
class ConSTCL(BaseModel):
    """Implementation of `Contextualized Spatio-Temporal Contrastive Learning
    with Self-Supervision <https://arxiv.org/abs/2112.05181>`_ (CVPR 2022),
    following the official TF code (official_implementation.md §1-§3).

    Both views of every video go through the backbone in one ``2B`` batch
    (shared BN statistics). The global head contrasts pooled
    ``features[global_index]`` (res5) with NT-Xent; the context neck pools
    keyframe regions of ``features[local_index]`` (res5_1), reconstructs the
    regions of each view from the other view's context, and the region head
    contrasts them.

    Variants are configs of this class: CVRL (no neck and local head), and
    the paper's Table 5 endpoints (local loss on C4, on the single C5, on
    C5_r of the Y backbone) through ``backbone.out_indices`` and the two
    indices.

    Args:
        backbone (dict): Backbone config (e.g. ``ResNet3dY``).
        global_head (dict): ``GlobalContrastiveHead`` config.
        neck (dict, optional): ``ContextCrossAttentionNeck`` config.
        local_head (dict, optional): ``RegionContrastiveHead`` config; given
            with ``neck`` or not at all.
        global_index (int): Backbone output feeding the global head.
        local_index (int): Backbone output feeding the neck.
        data_preprocessor (dict, optional): Defaults to
            ``ConSTCLDataPreprocessor`` (uint8 -> [-1, 1]).
        init_cfg (dict, optional): e.g. ``Pretrained``.
    """

    def __init__(self,
                 backbone: dict,
                 global_head: dict,
                 neck: Optional[dict] = None,
                 local_head: Optional[dict] = None,
                 global_index: int = 0,
                 local_index: int = 1,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='ConSTCLDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            # built here so that it resolves in mmaction's registry whatever
            # the default scope is
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if (neck is None) != (local_head is None):
            raise ValueError('ConSTCL needs both `neck` and `local_head` for '
                             'the local loss, or neither (CVRL baseline)')
        self.backbone = MODELS.build(backbone)
        self.global_head = MODELS.build(global_head)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.local_head = MODELS.build(local_head) \
            if local_head is not None else None
        self.global_index = global_index
        self.local_index = local_index
        self._check_indices()
        self._check_channels()

    def _backbone_channels(self, index: int) -> Optional[int]:
        """Channels of backbone output ``index`` (ResNet-style backbones
        with ``base_channels``, ``block.expansion`` and ``out_indices``;
        stages 3 and 4 are the global and local res5), else None."""
        backbone = self.backbone
        block = getattr(backbone, 'block', None)
        outs = getattr(backbone, 'out_indices', None)
        base = getattr(backbone, 'base_channels', None)
        if block is None or outs is None or base is None:
            return None
        stage = min(tuple(outs)[index], 3)
        return base * 2**stage * block.expansion

    def _check_channels(self) -> None:
        """Names the config fields when the heads do not fit the backbone
        (e.g. ``backbone.depth=34`` with the R3D-50 heads), at build."""
        pairs = [('global_head', self.global_head, self.global_index)]
        if self.neck is not None:
            pairs.append(('neck', self.neck, self.local_index))
        for name, module, index in pairs:
            given = getattr(module, 'in_channels', None)
            expect = self._backbone_channels(index)
            if given is None or expect is None or given == expect:
                continue
            depth = getattr(self.backbone, 'depth', '?')
            raise ValueError(
                f'model.{name}.in_channels={given} but the backbone '
                f'(model.backbone.depth={depth}, base_channels='
                f'{self.backbone.base_channels}) gives {expect} channels at '
                f'output {index} (out_indices='
                f'{tuple(self.backbone.out_indices)}); set '
                f'model.{name}.in_channels={expect} (and the other heads), '
                'or change the depth back')

    def _check_indices(self) -> None:
        outs = getattr(self.backbone, 'out_indices', None)
        if outs is None:
            return
        num = len(outs)
        for name, idx in (('global_index', self.global_index),
                          ('local_index', self.local_index)):
            if name == 'local_index' and self.neck is None:
                continue
            if not -num <= idx < num:
                raise ValueError(
                    f'{name}={idx} but the backbone returns {num} feature '
                    f'map(s) (out_indices={tuple(outs)})')

    @staticmethod
    def _video_ids(data_samples: SampleList,
                   device: torch.device) -> Optional[torch.Tensor]:
        """``(B,)`` int64 hash of each sample's ``filename`` metainfo, or None
        when a sample has no filename."""
        names = [
            getattr(ds, 'metainfo', {}).get('filename')
            for ds in data_samples or ()
        ]
        if not names or any(n is None for n in names):
            return None
        ids = [
            int.from_bytes(
                hashlib.blake2b(str(n).encode(), digest_size=8).digest(),
                'little',
                signed=True) for n in names
        ]
        return torch.tensor(ids, dtype=torch.int64, device=device)

    def check_global_batch(self, num_clips: int,
                           data_samples: SampleList) -> None:
        """Refuses global batches without negatives; warns on duplicates.

        NT-Xent contrasts each video with the other videos of the global
        batch (all processes). With one video there is no negative: the loss
        is 0 and nothing is learned; a video drawn twice is its own negative.

        Args:
            num_clips (int): ``2B``, the clips of this process.
            data_samples (list, optional): With ``filename`` metainfo (set by
                ``PackConSTCLInputs``) to detect repeated videos.

        Raises:
            ValueError: Fewer than 2 distinct videos in the global batch,
                naming the batch size and the world size.
        """
        batch, world = num_clips // 2, get_world_size()
        ids = self._video_ids(data_samples, torch.device('cpu'))
        if ids is not None and world > 1:
            ids = torch.cat(all_gather(ids))
        total = batch * world
        distinct = total if ids is None else int(ids.unique().numel())
        if distinct < 2:
            raise ValueError(
                f'ConST-CL needs at least 2 distinct videos in the global '
                f'batch (its negatives), got {distinct} distinct of {total} '
                f'(train_dataloader.batch_size={batch} x world size '
                f'{world}); a batch of one video gives loss 0 and no '
                'gradient. Raise the batch size, or give the dataset more '
                'videos than processes.')
        if distinct < total and not getattr(self, '_warned_repeats', False):
            self._warned_repeats = True
            print_log(
                f'The global batch holds {total - distinct} repeated '
                f'video(s) ({distinct} distinct of {total}: '
                f'train_dataloader.batch_size={batch} x world size {world}); '
                'a repeated video is its own negative. The dataset is '
                'probably smaller than the global batch. (Warned once.)',
                logger='current',
                level=30)

    @property
    def with_local(self) -> bool:
        return self.neck is not None

    def extract_feat(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Backbone features of the ``(2B, C, T, H, W)`` clips, as a tuple."""
        feats = self.backbone(inputs)
        return feats if isinstance(feats, tuple) else (feats, )

    def _boxes(self, data_samples: SampleList, num_clips: int,
               device: torch.device) -> Tuple[torch.Tensor, torch.Tensor]:
        """Stacks per-video ``boxes (2, N, 4)`` into the ``(2B, N, 4)`` batch
        layout (view-1 rows first), with the ``box_valid`` masks."""
        if not data_samples or any('boxes' not in ds for ds in data_samples):
            raise ValueError(
                'the local branch needs region boxes: every data sample must '
                'carry `boxes` (2, N, 4), normalised [x1, y1, x2, y2] on each '
                "view's keyframe (see PackConSTCLInputs)")
        boxes = torch.stack([torch.as_tensor(ds.boxes)
                             for ds in data_samples]).to(device)
        if boxes.dim() != 4 or boxes.shape[1] != 2 or boxes.shape[-1] != 4:
            raise ValueError(f'data sample boxes must be (2, N, 4), got '
                             f'{tuple(boxes.shape[1:])}')
        if boxes.shape[0] * 2 != num_clips:
            raise ValueError(f'{boxes.shape[0]} box sets for {num_clips} '
                             'clips: expected one per video (two views)')
        valid = torch.stack([
            torch.as_tensor(ds.box_valid) if 'box_valid' in ds else torch.ones(
                boxes.shape[1:3], dtype=torch.bool) for ds in data_samples
        ]).to(device)
        boxes = boxes.transpose(0, 1).flatten(0, 1).float()
        valid = valid.transpose(0, 1).flatten(0, 1).bool()
        return boxes, valid

    @staticmethod
    def _clip_starts(data_samples: SampleList,
                     device: torch.device) -> torch.Tensor:
        """``(2B,)`` first raw frame of every clip, view-1 rows first."""
        if any('clip_starts' not in ds for ds in data_samples):
            raise ValueError(
                "context_sampling='nearest' needs `clip_starts` (2,) in "
                'every data sample (see PackConSTCLInputs)')
        starts = torch.stack(
            [torch.as_tensor(ds.clip_starts) for ds in data_samples])
        return starts.t().reshape(-1).to(device)

    def loss(self,
             inputs: torch.Tensor,
             data_samples: SampleList = None) -> Dict[str, torch.Tensor]:
        """Global and local losses with their statistics.

        Args:
            inputs (Tensor): ``(2B, C, T, H, W)`` from the data preprocessor.
            data_samples (list): One per video, with ``boxes`` and
                ``box_valid`` for the local branch.

        The total loss of the paper (§3.4, §4.1) is
        ``L = L_global + lambda * L_local``: ``loss_global`` is NT-Xent with
        weight 1, ``loss_local`` the region InfoNCE already multiplied by
        ``lambda = local_head.loss_weight`` (0.001, the official code;
        official_implementation.md §3.6). The sum is taken by mmengine's
        ``BaseModel.parse_losses``, which adds every entry of the returned
        dict whose key contains ``loss``.

        Returns:
            dict[str, Tensor]: ``loss_global``, ``loss_local`` (summed by
            ``parse_losses``) and logged statistics.
        """
        self.check_global_batch(inputs.shape[0], data_samples)
        feats = self.extract_feat(inputs)
        losses = self.global_head.loss(feats[self.global_index])
        if self.with_local:
            boxes, valid = self._boxes(data_samples, inputs.shape[0],
                                       inputs.device)
            clip_starts = self._clip_starts(data_samples, inputs.device) \
                if self.neck.needs_clip_starts else None
            regions = self.neck(feats[self.local_index], boxes, clip_starts)
            losses.update(self.local_head.loss(regions, valid))
        return losses

    @torch.no_grad()
    def region_matches(self, inputs: torch.Tensor,
                       data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Argmax region matches between the views (for visualisation).

        Returns:
            dict: ``similarity (B, N, N)`` and ``match_a2b``/``match_b2a``
            ``(B, N)``.
        """
        if not self.with_local:
            raise RuntimeError('region_matches needs the local branch (neck)')
        feats = self.extract_feat(inputs)
        boxes, valid = self._boxes(data_samples, inputs.shape[0],
                                   inputs.device)
        inst = self.neck.region_features(feats[self.local_index], boxes)
        inst_a, inst_b = inst.chunk(2, dim=0)
        valid_a, valid_b = valid.chunk(2, dim=0)
        return match_regions(inst_a, inst_b, valid_a, valid_b)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: SampleList = None,
                mode: str = 'tensor'):
        """``mode='loss'``: loss dict; ``'tensor'``: backbone features."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        raise RuntimeError(
            f'ConSTCL is a pretraining model: mode {mode!r} is not '
            "supported (use 'loss' or 'tensor'; evaluate downstream)")
