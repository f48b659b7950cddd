# Copyright (c) constcl_mm authors. All rights reserved.
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmaction.models.roi_heads.bbox_heads.bbox_head import BBoxHeadAVA
from mmdet.registry import MODELS
from torch import Tensor

from ..common import (DEFAULT_ATTENTION_CFG, build_context_attention,
                      check_context_length, context_frame_indices,
                      context_memory, keras_init_)

QUERY_TEMPORAL_POOLS = ('keyframe', 'avg', 'max')


def pad_by_clip(feats: Tensor, batch_inds: Tensor,
                num_clips: int) -> Tuple[Tensor, Tensor]:
    """Groups per-region rows by clip into a zero-padded batch.

    Args:
        feats (Tensor): ``(N, C)`` region features in any clip order.
        batch_inds (Tensor): ``(N,)`` clip index of each row.
        num_clips (int): Number of clips B.

    Returns:
        tuple[Tensor, Tensor]: The padded batch ``(B, N_max, C)`` and the
        slot ``(N,)`` of each row in its clip, so that
        ``padded[batch_inds, slots] == feats``.
    """
    counts = torch.bincount(batch_inds, minlength=num_clips)
    order = torch.argsort(batch_inds, stable=True)
    starts = torch.cumsum(counts, 0) - counts
    slots = torch.empty_like(batch_inds)
    slots[order] = torch.arange(
        len(batch_inds), device=batch_inds.device) - starts[batch_inds[order]]
    max_count = int(counts.max()) if len(counts) else 0
    padded = feats.new_zeros(num_clips, max_count, feats.shape[-1])
    padded[batch_inds, slots] = feats
    return padded, slots


@MODELS.register_module()
class ActionTransformerHead(BBoxHeadAVA):
    """Action-transformer classifier for AVA, the ConST-CL paper's head
    (after Girdhar et al., "Video Action Transformer Network", CVPR 2019).

    Region features *query* the clip's context features, and the updated
    queries are classified (multi-label, no hidden layer):

    * **Queries**: the RoI features of each person box, from mmaction2's
      :class:`SingleRoIExtractor3D` run with ``with_temporal_pool=False``
      (``(N, C, T', S, S)``; the official hints: RoIAlign 4x4, one bilinear
      sample per bin at offset 0.5, i.e. ``output_size=4, sampling_ratio=1,
      aligned=False``). They are pooled over time (``query_temporal_pool``:
      by default the keyframe feature frame ``T' // 2``, which the AVA
      keyframe sits on for a centred clip, as in the pretraining head) and
      averaged over the ``S x S`` crop, giving one ``C``-d vector per box.
      Queries carry no positional encoding.
    * **Memory** (keys and values): the feature map of the same clip,
      ``(C, T', H', W')`` (all ``T'`` frames, or ``context_length`` frames
      centred on the keyframe with the pretraining head's indexing), with a
      learned coordinate encoding (:class:`CoordinateMLPEncoding`, 2 x 8
      channels) concatenated, flattened to ``L * H' * W'`` tokens.
    * **Decoder**: the pretraining head's :class:`ContextDecoder` (3 layers
      of 3 independent 128-d single-head cross-attention units, GELU, post
      LayerNorm with eps 1e-12 on attention + projected query, FFN without
      residual); the units' outputs are concatenated (384-d). Regions do not
      attend to each other and only see their own clip.
    * **Classifier**: dropout and one linear layer (``BBoxHeadAVA.fc_cls``)
      on the decoder output.

    The loss (``loss_and_target``: BCE or focal, background column ignored),
    the training statistics and ``predict_by_feat`` are inherited from
    mmaction2's :class:`BBoxHeadAVA`, so ``AVARoIHead`` sampling, testing and
    ``AVAMetric`` work unchanged. The head needs the clip features: use it
    inside :class:`ContextAVARoIHead`.

    Args:
        background_class (bool): Class 0 is background and ignored in the
            loss (as in ``BBoxHeadAVA``).
        in_channels (int): Backbone channels C. Defaults to 2048.
        num_classes (int): Classes including the background column.
            Defaults to 81.
        attention_cfg (dict, optional): Settings of the decoder and the
            coordinate encoding, as for the pretraining neck: any keys of
            :data:`~constcl_mm.models.common.DEFAULT_ATTENTION_CFG`
            (``tx_channels``, ``num_layers``, ``num_heads``, ``dropout``,
            ``layer_norm_eps``, ``use_positional_encoding``,
            ``pe_hidden_channels``, ``pe_channels``). Defaults to None (the
            official values).
        context_length (int, optional): Memory frames (odd, centred on the
            keyframe with stride ``T' // L``); None uses all ``T'`` frames.
            Defaults to None.
        query_temporal_pool (str): 'keyframe', 'avg' or 'max'.
            Defaults to 'keyframe'.
        spatial_pool_type (str): Pooling of the RoI crop into the query,
            'avg' (official) or 'max'. Defaults to 'avg'.
        normalize_inputs (bool): L2-normalise the region and clip features
            per location first (as the pretraining head does).
            Defaults to False.
        dropout_ratio (float): Dropout before the classifier.
            Defaults to 0.
        **kwargs: Other :class:`BBoxHeadAVA` arguments (``focal_gamma``,
            ``focal_alpha``, ``topk``, ``multilabel``).
    """

    with_context = True

    def __init__(self,
                 background_class: bool = True,
                 in_channels: int = 2048,
                 num_classes: int = 81,
                 attention_cfg: Optional[dict] = None,
                 context_length: Optional[int] = None,
                 query_temporal_pool: str = 'keyframe',
                 spatial_pool_type: str = 'avg',
                 normalize_inputs: bool = False,
                 dropout_ratio: float = 0.0,
                 **kwargs) -> None:
        if query_temporal_pool not in QUERY_TEMPORAL_POOLS:
            raise ValueError(
                f'query_temporal_pool must be one of {QUERY_TEMPORAL_POOLS}, '
                f'got {query_temporal_pool!r}')
        if context_length is not None:
            check_context_length(context_length)
        for key in ('temporal_pool_type', 'mlp_head', 'dropout_before_pool'):
            if key in kwargs:
                raise ValueError(
                    f'ActionTransformerHead does not take {key!r} '
                    '(see query_temporal_pool / dropout_ratio)')
        if 'attention_dropout' in kwargs:
            raise ValueError('ActionTransformerHead: attention_dropout is '
                             'attention_cfg=dict(dropout=...)')
        misplaced = sorted(set(kwargs) & set(DEFAULT_ATTENTION_CFG))
        if misplaced:
            raise ValueError(
                f'ActionTransformerHead takes {misplaced} inside '
                f'attention_cfg=dict(...), not as arguments of its own')
        positional_encoding, decoder = build_context_attention(
            in_channels, attention_cfg,
            type(self).__name__)
        super().__init__(
            background_class=background_class,
            temporal_pool_type='max'
            if query_temporal_pool == 'max' else 'avg',
            spatial_pool_type=spatial_pool_type,
            in_channels=decoder.out_channels,  # width seen by fc_cls
            num_classes=num_classes,
            dropout_ratio=dropout_ratio,
            dropout_before_pool=False,
            mlp_head=False,
            **kwargs)
        self.in_channels = in_channels
        self.context_length = context_length
        self.query_temporal_pool = query_temporal_pool
        self.normalize_inputs = normalize_inputs
        self.positional_encoding = positional_encoding
        self.decoder = decoder

    def init_weights(self) -> None:
        """``fc_cls`` as in ``BBoxHeadAVA`` (Xavier normal); the decoder and
        the encoding as the pretraining head (Keras glorot-uniform, zero
        bias)."""
        super().init_weights()
        keras_init_(self.decoder, self.positional_encoding)

    def _queries(self, roi_feats: Tensor) -> Tensor:
        """``(N, C, T', S, S)`` -> ``(N, C)``."""
        if self.query_temporal_pool == 'keyframe':
            t = roi_feats.shape[2] // 2
            roi_feats = roi_feats[:, :, t:t + 1]
        else:
            roi_feats = self.temporal_pool(roi_feats)
        return self.spatial_pool(roi_feats).flatten(1)

    def _memory(self, context: Tensor) -> Tensor:
        """``(B, C, T', H', W')`` -> ``(B, L * H' * W', C + PE)``."""
        index = None
        if self.context_length is not None:
            frames = context_frame_indices(context.shape[2],
                                           self.context_length)
            index = torch.tensor(
                frames, device=context.device).expand(context.shape[0], -1)
        return context_memory(context, index, self.positional_encoding)

    def _check_inputs(self, roi_feats: Tensor, context: Optional[Tensor],
                      rois: Optional[Tensor]) -> None:
        if context is None or rois is None:
            raise ValueError(
                'ActionTransformerHead needs the clip features and the rois: '
                "use it inside roi_head=dict(type='ContextAVARoIHead', ...) "
                "instead of 'AVARoIHead'")
        if roi_feats.dim() != 5 or context.dim() != 5:
            raise ValueError(
                'expected RoI features (N, C, T, S, S) and clip features '
                f'(B, C, T, H, W), got {tuple(roi_feats.shape)} and '
                f'{tuple(context.shape)}')
        for name, t in (('RoI', roi_feats), ('clip', context)):
            if t.shape[1] != self.in_channels:
                raise ValueError(
                    f'{name} features have {t.shape[1]} channels, the head '
                    f'was built with in_channels={self.in_channels} (does the '
                    'RoI extractor concatenate global features, '
                    'with_global=True?)')
        if len(rois) != len(roi_feats):
            raise ValueError(f'{len(rois)} rois for {len(roi_feats)} RoI '
                             'features')

    def forward(self,
                x: Tensor,
                context: Optional[Tensor] = None,
                rois: Optional[Tensor] = None) -> Tensor:
        """Classifies the regions of a batch of clips.

        Args:
            x (Tensor): RoI features ``(N, C, T', S, S)`` (``T' = 1`` if the
                extractor pools time).
            context (Tensor): Clip features ``(B, C, T', H', W')``.
            rois (Tensor): ``(N, 5)``; column 0 is the clip index.

        Returns:
            Tensor: ``cls_score`` ``(N, num_classes)`` (logits).
        """
        self._check_inputs(x, context, rois)
        if self.normalize_inputs:
            x = F.normalize(x, dim=1)
            context = F.normalize(context, dim=1)
        queries = self._queries(x)  # (N, C)
        memory = self._memory(context)  # (B, M, C + PE)
        batch_inds = rois[:, 0].long()
        padded, slots = pad_by_clip(queries, batch_inds, memory.shape[0])
        hidden = self.decoder(padded, memory)[batch_inds, slots]  # (N, D)
        if self.dropout_ratio > 0:
            hidden = self.dropout(hidden)
        return self.fc_cls(hidden)

    @property
    def num_decoder_channels(self) -> int:
        """Width of the decoder output (the classifier's input)."""
        return self.fc_cls.in_features

    def extra_repr(self) -> str:
        return (f'in_channels={self.in_channels}, '
                f'context_length={self.context_length}, '
                f'query_temporal_pool={self.query_temporal_pool!r}, '
                f'normalize_inputs={self.normalize_inputs}')
