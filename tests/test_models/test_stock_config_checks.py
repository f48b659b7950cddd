# Copyright (c) constcl_mm authors. All rights reserved.
"""Each trap of ResNet3dY in a stock mmaction2 config raises or warns with
the fix (docs/stock_configs.md)."""
import warnings

import pytest
import torch
from mmaction.models.heads import I3DHead
from mmaction.registry import MODELS
from mmengine.config import Config

from constcl_mm.models.backbones.stock_config_checks import StockConfigWarning

SLOWONLY = ('mmaction::recognition/slowonly/'
            'slowonly_r50_8xb16-4x16x1-256e_kinetics400-rgb.py')
I3D = ('mmaction::recognition/i3d/'
       'i3d_imagenet-pretrained-r50_8xb8-32x2x1-100e_kinetics400-rgb.py')
TINY = dict(base_channels=4)


def _merged_backbone(stock: str, **ours) -> dict:
    """The stock backbone with ours merged in, as a config without
    ``_delete_`` gives."""
    cfg = Config.fromstring(
        f'_base_ = {stock!r}\nmodel = dict(backbone={ours!r})\n', '.py')
    return cfg.model.backbone


def test_slowonly_merge_without_delete_names_the_fix():
    backbone = _merged_backbone(SLOWONLY, type='ResNet3dY')
    assert backbone.lateral is False  # the stock key that leaked in
    with pytest.raises(TypeError, match=r'lateral.*_delete_=True'):
        MODELS.build(backbone)


def test_i3d_merge_without_delete_names_the_fix():
    backbone = _merged_backbone(I3D, type='ResNet3dY', pretrained2d=False)
    with pytest.raises(ValueError, match=r'pretrained2d=True.*_delete_=True'):
        MODELS.build(dict(backbone, pretrained2d=True))
    # the user's own pretrained2d=False is accepted (no "multiple values")
    model = MODELS.build(dict(type='ResNet3dY', pretrained2d=False, **TINY))
    assert model.out_indices == (3, 4)


def test_single_branch_returns_one_tensor_and_tuple_names_branches():
    model = MODELS.build(
        dict(type='ResNet3dY', branches=('global', ), **TINY)).eval()
    assert model.out_indices == (3, )
    x = torch.rand(1, 3, 4, 32, 32) * 2 - 1
    feat = model(x)
    assert isinstance(feat, torch.Tensor)
    head = I3DHead(num_classes=3, in_channels=feat.shape[1])
    assert head(feat).shape == (1, 3)
    both = MODELS.build(dict(type='ResNet3dY', **TINY)).eval()
    with pytest.raises(TypeError, match=r"branches=\('global',\)"):
        head(both(x))


@pytest.fixture
def loaded_backbone(tmp_path):
    source = MODELS.build(dict(type='ResNet3dY', **TINY))
    source.init_weights()
    path = str(tmp_path / 'backbone.pth')
    torch.save({'state_dict': source.state_dict()}, path)
    model = MODELS.build(dict(type='ResNet3dY', pretrained=path, **TINY))
    model.init_weights()
    return model


def test_later_load_overwriting_pretrained_weights_warns(loaded_backbone):
    same = {k: v.clone() for k, v in loaded_backbone.state_dict().items()}
    with warnings.catch_warnings():
        warnings.simplefilter('error', StockConfigWarning)
        loaded_backbone.load_state_dict(same)  # the same values: silent
    other = {
        k: (v + 1 if v.is_floating_point() else v)
        for k, v in same.items()
    }
    with pytest.warns(StockConfigWarning, match=r'init_cfg=None'):
        loaded_backbone.load_state_dict(other)


def test_imagenet_range_input_with_constcl_checkpoint_warns(loaded_backbone):
    loaded_backbone.eval()
    with warnings.catch_warnings():
        warnings.simplefilter('error', StockConfigWarning)
        loaded_backbone(torch.rand(1, 3, 4, 32, 32) * 2 - 1)  # [-1, 1]
    loaded_backbone._range_checked = False
    imagenet = (torch.rand(1, 3, 4, 32, 32) * 255 - 123.675) / 58.395
    with pytest.warns(StockConfigWarning, match=r'mean=\[127.5'):
        loaded_backbone(imagenet)
