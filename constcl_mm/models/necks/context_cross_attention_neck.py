# Copyright (c) constcl_mm authors. All rights reserved.
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from ..common import (KERAS_LINEAR_INIT, build_context_attention,
                      check_context_length, context_frame_indices,
                      context_memory, projection_mlp, resolve_attention_cfg)
from ..utils.normalize import l2_normalize
from ..utils.roi_align import roi_align_pooled


def nearest_context_indices(query_starts: torch.Tensor,
                            memory_starts: torch.Tensor, num_frames: int,
                            context_length: int, frame_interval: int,
                            temporal_stride: int) -> torch.Tensor:
    """Memory frames of one view nearest in time to the other view's
    keyframe (the ``'nearest'`` context sampling).

    Feature frame ``j`` of a clip starting at raw frame ``s`` covers raw
    frames ``s + frame_interval * (temporal_stride * j + [0, stride))``; the
    query's keyframe is raw frame ``s_q + frame_interval * T // 2``. The
    window keeps the official stride ``T' // L`` and is shifted, not clipped,
    to stay inside the clip.

    Args:
        query_starts (Tensor): ``(B,)`` first raw frame of the query clips.
        memory_starts (Tensor): ``(B,)`` first raw frame of the memory clips.
        num_frames (int): Feature frames T'.
        context_length (int): L (odd).
        frame_interval (int): Raw frames between sampled input frames.
        temporal_stride (int): Input frames per feature frame.

    Returns:
        Tensor: ``(B, L)`` long frame indices.
    """
    stride = num_frames // context_length
    half = context_length // 2
    key_time = query_starts.double() + frame_interval * (
        temporal_stride * num_frames // 2)
    centres = torch.arange(
        num_frames, device=query_starts.device, dtype=torch.double)
    frame_times = memory_starts.double()[:, None] + frame_interval * (
        temporal_stride * centres + (temporal_stride - 1) / 2)
    nearest = (frame_times - key_time[:, None]).abs().argmin(dim=1)
    first = (nearest - half * stride).clamp(0,
                                            num_frames - 1 - 2 * half * stride)
    steps = torch.arange(context_length, device=query_starts.device) * stride
    return first[:, None] + steps


@MODELS.register_module()
class ContextCrossAttentionNeck(BaseModule):
    """Context cross-attention: the paper's g(h, F'_c) (official
    ``InstanceReconstructor``, official_implementation.md §3).

    The dense features of both views are L2-normalised per location. Region
    features ``h`` are ROI-aligned on the keyframe ``T' // 2`` (4x4 bins, one
    bilinear sample each, averaged). The memory of each view is
    ``context_length`` feature frames around the keyframe with a learned
    coordinate encoding concatenated. Regions of view a query the memory of
    view b and vice versa, through a shared :class:`ContextDecoder` and a
    final projection back to the backbone width.

    With ``context_length=0`` no decoder is built: vanilla region contrast
    (paper §3.1). Both views' regions go through an MLP projection head of
    the global head's shape (``region_mlp``), and each projected region is
    contrasted with the projected region of the other view it matches
    (matching still on the raw region features).

    ``spatial_pool=k`` average-pools the features ``k x k`` in space before
    everything else: the paper's C4 endpoint pools res4 2x2 (14x14 -> 7x7 at
    224 px) before the region loss (Section 4.3).

    Args:
        in_channels (int): Backbone channels C. Defaults to 2048.
        context_length (int): Memory frames (odd) or 0. Defaults to 5.
        crop_size (int): ROIAlign bins per side. Defaults to 4.
        sample_offset (float): ROIAlign sample offset. Defaults to 0.5.
        attention_cfg (dict, optional): Settings of the decoder and the
            coordinate encoding, any keys of
            :data:`~constcl_mm.models.common.DEFAULT_ATTENTION_CFG`
            (``tx_channels``, ``num_layers``, ``num_heads``, ``dropout``,
            ``layer_norm_eps``, ``use_positional_encoding``,
            ``pe_hidden_channels``, ``pe_channels``). Defaults to None (the
            official values).
        out_channels (int, optional): Projection width; must equal
            ``in_channels`` because the outputs are compared with raw region
            features. Defaults to ``in_channels``.
        normalize_inputs (bool): Per-location L2 normalisation of the
            features. Defaults to True.
        context_sampling (str): Which feature frames form the memory:
            'center' (official: L frames around the keyframe, stride T'//L),
            'nearest' (the L frames of the other view nearest in time to the
            query view's keyframe, needs ``clip_starts``) or 'random' (L
            random frames per clip in training, 'center' in eval). These are
            the temporal-sampling ablation of the paper; 'nearest' and
            'random' are our reading of it. Defaults to 'center'.
        frame_interval (int): Raw frames between sampled input frames, for
            'nearest'. Defaults to 2.
        temporal_stride (int): Input frames per feature frame (the stem's
            temporal stride), for 'nearest'. Defaults to 2.
        region_mlp (dict, optional): The projection head of
            ``context_length=0``: ``num_hidden_layers x [Linear(no bias),
            norm, ReLU] -> Linear(out_channels)``. ``None`` contrasts the
            raw region features (no parameters). Ignored for
            ``context_length > 0``. Defaults to the global head's shape
            (3 x 2048, BN, 128).
        spatial_pool (int): Average-pool window and stride in H and W
            applied to the features first. Defaults to 1 (none).
        init_cfg (dict | list[dict], optional): Defaults to Keras'
            glorot-uniform kernels with zero biases
            (``KERAS_LINEAR_INIT``).
    """

    def __init__(
        self,
        in_channels: int = 2048,
        context_length: int = 5,
        crop_size: int = 4,
        sample_offset: float = 0.5,
        attention_cfg: Optional[dict] = None,
        out_channels: Optional[int] = None,
        normalize_inputs: bool = True,
        context_sampling: str = 'center',
        frame_interval: int = 2,
        temporal_stride: int = 2,
        region_mlp: Optional[dict] = dict(
            hid_channels=2048,
            out_channels=128,
            num_hidden_layers=3,
            norm_cfg=dict(type='BN1d', momentum=0.1, eps=1e-5)),
        spatial_pool: int = 1,
        init_cfg: Optional[Union[dict, List[dict]]] = (KERAS_LINEAR_INIT)
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        out_channels = in_channels if out_channels is None else out_channels
        if out_channels != in_channels:
            raise ValueError(
                f'out_channels ({out_channels}) must equal in_channels '
                f'({in_channels}): reconstructed regions are compared with '
                'raw region features')
        check_context_length(context_length, allow_zero=True)
        self.in_channels = in_channels
        self.context_length = context_length
        self.crop_size = crop_size
        self.sample_offset = sample_offset
        self.normalize_inputs = normalize_inputs
        if context_sampling not in ('center', 'nearest', 'random'):
            raise ValueError("context_sampling must be 'center', 'nearest' "
                             f"or 'random', got {context_sampling!r}")
        self.context_sampling = context_sampling
        self.frame_interval = frame_interval
        self.temporal_stride = temporal_stride
        if spatial_pool < 1:
            raise ValueError(f'spatial_pool must be >= 1, got {spatial_pool}')
        self.spatial_pool = spatial_pool
        self.region_mlp = None
        if context_length == 0:
            # no decoder, but a misspelt setting is still an error
            resolve_attention_cfg(attention_cfg, type(self).__name__)
            self.positional_encoding = None
            self.decoder = None
            self.projection = None
            if region_mlp is not None:
                self.region_mlp = projection_mlp(in_channels, **region_mlp)
            return
        self.positional_encoding, self.decoder = build_context_attention(
            in_channels, attention_cfg,
            type(self).__name__)
        self.projection = torch.nn.Linear(self.decoder.out_channels,
                                          out_channels)

    def _check_inputs(self, features: torch.Tensor,
                      boxes: torch.Tensor) -> None:
        if features.dim() != 5:
            raise ValueError('features must be (2B, C, T, H, W), got shape '
                             f'{tuple(features.shape)}')
        n2, c, t = features.shape[:3]
        if n2 % 2:
            raise ValueError(
                f'the batch must hold two views per video (2B rows), got '
                f'{n2} rows')
        if c != self.in_channels:
            raise ValueError(f'features have {c} channels, the neck was built '
                             f'for in_channels={self.in_channels}')
        if boxes.dim() != 3 or boxes.shape[0] != n2 or boxes.shape[2] != 4:
            raise ValueError(f'boxes must be (2B, N, 4) = ({n2}, N, 4), got '
                             f'{tuple(boxes.shape)}')
        if boxes.numel() and (boxes.min() < 0 or boxes.max() > 1):
            raise ValueError(
                'box coordinates must be normalised to [0, 1] of the crop, '
                f'got values in [{boxes.min().item():.4g}, '
                f'{boxes.max().item():.4g}]')
        if self.context_length > t:
            raise ValueError(
                f'context_length {self.context_length} is larger than the '
                f'{t} feature frames')

    def _normalized(self, features: torch.Tensor) -> torch.Tensor:
        """The optional spatial average pool, then the per-location L2
        normalisation."""
        if self.spatial_pool > 1:
            k = self.spatial_pool
            features = F.avg_pool3d(features, (1, k, k), (1, k, k))
        return l2_normalize(features, dim=1) if self.normalize_inputs \
            else features

    def _pool_keyframe(self, features: torch.Tensor,
                       boxes: torch.Tensor) -> torch.Tensor:
        keyframe = features[:, :, features.shape[2] // 2]
        return roi_align_pooled(keyframe, boxes, self.crop_size,
                                self.sample_offset)

    def region_features(self, features: torch.Tensor,
                        boxes: torch.Tensor) -> torch.Tensor:
        """Keyframe region features ``h`` (after the L2 normalisation).

        Args:
            features (Tensor): ``(2B, C, T', H, W)``.
            boxes (Tensor): ``(2B, N, 4)`` normalised ``[x1, y1, x2, y2]``.

        Returns:
            Tensor: ``(2B, N, C)``.
        """
        self._check_inputs(features, boxes)
        return self._pool_keyframe(self._normalized(features), boxes)

    @property
    def needs_clip_starts(self) -> bool:
        return self.context_length > 0 and self.context_sampling == 'nearest'

    def context_indices(self,
                        num_clips: int,
                        num_frames: int,
                        clip_starts: Optional[torch.Tensor] = None,
                        device: Optional[torch.device] = None) -> torch.Tensor:
        """``(2B, L)`` memory frames; row i is the memory that the *other*
        view's queries attend to in clip i."""
        centre = torch.tensor(
            context_frame_indices(num_frames, self.context_length),
            device=device)
        if self.context_sampling == 'center' or (
                self.context_sampling == 'random' and not self.training):
            return centre.expand(num_clips, -1)
        if self.context_sampling == 'random':
            scores = torch.rand(num_clips, num_frames, device=device)
            return scores.argsort(dim=1)[:, :self.context_length].sort(
                dim=1).values
        if clip_starts is None or clip_starts.numel() != num_clips:
            raise ValueError(
                "context_sampling='nearest' needs clip_starts (2B,) with the "
                'first raw frame of every clip (data samples `clip_starts`)')
        starts_a, starts_b = clip_starts.to(device).chunk(2)
        args = (num_frames, self.context_length, self.frame_interval,
                self.temporal_stride)
        # memory of view a serves b's queries, and the reverse
        mem_a = nearest_context_indices(starts_b, starts_a, *args)
        mem_b = nearest_context_indices(starts_a, starts_b, *args)
        return torch.cat([mem_a, mem_b])

    def memory(self,
               features: torch.Tensor,
               clip_starts: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Context memory tokens ``(2B, L*H*W, C')`` of normalised features."""
        n, _, t = features.shape[:3]
        index = self.context_indices(n, t, clip_starts, features.device)
        return context_memory(features, index, self.positional_encoding)

    def reconstruct(self,
                    query: torch.Tensor,
                    memory: torch.Tensor,
                    return_attention: bool = False):
        """``z = g(h, F'_c)`` (paper §3.2): regions decoded against a
        memory, projected (official_implementation.md §3.4)."""
        out = self.decoder(query, memory, return_attention)
        if return_attention:
            return self.projection(out[0]), out[1]
        return self.projection(out)

    def forward(self,
                features: torch.Tensor,
                boxes: torch.Tensor,
                clip_starts: Optional[torch.Tensor] = None,
                return_attention: bool = False) -> Dict[str, torch.Tensor]:
        """Regions of each view reconstructed from the other view's context.

        Args:
            features (Tensor): Local-branch features ``(2B, C, T', H, W)``;
                rows ``0..B-1`` are view a, rows ``B..2B-1`` view b.
            boxes (Tensor): Keyframe boxes ``(2B, N, 4)``, normalised
                ``[x1, y1, x2, y2]`` in each view's crop.
            clip_starts (Tensor, optional): ``(2B,)`` first raw frame of
                each clip, for ``context_sampling='nearest'``.
            return_attention (bool): Also return the decoder attention
                weights (``attn_a2b``/``attn_b2a``: per layer, per unit,
                ``(B, N, L*H*W)``).

        Returns:
            dict[str, Tensor]: ``inst_a``, ``inst_b`` (raw region features)
            and ``inst_a2b``, ``inst_b2a`` (reconstructions), each
            ``(B, N, C)``. With ``context_length=0`` and a ``region_mlp``,
            ``inst_a2b``/``inst_b2a`` are the projections ``(B, N, D)`` of
            each view's own regions and ``target_a``/``target_b`` the same
            projections, to be used as the other direction's targets.
        """
        self._check_inputs(features, boxes)
        features = self._normalized(features)
        inst_a, inst_b = self._pool_keyframe(features, boxes).chunk(2, dim=0)
        out = dict(inst_a=inst_a, inst_b=inst_b)
        if self.context_length == 0:
            if self.region_mlp is None:
                out.update(inst_a2b=inst_a, inst_b2a=inst_b)
                return out
            b, n, c = inst_a.shape
            proj = self.region_mlp(
                torch.cat([inst_a, inst_b]).reshape(2 * b * n,
                                                    c)).reshape(2 * b, n, -1)
            proj_a, proj_b = proj.chunk(2, dim=0)
            out.update(
                inst_a2b=proj_a,
                inst_b2a=proj_b,
                target_a=proj_a,
                target_b=proj_b)
            return out
        memory_a, memory_b = self.memory(features, clip_starts).chunk(2, 0)
        a2b = self.reconstruct(inst_a, memory_b, return_attention)
        b2a = self.reconstruct(inst_b, memory_a, return_attention)
        if return_attention:
            (a2b, attn_a2b), (b2a, attn_b2a) = a2b, b2a
            out.update(attn_a2b=attn_a2b, attn_b2a=attn_b2a)
        out.update(inst_a2b=a2b, inst_b2a=b2a)
        return out
