# Copyright (c) constcl_mm authors. All rights reserved.
"""Loading recognition backbones from both checkpoint kinds, strictly.

Kinds: a ConST-CL pretraining checkpoint (``backbone.`` prefix, both res5
branches, neck and heads) and an exported backbone (a bare R3D-50 state dict
with stock mmaction2 names, as such or in the export tool's
``{'state_dict': ...}`` form). A checkpoint of another architecture fails with
:class:`CheckpointMismatchError` naming the keys.
"""
import os.path as osp

import pytest
import torch
from helpers.recognition import (FINETUNE_HMDB51, LINEAR_UCF101, run_tool,
                                 tiny_options)
from mmaction.registry import MODELS
from mmengine.config import Config

from constcl_mm.models.utils.checkpoint import (R3D50_CFG,
                                                CheckpointMismatchError,
                                                export_backbone_state)

STOCK_R3D50 = R3D50_CFG


def build_recognizer(config: str, pretrained):
    cfg = Config.fromfile(config)
    cfg.model.backbone.pretrained = pretrained
    return MODELS.build(cfg.model)


def assert_backbone_equals(model, source: dict, prefix: str = 'backbone.'):
    state = model.backbone.state_dict()
    assert len(state) == 318
    for key, value in state.items():
        assert torch.equal(value, source[prefix + key]), key


@pytest.mark.parametrize('config', [LINEAR_UCF101, FINETUNE_HMDB51])
def test_from_pretraining_checkpoint(config, pretrain_ckpt):
    path, source = pretrain_ckpt
    model = build_recognizer(config, path)
    model.init_weights()
    assert not hasattr(model.backbone, 'layer4_local')
    assert_backbone_equals(model, source)  # layer4 <- backbone.layer4
    local = source['backbone.layer4_local.0.conv1.conv.weight']
    assert not torch.equal(model.backbone.layer4[0].conv1.conv.weight, local)


def test_local_branch_on_request(pretrain_ckpt):
    path, source = pretrain_ckpt
    model = build_recognizer(LINEAR_UCF101, path)
    model.backbone.pretrained_branch = 'local'
    model.init_weights()
    torch.testing.assert_close(
        model.backbone.layer4[1].conv2.conv.weight,
        source['backbone.layer4_local.1.conv2.conv.weight'],
        rtol=0,
        atol=0)


@pytest.fixture(scope='module')
def exported(pretrain_ckpt, tmp_path_factory):
    """Exported backbones: a bare ``backbone.state_dict()`` of a
    single-branch model, and the export tool's ``{'state_dict': ...}``."""
    path, source = pretrain_ckpt
    out = tmp_path_factory.mktemp('exported')
    donor = build_recognizer(LINEAR_UCF101, path)
    donor.init_weights()
    bare = {k: v.clone() for k, v in donor.backbone.state_dict().items()}
    for value in bare.values():  # differ from the pretraining values
        if value.is_floating_point():
            value.add_(0.5)
    torch.save(bare, out / 'bare.pth')
    tool = export_backbone_state(torch.load(path, weights_only=True))
    torch.save({'state_dict': tool, 'meta': {}}, out / 'tool.pth')
    return dict(
        bare=(str(out / 'bare.pth'), bare), tool=(str(out / 'tool.pth'), tool))


@pytest.mark.parametrize('kind, config', [('bare', LINEAR_UCF101),
                                          ('tool', FINETUNE_HMDB51)])
def test_from_exported_backbone(kind, config, exported):
    path, state = exported[kind]
    model = build_recognizer(config, path)
    model.init_weights()
    assert_backbone_equals(model, state, prefix='')


def test_exported_backbone_is_a_stock_mmaction2_r3d50(exported):
    """The names are mmaction2's ResNet3d R3D-50: strict load works."""
    stock = MODELS.build(STOCK_R3D50)
    stock.load_state_dict(exported['bare'][1], strict=True)
    stock.load_state_dict(exported['tool'][1], strict=True)


def test_from_recognizer_checkpoint(exported, tmp_path):
    """A trained recognizer (backbone + head) feeds another recognizer."""
    model = build_recognizer(LINEAR_UCF101, exported['bare'][0])
    model.init_weights()
    torch.save({
        'state_dict': model.state_dict(),
        'meta': {}
    }, tmp_path / 'rec.pth')
    other = build_recognizer(FINETUNE_HMDB51, str(tmp_path / 'rec.pth'))
    other.init_weights()
    assert_backbone_equals(other, exported['bare'][1], prefix='')


def _save(tmp_path, name, state):
    path = str(tmp_path / name)
    torch.save({'state_dict': state}, path)
    return path


def test_wrong_architecture_r3d18(tmp_path):
    r18 = MODELS.build(dict(STOCK_R3D50, depth=18))
    path = _save(tmp_path, 'r3d18.pth', r18.state_dict())
    model = build_recognizer(LINEAR_UCF101, path)
    with pytest.raises(CheckpointMismatchError) as err:
        model.init_weights()
    text = str(err.value)
    assert 'r3d18.pth' in text and 'ResNet3dY' in text
    assert 'missing keys: ' in text and 'layer1.0.conv3.conv.weight' in text
    assert 'shape mismatches: ' in text


def test_wrong_architecture_i3d(tmp_path):
    i3d = MODELS.build(
        dict(
            STOCK_R3D50,
            pool1_stride_t=2,
            with_pool2=True,
            inflate=((1, 1, 1), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (0, 1, 0))))
    path = _save(tmp_path, 'i3d.pth', i3d.state_dict())
    model = build_recognizer(FINETUNE_HMDB51, path)
    with pytest.raises(
            CheckpointMismatchError,
            match=r'shape mismatches: layer1\.0\.conv1\.conv\.'
            r'weight: checkpoint \(64, 64, 3, 1, 1\) vs model '
            r'\(64, 64, 1, 1, 1\)'):
        model.init_weights()


def test_missing_key_named(exported, tmp_path):
    state = dict(exported['bare'][1])
    del state['layer3.5.conv2.bn.running_var']
    path = _save(tmp_path, 'cut.pth', state)
    model = build_recognizer(LINEAR_UCF101, path)
    with pytest.raises(
            CheckpointMismatchError,
            match=r'missing keys: layer3\.5\.conv2\.bn\.running_var'):
        model.init_weights()


def test_unset_checkpoint_explains_itself():
    """The configs refuse to start from random weights by accident."""
    unset = Config.fromfile(LINEAR_UCF101).model.backbone.pretrained
    model = build_recognizer(LINEAR_UCF101, unset)
    hint = r'--cfg-options model\.backbone\.pretrained=PATH'
    with pytest.raises(FileNotFoundError, match=hint):
        model.init_weights()


def test_train_cli_reports_wrong_architecture(tmp_path, label_file):
    r18 = MODELS.build(dict(STOCK_R3D50, depth=18))
    path = _save(tmp_path, 'r3d18.pth', r18.state_dict())
    opts = tiny_options(Config.fromfile(LINEAR_UCF101), label_file)
    opts['model.backbone.pretrained'] = path
    result = run_tool('train',
                      [LINEAR_UCF101, '--work-dir',
                       str(tmp_path / 'work')], opts)
    assert result.returncode != 0
    assert 'CheckpointMismatchError' in result.stderr
    assert 'missing keys: ' in result.stderr and osp.basename(path) in \
        result.stderr
