# Copyright (c) constcl_mm authors. All rights reserved.
import pytest
import torch
from mmaction.models import ResNet3d
from mmaction.models.backbones.resnet3d import Bottleneck3d
from torch.nn.modules.batchnorm import _BatchNorm

from constcl_mm.models import ResNet3dY
from constcl_mm.models.backbones import Bottleneck3dY
from constcl_mm.models.utils.checkpoint import (R3D50_CFG,
                                                CheckpointMismatchError,
                                                load_backbone_checkpoint)
from constcl_mm.models.utils.tf_same_padding import (Conv3dTFSame,
                                                     MaxPool3dTFSame,
                                                     tf_same_pads)

# what tools/export_backbone.py writes (pinned by the parameter count below)
R3D50 = {k: v for k, v in R3D50_CFG.items() if k != 'type'}


def n_params(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def test_parameter_counts_and_names_match_stock_r3d50():
    y = ResNet3dY()
    stock = ResNet3d(**R3D50)
    trunk = {k for k in y.state_dict() if not k.startswith('layer4_local')}
    assert trunk == set(stock.state_dict())
    assert n_params(stock) == 31_672_128
    assert n_params(y) == 51_879_744
    assert n_params(y.layer4_local) == 20_207_616


def test_shapes_of_both_branches():
    y = ResNet3dY(out_indices=(0, 1, 2, 3, 4)).eval()
    with torch.no_grad():
        outs = y(torch.randn(1, 3, 16, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 256, 8, 16, 16),
                                              (1, 512, 8, 8, 8),
                                              (1, 1024, 8, 4, 4),
                                              (1, 2048, 8, 2, 2),
                                              (1, 2048, 8, 2, 2)]
    assert not torch.allclose(outs[3], outs[4])  # separate weights


def test_single_branch_variants():
    local = ResNet3dY(branches=('local', ), out_indices=(4, ))
    assert not hasattr(local, 'layer4') and hasattr(local, 'layer4_local')
    glob = ResNet3dY(branches=('global', ), out_indices=(3, ))
    assert n_params(glob) == 31_672_128
    out = glob.eval()(torch.randn(1, 3, 4, 32, 32))
    assert out.shape == (1, 2048, 2, 1, 1)


@pytest.mark.parametrize('kwargs,match', [
    (dict(branches=('global', ), out_indices=(4, )), 'no local branch'),
    (dict(branches=('local', ), out_indices=(3, )), 'no global branch'),
    (dict(out_indices=(5, )), 'out_indices'),
    (dict(branches=('middle', )), 'branches'),
    (dict(padding='reflect'), 'padding'),
    (dict(conv_init='xavier'), 'conv_init'),
    (dict(with_cp=True, cp_stages=('layer5', )), 'cp_stages'),
])
def test_bad_config_values_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ResNet3dY(**kwargs)


def test_frozen_stages_and_norm_eval_cover_both_res5():
    y = ResNet3dY(frozen_stages=4, norm_eval=True)
    y.train()
    assert n_params(y) == 0
    assert all(not m.training for m in y.modules()
               if isinstance(m, _BatchNorm))
    partial = ResNet3dY(frozen_stages=2)
    partial.train()
    assert not any(p.requires_grad for p in partial.layer2.parameters())
    assert all(p.requires_grad for p in partial.layer4_local.parameters())


def test_in_place_residual_equals_stock_block():
    """Same outputs and gradients as mmaction2's ResNet3d, bit for bit."""
    torch.manual_seed(0)
    stock = ResNet3d(**R3D50)
    ours = ResNet3dY(
        branches=('global', ), memory_format='contiguous', conv_init='kaiming')
    assert all(
        isinstance(b, Bottleneck3dY) and type(b).__mro__[1] is Bottleneck3d
        for layer in ('layer1', 'layer2', 'layer3', 'layer4')
        for b in getattr(ours, layer))
    ours.load_state_dict(stock.state_dict())
    x = torch.randn(2, 3, 4, 32, 32)
    results = []
    for model in (stock, ours):
        model.train()
        out = model(x)
        out.pow(2).mean().backward()
        results.append([out.detach()] + [
            p.grad for p in (model.conv1.conv.weight,
                             model.layer1[0].downsample.conv.weight,
                             model.layer4[2].conv3.bn.weight)
        ])
    for a, b in zip(*results):
        assert torch.equal(a, b)


def test_in_place_residual_under_checkpointing_without_input_grad():
    """with_cp recomputes the block even when its input needs no grad."""
    block = ResNet3dY(with_cp=True, cp_stages=('layer1', )).layer1[0]
    block.train()
    x = torch.randn(1, 64, 2, 8, 8)
    block(x).sum().backward()
    assert block.conv1.conv.weight.grad is not None
    block.eval()
    with torch.no_grad():
        assert block(x).shape == (1, 256, 2, 8, 8)


def test_activation_checkpointing_gives_same_gradients():
    torch.manual_seed(0)
    plain = ResNet3dY(depth=50, out_indices=(3, 4))
    plain.init_weights()
    cp = ResNet3dY(
        depth=50,
        out_indices=(3, 4),
        with_cp=True,
        cp_stages=('stem', 'layer1', 'layer2', 'layer3', 'layer4',
                   'layer4_local'))
    assert all(b.with_cp for b in cp.layer4_local)
    cp.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 4, 32, 32, requires_grad=True)
    grads = []
    for model in (plain, cp):
        model.train()  # batch statistics: identical in the recomputation
        out = model(x)
        (out[0].sum() + out[1].pow(2).sum()).backward()
        grads.append([
            model.layer4_local[0].conv1.conv.weight.grad.clone(),
            model.conv1.conv.weight.grad.clone()
        ])  # stem too
    for a, b in zip(*grads):
        # sums of many mixed-sign terms: compare relative to the norm
        assert ((a - b).norm() / a.norm()).item() < 1e-5


def test_variance_scaling_init():
    y = ResNet3dY(branches=('global', ), out_indices=(3, ))
    y.init_weights()
    w = y.layer3[0].conv2.conv.weight  # fan_in = 256 * 9
    assert w.std().item() == pytest.approx((1 / (256 * 9))**0.5, rel=0.05)
    assert w.abs().max().item() <= 2 * (1 / (256 * 9))**0.5 / 0.8796 + 1e-6


def test_tf_same_padding_option():
    # the pads of official_implementation.md §8.3
    assert tf_same_pads((16, 224, 224), (5, 7, 7), (2, 2, 2),
                        (1, 1, 1)) == [2, 3, 2, 3, 1, 2]
    assert tf_same_pads((8, 56, 56), (1, 3, 3), (1, 2, 2),
                        (1, 1, 1)) == [0, 1, 0, 1, 0, 0]
    assert tf_same_pads((8, 14, 14), (3, 1, 1), (1, 1, 1),
                        (1, 1, 1)) == [0, 0, 0, 0, 1, 1]
    sym = ResNet3dY(branches=('global', ), out_indices=(3, ))
    tf = ResNet3dY(branches=('global', ), out_indices=(3, ), padding='tf_same')
    tf.load_state_dict(sym.state_dict())  # same parameters
    assert isinstance(tf.conv1.conv, Conv3dTFSame)
    assert isinstance(tf.maxpool, MaxPool3dTFSame)
    assert not isinstance(tf.layer1[0].downsample.conv, Conv3dTFSame)
    x = torch.randn(1, 3, 16, 64, 64)
    with torch.no_grad():
        a, b = sym.eval()(x), tf.eval()(x)
    assert a.shape == b.shape == (1, 2048, 8, 2, 2)
    assert not torch.allclose(a, b)  # the sampling grid moved


def _save(tmp_path, name, state):
    path = tmp_path / name
    torch.save(state, path)
    return str(path)


def test_strict_loading_from_pretraining_and_exported(tmp_path):
    src = ResNet3dY()
    src.init_weights()
    ckpt = _save(
        tmp_path, 'pretrain.pth', {
            'state_dict': {
                **{
                    f'backbone.{k}': v
                    for k, v in src.state_dict().items()
                }, 'neck.projection.weight': torch.zeros(1)
            },
            'meta': {}
        })
    local = ResNet3dY(
        branches=('global', ),
        out_indices=(3, ),
        pretrained=ckpt,
        pretrained_branch='local')
    local.init_weights()
    torch.testing.assert_close(local.layer4[2].conv3.conv.weight,
                               src.layer4_local[2].conv3.conv.weight)
    torch.testing.assert_close(local.conv1.conv.weight, src.conv1.conv.weight)
    both = ResNet3dY(pretrained=ckpt)
    both.init_weights()
    torch.testing.assert_close(both.layer4_local[0].conv1.conv.weight,
                               src.layer4_local[0].conv1.conv.weight)
    # an exported (bare, stock-named) R3D-50 into the local-only variant
    exported = _save(tmp_path, 'exported.pth', ResNet3d(**R3D50).state_dict())
    target = ResNet3dY(branches=('local', ), out_indices=(4, ))
    load_backbone_checkpoint(target, exported, pretrained_branch='global')


def test_wrong_architecture_is_reported(tmp_path):
    r18 = _save(
        tmp_path, 'r18.pth', {
            'state_dict': {
                f'backbone.{k}': v
                for k, v in ResNet3d(
                    depth=18, pretrained=None,
                    pretrained2d=False).state_dict().items()
            }
        })
    target = ResNet3dY(branches=('global', ), out_indices=(3, ))
    with pytest.raises(CheckpointMismatchError) as info:
        load_backbone_checkpoint(target, r18)
    text = str(info.value)
    assert 'r18.pth' in text and 'missing keys' in text
    assert 'shape mismatches' in text
    # a Y checkpoint into a single-branch model needs pretrained_branch
    y = _save(tmp_path, 'y.pth', ResNet3dY().state_dict())
    with pytest.raises(CheckpointMismatchError, match='unexpected keys'):
        load_backbone_checkpoint(target, y)
