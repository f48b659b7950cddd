# Copyright (c) constcl_mm authors. All rights reserved.
from typing import List, Tuple, Union

from mmaction.models.roi_heads import AVARoIHead
from mmdet.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class ContextAVARoIHead(AVARoIHead):
    """mmaction2's :class:`AVARoIHead` that also hands the clip features to
    the bbox head.

    ``AVARoIHead`` calls ``bbox_head(roi_feats)``, so a head sees nothing but
    the pooled regions. A head that declares ``with_context = True`` (the
    :class:`ActionTransformerHead`) is called as
    ``bbox_head(roi_feats, context=clip_feats, rois=rois)`` instead, where
    ``clip_feats`` is the feature map returned by the RoI extractor (the
    backbone output, temporally pooled only if the extractor pools) and
    ``rois`` tells which clip each region belongs to. Every other part of
    ``AVARoIHead`` (sampling, ``loss_and_target``, ``predict_by_feat``) is
    unchanged, and with a head without ``with_context`` (e.g.
    ``BBoxHeadAVA``) this class behaves exactly like ``AVARoIHead``.
    """

    def _bbox_forward(self, x: Union[Tensor, Tuple[Tensor]], rois: Tensor,
                      batch_img_metas: List[dict], **kwargs) -> dict:
        """Box head forward, used in training and testing.

        Args:
            x (Tensor or tuple[Tensor]): Backbone features
                ``(B, C, T', H', W')``.
            rois (Tensor): ``(N, 5)`` rows ``(batch_idx, x1, y1, x2, y2)`` in
                input pixels.
            batch_img_metas (list[dict]): Meta information of the clips.

        Returns:
            dict: ``cls_score`` ``(N, num_classes)`` and ``bbox_feats``.
        """
        bbox_feats, clip_feats = self.bbox_roi_extractor(x, rois)
        if self.with_shared_head:
            bbox_feats = self.shared_head(
                bbox_feats,
                feat=clip_feats,
                rois=rois,
                img_metas=batch_img_metas)
        if getattr(self.bbox_head, 'with_context', False):
            cls_score = self.bbox_head(
                bbox_feats, context=clip_feats, rois=rois)
        else:
            cls_score = self.bbox_head(bbox_feats)
        return dict(cls_score=cls_score, bbox_feats=bbox_feats)
