# Copyright (c) constcl_mm authors. All rights reserved.
import pytest
import torch

from constcl_mm.models.common import context_frame_indices
from constcl_mm.models.necks import ContextCrossAttentionNeck


def inputs(b=2, c=16, t=8, n=4, hw=7, seed=0):
    gen = torch.Generator().manual_seed(seed)
    feats = torch.randn(2 * b, c, t, hw, hw, generator=gen)
    xy = torch.rand(2 * b, n, 2, generator=gen) * 0.6
    boxes = torch.cat(
        [xy, xy + 0.1 + 0.3 * torch.rand(2 * b, n, 2, generator=gen)], -1)
    return feats, boxes


@pytest.mark.parametrize('t,length,expected', [(8, 5, [2, 3, 4, 5, 6]),
                                               (8, 3, [2, 4, 6]), (8, 1, [4]),
                                               (8, 7, [1, 2, 3, 4, 5, 6, 7]),
                                               (4, 3, [1, 2, 3])])
def test_context_frames_follow_the_official_indexing(t, length, expected):
    assert context_frame_indices(t, length) == expected


def test_context_errors_name_the_problem():
    with pytest.raises(ValueError, match='odd'):
        context_frame_indices(8, 4)
    with pytest.raises(ValueError, match='larger than'):
        context_frame_indices(4, 5)
    with pytest.raises(ValueError, match='context_length'):
        ContextCrossAttentionNeck(in_channels=16, context_length=2)
    neck = ContextCrossAttentionNeck(
        in_channels=16, context_length=5, attention_cfg=dict(tx_channels=8))
    feats, boxes = inputs(t=4)
    with pytest.raises(ValueError, match='larger than the 4 feature frames'):
        neck(feats, boxes)


def test_attention_cfg_overrides_the_official_settings():
    neck = ContextCrossAttentionNeck(
        in_channels=16, attention_cfg=dict(tx_channels=8, num_heads=2))
    # unset keys keep their official values: 3 layers, 2 x 8 channels of
    # coordinate encoding
    assert len(neck.decoder.layers) == 3
    assert all(len(layer) == 2 for layer in neck.decoder.layers)
    assert neck.decoder.out_channels == 16
    assert neck.positional_encoding.out_channels == 16
    # a misspelt key is refused, even where no decoder is built
    for length in (5, 0):
        with pytest.raises(
                ValueError,
                match=r"ContextCrossAttentionNeck.*"
                r"\['tx_chanels'\].*'tx_channels'"):
            ContextCrossAttentionNeck(
                in_channels=16,
                context_length=length,
                attention_cfg=dict(tx_chanels=8))
    # the settings live in attention_cfg only
    with pytest.raises(TypeError, match='tx_channels'):
        ContextCrossAttentionNeck(in_channels=16, tx_channels=8)


def test_bad_inputs_raise_named_errors():
    neck = ContextCrossAttentionNeck(
        in_channels=16, attention_cfg=dict(tx_channels=8))
    feats, boxes = inputs()
    with pytest.raises(ValueError, match=r'normalised to \[0, 1\]'):
        neck(feats, boxes * 7)
    with pytest.raises(ValueError, match='two views'):
        neck(feats[:3], boxes[:3])
    with pytest.raises(ValueError, match='boxes must be'):
        neck(feats, boxes[:, :, :3])
    with pytest.raises(ValueError, match='channels'):
        neck(feats[:, :8], boxes)
    with pytest.raises(ValueError, match='out_channels'):
        ContextCrossAttentionNeck(in_channels=16, out_channels=8)


def test_context_zero_without_projection_contrasts_raw_regions():
    neck = ContextCrossAttentionNeck(
        in_channels=16, context_length=0, region_mlp=None)
    assert sum(p.numel() for p in neck.parameters()) == 0
    out = neck(*inputs())
    assert torch.equal(out['inst_a2b'], out['inst_a'])
    assert torch.equal(out['inst_b2a'], out['inst_b'])


def test_context_zero_projects_regions_with_the_global_head_shape():
    from constcl_mm.models.heads import GlobalContrastiveHead
    torch.manual_seed(0)
    mlp = dict(hid_channels=32, out_channels=8, num_hidden_layers=3)
    neck = ContextCrossAttentionNeck(
        in_channels=16, context_length=0, region_mlp=mlp)
    neck.init_weights()
    head = GlobalContrastiveHead(in_channels=16, **mlp)
    assert [tuple(p.shape) for p in neck.region_mlp.parameters()] == \
        [tuple(p.shape) for p in head.mlp.parameters()]
    out = neck(*inputs())
    assert out['inst_a'].shape == (2, 4, 16)
    assert out['inst_a2b'].shape == (2, 4, 8)
    # the projections of both views are the queries and the targets
    assert out['target_a'] is out['inst_a2b']
    assert out['target_b'] is out['inst_b2a']
    neck.eval()
    feats, boxes = inputs()
    single = neck.region_mlp(neck.region_features(feats, boxes)[0])
    torch.testing.assert_close(neck(feats, boxes)['inst_a2b'][0], single)


def test_spatial_pool_halves_the_memory_side():
    torch.manual_seed(0)
    neck = ContextCrossAttentionNeck(
        in_channels=16, attention_cfg=dict(tx_channels=8), spatial_pool=2)
    feats, boxes = inputs(hw=14)
    out = neck(feats, boxes, return_attention=True)
    # C4 at 224 px: 14x14 pooled to 7x7, 5 frames x 49 = 245 memory tokens
    assert out['attn_a2b'][0][0].shape == (2, 4, 5 * 7 * 7)
    pooled = torch.nn.functional.avg_pool3d(feats, (1, 2, 2))
    plain = ContextCrossAttentionNeck(
        in_channels=16, attention_cfg=dict(tx_channels=8))
    torch.testing.assert_close(
        neck.region_features(feats, boxes),
        plain.region_features(pooled, boxes))
    with pytest.raises(ValueError, match='spatial_pool'):
        ContextCrossAttentionNeck(in_channels=16, spatial_pool=0)


def test_cross_view_reconstruction_uses_the_other_views_context():
    torch.manual_seed(0)
    neck = ContextCrossAttentionNeck(
        in_channels=16, attention_cfg=dict(tx_channels=8))
    neck.init_weights()
    feats, boxes = inputs()
    out = neck(feats, boxes, return_attention=True)
    assert out['inst_a2b'].shape == (2, 4, 16)
    attn = out['attn_a2b'][0][0]  # layer 0, unit 0: (B, N, L*H*W)
    assert attn.shape == (2, 4, 5 * 7 * 7)
    torch.testing.assert_close(attn.sum(-1), torch.ones(2, 4))
    # changing view b's context changes a2b but not b2a's queries' targets
    feats2 = feats.clone()
    feats2[2:, :, 2:7] += torch.randn_like(feats2[2:, :, 2:7])
    out2 = neck(feats2, boxes)
    assert not torch.allclose(out2['inst_a2b'], out['inst_a2b'])
    torch.testing.assert_close(out2['inst_a'], out['inst_a'])
    # frames outside the memory (0, 1, 7) and off the keyframe do not matter
    feats3 = feats.clone()
    feats3[:, :, [0, 1, 7]] = 0
    out3 = neck(feats3, boxes)
    torch.testing.assert_close(out3['inst_a2b'], out['inst_a2b'])


def test_gradients_reach_features_and_every_parameter():
    neck = ContextCrossAttentionNeck(
        in_channels=16, attention_cfg=dict(tx_channels=8))
    neck.init_weights()
    feats, boxes = inputs()
    feats.requires_grad_(True)
    out = neck(feats, boxes)
    (out['inst_a2b'].sum() + out['inst_b2a'].pow(2).sum()).backward()
    assert feats.grad.abs().sum() > 0
    for name, p in neck.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_nearest_context_follows_the_other_views_keyframe():
    from constcl_mm.models.necks import nearest_context_indices

    # T'=8 feature frames, stride-2 stem, frame interval 2: feature frame j
    # of a clip starting at s covers raw frames s + 4j .. s + 4j + 2
    starts_q = torch.tensor([0, 100, 0])
    starts_m = torch.tensor([0, 84, 60])
    idx = nearest_context_indices(starts_q, starts_m, 8, 3, 2, 2)
    # same start: keyframe raw 16 -> memory frame 4 (raw 16..18) centre
    assert idx[0].tolist() == [2, 4, 6]
    # query keyframe raw 116, memory clip from 84: frame 8 would be nearest
    # ((116 - 84) / 4 = 8), shifted inside the clip -> last window
    assert idx[1].tolist() == [3, 5, 7]
    # memory starts after the keyframe: first window
    assert idx[2].tolist() == [0, 2, 4]


def test_context_sampling_options():
    feats, boxes = inputs()
    starts = torch.tensor([0, 10, 40, 50])
    nearest = ContextCrossAttentionNeck(
        in_channels=16,
        attention_cfg=dict(tx_channels=8),
        context_length=3,
        context_sampling='nearest')
    with pytest.raises(ValueError, match='clip_starts'):
        nearest(feats, boxes)
    out = nearest(feats, boxes, clip_starts=starts)
    assert out['inst_a2b'].shape == (2, 4, 16)
    rand = ContextCrossAttentionNeck(
        in_channels=16,
        attention_cfg=dict(tx_channels=8),
        context_sampling='random')
    rand.train()
    idx = rand.context_indices(4, 8)
    assert idx.shape == (4, 5)
    assert all(len(set(row.tolist())) == 5 for row in idx)
    rand.eval()
    assert rand.context_indices(4, 8)[0].tolist() == [2, 3, 4, 5, 6]
    with pytest.raises(ValueError, match='context_sampling'):
        ContextCrossAttentionNeck(in_channels=16, context_sampling='first')
