# Copyright (c) constcl_mm authors. All rights reserved.
"""LinearProbeHead: GAP -> L2 norm -> Linear, and its use by BaseHead."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

from constcl_mm.models.heads import LinearProbeHead


def build_head(**kwargs) -> LinearProbeHead:
    cfg = dict(type='LinearProbeHead', num_classes=5, in_channels=16)
    cfg.update(kwargs)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def test_registered_and_keras_init():
    head = build_head()
    assert isinstance(head, LinearProbeHead)
    assert torch.count_nonzero(head.fc_cls.bias) == 0
    bound = math.sqrt(6 / (16 + 5))  # glorot uniform
    assert head.fc_cls.weight.abs().max() <= bound
    assert head.fc_cls.weight.std() > bound / 4  # initialised, not zeros


def test_pooled_features_are_unit_norm():
    head = build_head()
    feats = torch.randn(3, 16, 2, 3, 3) * 7 + 1
    pooled = head.pool(feats)
    assert pooled.shape == (3, 16)
    torch.testing.assert_close(pooled.norm(dim=1), torch.ones(3))
    torch.testing.assert_close(pooled,
                               F.normalize(feats.mean(dim=(2, 3, 4)), dim=1))


def test_scores_ignore_feature_scale_only_when_normalised():
    feats = torch.rand(4, 16, 2, 2, 2) + 0.1
    head = build_head()
    torch.testing.assert_close(head(feats), head(feats * 37.))
    raw = build_head(normalize=False)
    assert not torch.allclose(raw(feats), raw(feats * 37.))
    assert head(feats).shape == (4, 5)
    assert head(feats.mean(dim=(2, 3, 4))).shape == (4, 5)  # pooled input


def test_wrong_channels_named():
    head = build_head()
    with pytest.raises(ValueError, match=r'\(N, 16, T, H, W\).*\(2, 8'):
        head(torch.randn(2, 8, 1, 1, 1))


@pytest.mark.parametrize(
    'kwargs',
    [dict(num_classes=0), dict(dropout_ratio=1.0)])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        build_head(**kwargs)


def test_only_the_linear_layer_learns():
    head = build_head()
    assert [n for n, _ in head.named_parameters()
            ] == ['fc_cls.weight', 'fc_cls.bias']


def test_prob_averaging_over_views():
    """10 clips x 3 crops -> softmax averaged per video (CVRL evaluation)."""
    head = build_head(average_clips='prob')
    views = 6
    feats = torch.randn(2 * views, 16, 1, 2, 2)
    samples = [ActionDataSample().set_gt_label(1) for _ in range(2)]
    out = head.predict(feats, samples)
    expected = F.softmax(head(feats), dim=1).view(2, views, 5).mean(dim=1)
    for i, sample in enumerate(out):
        torch.testing.assert_close(sample.pred_score, expected[i])
        assert int(sample.pred_label) == int(expected[i].argmax())


def test_loss_and_accuracy():
    head = build_head()
    feats = torch.randn(4, 16, 1, 2, 2)
    samples = [ActionDataSample().set_gt_label(i % 5) for i in range(4)]
    losses = head.loss(feats, samples)
    assert set(losses) >= {'loss_cls', 'top1_acc', 'top5_acc'}
    losses['loss_cls'].backward()
    assert head.fc_cls.weight.grad is not None
    assert torch.isfinite(losses['loss_cls'])
