# Copyright (c) constcl_mm authors. All rights reserved.
import os.path as osp

import pytest
import torch
from helpers.paths import REPO_ROOT
from mmaction.registry import MODELS
from mmengine.config import Config

from constcl_mm.testing import random_two_view_batch
from constcl_mm.utils import count_parameters
from constcl_mm.utils.complexity import table6_parameters

CFG = osp.join(REPO_ROOT, 'configs', 'constcl')


def model_cfg(name: str):
    return Config.fromfile(osp.join(CFG, name)).model


def naive_region_infonce(queries, own, other, tau, targets=None):
    """InfoNCE of one direction written out loop by loop: the positive of
    query (b, i) is the target of the other view's region whose raw feature
    is most similar to the raw region i, the negatives are the targets of
    every region of the other videos' other view. The targets are the other
    view's raw regions unless given (vanilla region contrast: projected)."""
    n = torch.nn.functional.normalize
    targets = other if targets is None else targets
    total, count = 0.0, 0
    num_videos, num_boxes = queries.shape[:2]
    for b in range(num_videos):
        sim = n(own[b], dim=-1) @ n(other[b], dim=-1).t()
        match = sim.argmax(dim=1)
        for i in range(num_boxes):
            q = n(queries[b, i], dim=0)
            pos = q @ n(targets[b, match[i]], dim=0) / tau
            negs = [
                q @ n(targets[c, j], dim=0) / tau for c in range(num_videos)
                if c != b for j in range(num_boxes)
            ]
            logits = torch.stack([pos] + negs)
            total += (torch.logsumexp(logits, 0) - pos).item()
            count += 1
    return total / count


def run_loss(model, data):
    data = model.data_preprocessor(data, True)
    return model(**data, mode='loss')


def test_pretrain_config_parameter_counts():
    model = MODELS.build(model_cfg('pretrain.py'))
    assert count_parameters(model)['trainable'] == 71_665_572
    assert count_parameters(model.backbone)['trainable'] == 51_879_744
    trunk = sum(p.numel() for k, p in model.backbone.named_parameters()
                if not k.startswith('layer4_local'))
    assert trunk == 31_672_128
    assert count_parameters(model.global_head)['trainable'] == 12_857_472
    assert count_parameters(model.neck)['trainable'] == 6_928_356


def test_preprocessor_stacks_views_and_scales_to_unit_range():
    model = MODELS.build(model_cfg('pretrain.py'))
    data = random_two_view_batch()
    out = model.data_preprocessor(data, True)['inputs']
    assert out.shape == (4, 3, 16, 32, 32)
    # rows 0..B-1 are the first views, B..2B-1 the second views
    expect = data['inputs'][1][1].float() / 127.5 - 1
    torch.testing.assert_close(out[3], expect)
    assert out.min() >= -1 and out.max() <= 1


def test_loss_backward_and_statistics():
    torch.manual_seed(0)
    model = MODELS.build(model_cfg('pretrain.py'))
    model.init_weights()
    losses = run_loss(model, random_two_view_batch())
    assert set(losses) >= {
        'loss_global', 'loss_local', 'global_acc', 'global_entropy',
        'local_pos_sim', 'local_neg_sim'
    }
    (losses['loss_global'] + losses['loss_local']).backward()
    for name in ('backbone.layer4.0.conv1.conv.weight',
                 'backbone.layer4_local.0.conv1.conv.weight',
                 'neck.decoder.layers.0.0.key.weight',
                 'global_head.mlp.0.weight'):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name
    assert torch.isfinite(losses['loss_local'])
    # the local loss recomputed by hand from the neck's outputs
    data = model.data_preprocessor(random_two_view_batch(), True)
    with torch.no_grad():
        feats = model.extract_feat(data['inputs'])
        boxes, _ = model._boxes(data['data_samples'], 4, torch.device('cpu'))
        regions = model.neck(feats[model.local_index], boxes)
    expect = 0.001 * 0.5 * (
        naive_region_infonce(regions['inst_a2b'], regions['inst_a'],
                             regions['inst_b'], 0.2) +
        naive_region_infonce(regions['inst_b2a'], regions['inst_b'],
                             regions['inst_a'], 0.2))
    assert losses['loss_local'].item() == pytest.approx(expect, rel=1e-4)


@pytest.mark.parametrize('name,has_local', [
    ('cvrl_r3d50_128xb8-16x2x2-200k_kinetics400.py', False),
    ('ablations/constcl_r3d50y_128xb8-16x2x2-200k_kinetics400_endpoint-c4.py',
     True),
    ('ablations/constcl_r3d50y_128xb8-16x2x2-200k_kinetics400_endpoint-c5.py',
     True),
    ('ablations/constcl_r3d50y_128xb8-16x2x2-200k_kinetics400_context0.py',
     True),
])
def test_variants_are_configs_of_the_same_code(name, has_local):
    model = MODELS.build(model_cfg(name))
    model.init_weights()
    losses = run_loss(model, random_two_view_batch())
    assert ('loss_local' in losses) == has_local
    assert torch.isfinite(losses['loss_global'])
    if name.startswith('cvrl'):
        assert count_parameters(model.backbone)['trainable'] == 31_672_128


def test_bad_batches_are_named():
    model = MODELS.build(model_cfg('pretrain.py'))
    data = random_two_view_batch()
    data['inputs'][0] = data['inputs'][0][:1]
    with pytest.raises(ValueError, match='2 views of each video'):
        model.data_preprocessor(data, True)
    data = random_two_view_batch()
    for sample in data['data_samples']:
        sample.boxes = sample.boxes * 224
    with pytest.raises(ValueError, match=r'normalised to \[0, 1\]'):
        run_loss(model, data)
    data = random_two_view_batch()
    del data['data_samples'][0].boxes
    with pytest.raises(ValueError, match='region boxes'):
        run_loss(model, data)
    with pytest.raises(ValueError, match='local_index'):
        cfg = model_cfg('pretrain.py')
        cfg.local_index = 2
        MODELS.build(cfg)
    with pytest.raises(ValueError, match='both `neck` and `local_head`'):
        cfg = model_cfg('pretrain.py')
        cfg.local_head = None
        MODELS.build(cfg)


def test_region_matches_for_visualisation():
    model = MODELS.build(model_cfg('pretrain.py'))
    data = model.data_preprocessor(random_two_view_batch(boxes=5), False)
    out = model.region_matches(**data)
    assert out['similarity'].shape == (2, 5, 5)
    assert out['match_a2b'].shape == (2, 5)
    torch.testing.assert_close(out['match_a2b'],
                               out['similarity'].argmax(dim=2))


ABL = 'ablations/constcl_r3d50y_128xb8-16x2x2-200k_kinetics400_'


@pytest.mark.parametrize('name,paper_m,trainable', [
    ('cvrl_r3d50_128xb8-16x2x2-200k_kinetics400.py', 44.6, 44_529_600),
    (ABL + 'context0.py', 77.7, 77_594_688),
    (ABL + 'context1.py', 71.7, 71_665_572),
    (ABL + 'context3.py', 71.7, 71_665_572),
    ('pretrain.py', 71.7, 71_665_572),
])
def test_table6_parameter_counts(name, paper_m, trainable):
    model = MODELS.build(model_cfg(name))
    assert count_parameters(model)['trainable'] == trainable
    assert round(table6_parameters(model) / 1e6, 1) == paper_m


def test_context0_is_vanilla_region_contrast_with_a_projection():
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(ABL + 'context0.py'))
    model.init_weights()
    assert model.neck.decoder is None
    assert [p.shape for p in model.neck.region_mlp.parameters()] == \
        [p.shape for p in model.global_head.mlp.parameters()]
    model.eval()  # BN on running statistics: the same projection twice
    losses = run_loss(model, random_two_view_batch())
    data = model.data_preprocessor(random_two_view_batch(), True)
    with torch.no_grad():
        feats = model.extract_feat(data['inputs'])
        boxes, _ = model._boxes(data['data_samples'], 4, torch.device('cpu'))
        regions = model.neck(feats[model.local_index], boxes)
    assert regions['inst_a2b'].shape == (2, 4, 128)
    expect = 0.001 * 0.5 * (
        naive_region_infonce(regions['inst_a2b'], regions['inst_a'],
                             regions['inst_b'], 0.2, regions['target_b']) +
        naive_region_infonce(regions['inst_b2a'], regions['inst_b'],
                             regions['inst_a'], 0.2, regions['target_a']))
    assert losses['loss_local'].item() == pytest.approx(expect, rel=1e-4)


def test_c4_endpoint_pools_res4_to_the_res5_grid():
    model = MODELS.build(model_cfg(ABL + 'endpoint-c4.py'))
    assert model.neck.spatial_pool == 2 and model.neck.in_channels == 1024
    feats = model.extract_feat(torch.zeros(2, 3, 16, 64, 64))
    assert feats[model.local_index].shape[-2:] == (4, 4)
    pooled = model.neck._normalized(feats[model.local_index])
    assert pooled.shape[-2:] == (2, 2) == feats[model.global_index].shape[-2:]
