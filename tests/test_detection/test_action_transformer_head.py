# Copyright (c) constcl_mm authors. All rights reserved.
"""ActionTransformerHead and ContextAVARoIHead."""
import os.path as osp

import pytest
import torch
from helpers.paths import REPO_ROOT
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.structures import InstanceData

from constcl_mm.models.roi_heads import ActionTransformerHead, pad_by_clip

C, T, H, W = 16, 8, 5, 6


def build(cfg):
    """AVA heads live in mmdet's registry (the tests' scope is mmaction)."""
    return MODELS.build(dict(cfg, _scope_='mmdet'))


def small_head(**kwargs):
    cfg = dict(
        type='ActionTransformerHead',
        in_channels=C,
        num_classes=5,
        attention_cfg=dict(tx_channels=8),
        topk=(2, ))
    cfg.update(kwargs)
    torch.manual_seed(0)
    head = build(cfg)
    head.init_weights()
    return head.eval()


def inputs(num_rois=(2, 3)):
    torch.manual_seed(1)
    roi_feats = torch.randn(sum(num_rois), C, T, 4, 4)
    context = torch.randn(len(num_rois), C, T, H, W)
    batch = torch.cat(
        [torch.full((n, ), float(b)) for b, n in enumerate(num_rois)])
    rois = torch.cat([batch[:, None], torch.rand(len(batch), 4) * 32], 1)
    return roi_feats, context, rois


def test_paper_configuration_sizes():
    """3 layers x 3 units of 128, 2048-d regions, 2064-d memory: the
    official decoder (official_implementation.md §8.1: 6,139,776 weights) and
    the 2 x 50 weights of
    the coordinate MLPs; a linear classifier on the 384-d output."""
    head = build(
        dict(type='ActionTransformerHead', in_channels=2048, num_classes=81))
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(head.decoder) == 6_139_776
    assert count(head.positional_encoding) == 100
    assert head.fc_cls.in_features == 384 and head.fc_cls.out_features == 81
    assert head.decoder.layers[0][0].layer_norm.eps == 1e-12
    assert isinstance(head, ActionTransformerHead) and head.with_context


def test_attention_settings_go_in_attention_cfg():
    head = small_head(attention_cfg=dict(tx_channels=8, num_heads=2))
    assert head.fc_cls.in_features == 16  # 2 units x 8 channels
    with pytest.raises(
            ValueError, match=r"\['num_heads'\] inside "
            'attention_cfg'):
        small_head(num_heads=2)
    with pytest.raises(ValueError, match=r'attention_cfg=dict\(dropout'):
        small_head(attention_dropout=0.1)
    with pytest.raises(ValueError, match='unknown attention_cfg'):
        small_head(attention_cfg=dict(heads=2))


def test_batched_regions_equal_one_clip_at_a_time():
    head = small_head()
    roi_feats, context, rois = inputs()
    perm = torch.tensor([3, 0, 4, 2, 1])  # clips interleaved
    with torch.no_grad():
        out = head(roi_feats[perm], context, rois[perm])
        for i, j in enumerate(perm.tolist()):
            b = int(rois[j, 0])
            alone = head(roi_feats[j:j + 1], context[b:b + 1],
                         torch.zeros(1, 5))
            torch.testing.assert_close(out[i:i + 1], alone)
    assert out.shape == (5, 5)


def test_pad_by_clip_round_trip():
    feats = torch.arange(10.).view(5, 2)
    batch = torch.tensor([1, 0, 1, 1, 0])
    padded, slots = pad_by_clip(feats, batch, 3)
    assert padded.shape == (3, 3, 2)
    torch.testing.assert_close(padded[batch, slots], feats)
    assert padded[2].abs().sum() == 0  # a clip without regions


def test_query_is_the_keyframe_region_feature():
    roi_feats, context, rois = inputs()
    changed = roi_feats.clone()
    changed[:, :, 0] += 5  # not the keyframe T // 2
    with torch.no_grad():
        head = small_head()
        torch.testing.assert_close(
            head(roi_feats, context, rois), head(changed, context, rois))
        changed[:, :, T // 2] += 5
        assert not torch.allclose(
            head(roi_feats, context, rois), head(changed, context, rois))
        head = small_head(query_temporal_pool='avg')
        changed = roi_feats.clone()
        changed[:, :, 0] += 5
        assert not torch.allclose(
            head(roi_feats, context, rois), head(changed, context, rois))


def test_memory_frames_follow_context_length():
    roi_feats, context, rois = inputs()
    frame3 = context.clone()
    frame3[:, :, 3] += 5
    with torch.no_grad():
        head = small_head(context_length=3)  # frames 2, 4, 6 of 8
        torch.testing.assert_close(
            head(roi_feats, context, rois), head(roi_feats, frame3, rois))
        head = small_head()  # all frames
        assert not torch.allclose(
            head(roi_feats, context, rois), head(roi_feats, frame3, rois))


def test_positional_encoding_makes_memory_order_matter():
    roi_feats, context, rois = inputs()
    flipped = context.flip(-1)
    with torch.no_grad():
        head = small_head(
            attention_cfg=dict(tx_channels=8, use_positional_encoding=False))
        # attention alone is blind to where the context is
        torch.testing.assert_close(
            head(roi_feats, context, rois), head(roi_feats, flipped, rois))
        head = small_head()
        assert not torch.allclose(
            head(roi_feats, context, rois), head(roi_feats, flipped, rois))


def test_head_needs_the_context_roi_head():
    head = small_head()
    roi_feats, _, _ = inputs()
    with pytest.raises(ValueError, match='ContextAVARoIHead'):
        head(roi_feats)
    with pytest.raises(ValueError, match='in_channels'):
        head(roi_feats[:, :8], *inputs()[1:])
    with pytest.raises(ValueError, match='query_temporal_pool'):
        small_head(query_temporal_pool='center')
    with pytest.raises(ValueError, match='context_length'):
        small_head(context_length=4)


def roi_head_cfg(model_cfg: str):
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'models', model_cfg))
    roi_head = cfg.model.roi_head
    roi_head.train_cfg = cfg.model.train_cfg.rcnn
    roi_head.test_cfg = cfg.model.test_cfg.rcnn
    return roi_head


def test_context_roi_head_with_bbox_head_ava_is_ava_roi_head():
    cfg = roi_head_cfg('fastrcnn_r3d50y-local.py')
    cfg.bbox_head.in_channels = C
    cfg.bbox_head.dropout_ratio = 0
    torch.manual_seed(0)
    ava = build(cfg)
    cfg.type = 'ContextAVARoIHead'
    ours = build(cfg)
    ours.load_state_dict(ava.state_dict())
    feats = torch.randn(1, C, 2, 4, 4)
    proposals = [
        InstanceData(
            bboxes=torch.tensor([[0., 0., 40., 40.], [8., 8., 60., 50.]]))
    ]
    meta = [dict(img_shape=(64, 64))]
    a = ava.predict_bbox((feats, ), meta, proposals, None)[0]
    b = ours.predict_bbox((feats, ), meta, proposals, None)[0]
    torch.testing.assert_close(a.scores, b.scores)
    torch.testing.assert_close(a.bboxes, b.bboxes)


def test_action_transformer_roi_head_trains_and_predicts():
    """Through the configured roi head: mmaction2's sampling, loss and
    post-processing run unchanged on the transformer's scores."""
    cfg = roi_head_cfg('fastrcnn-actiontx_r3d50y-local.py')
    cfg.bbox_head.in_channels = C
    roi_head = build(cfg)
    roi_head.init_weights()
    feats = torch.randn(2, C, 2, 4, 4, requires_grad=True)
    gt = []
    for n in (1, 2):
        labels = torch.zeros(n, 81)
        labels[:, 12] = 1
        gt.append(
            InstanceData(
                bboxes=torch.tensor([[0., 0., 40., 40.], [8., 8., 60.,
                                                          50.]])[:n],
                labels=labels))
    from mmaction.structures import ActionDataSample
    samples = []
    for g in gt:
        sample = ActionDataSample()
        sample.gt_instances = g
        sample.set_metainfo(dict(img_shape=(64, 64)))
        samples.append(sample)
    proposals = [InstanceData(bboxes=g.bboxes.clone()) for g in gt]
    losses = roi_head.loss(feats, proposals, samples)
    assert set(losses) >= {'loss_action_cls', 'recall@thr=0.5'}
    losses['loss_action_cls'].backward()
    assert roi_head.bbox_head.decoder.layers[0][0].query.weight.grad.abs().sum(
    ) > 0
    assert feats.grad.abs().sum() > 0
    results = roi_head.predict_bbox(
        feats[:1].detach(), [dict(img_shape=(64, 64))],
        [InstanceData(bboxes=gt[1].bboxes.clone())], None)[0]
    assert results.scores.shape == (2, 81)
    assert ((results.scores >= 0) & (results.scores <= 1)).all()
    torch.testing.assert_close(results.bboxes,
                               gt[1].bboxes / 64)  # normalised boxes
