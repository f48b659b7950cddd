# Copyright (c) constcl_mm authors. All rights reserved.
"""Config mistakes fail at build naming the field; exports are checked."""
import os.path as osp

import pytest
import torch
from helpers.reliability import REPO_ROOT, run_python
from mmaction.registry import MODELS
from mmengine.config import Config, DictAction

from constcl_mm.models.utils.checkpoint import R3D50_CFG

PRETRAIN = osp.join(REPO_ROOT, 'configs', 'constcl', 'pretrain.py')


def pretrain_model(*options):
    cfg = Config.fromfile(PRETRAIN)
    if options:
        parser = __import__('argparse').ArgumentParser()
        parser.add_argument('--cfg-options', nargs='+', action=DictAction)
        cfg.merge_from_dict(
            parser.parse_args(['--cfg-options', *options]).cfg_options)
    return cfg.model


def test_depth_34_names_depth_and_in_channels():
    with pytest.raises(ValueError) as err:
        MODELS.build(pretrain_model('model.backbone.depth=34'))
    text = str(err.value)
    assert 'model.backbone.depth=34' in text
    assert 'model.global_head.in_channels=2048' in text and '512' in text


def test_tiny_heads_that_fit_still_build():
    model = pretrain_model('model.backbone.depth=18',
                           'model.backbone.base_channels=8',
                           'model.global_head.in_channels=64',
                           'model.neck.in_channels=64')
    MODELS.build(model)


def test_neck_channels_are_checked_too():
    with pytest.raises(ValueError, match='model.neck.in_channels=256'):
        MODELS.build(pretrain_model('model.neck.in_channels=256'))


def test_context_length_five_is_a_named_type_error():
    with pytest.raises(
            TypeError, match="context_length must be an integer, "
            "got 'five'"):
        MODELS.build(pretrain_model('model.neck.context_length=five'))


def test_export_backbone_refuses_an_r3d18(tmp_path):
    r3d18 = MODELS.build(dict(R3D50_CFG, depth=18))
    ckpt = tmp_path / 'r3d18.pth'
    torch.save(
        dict(
            state_dict={
                f'backbone.{k}': v
                for k, v in r3d18.state_dict().items()
            },
            meta=dict(iter=10)), ckpt)
    out = tmp_path / 'exported.pth'
    proc = run_python([
        osp.join(REPO_ROOT, 'tools', 'export_backbone.py'),
        str(ckpt),
        str(out)
    ])
    assert proc.returncode != 0
    assert 'CheckpointMismatchError' in proc.stderr
    assert str(ckpt) in proc.stderr and 'not a R3D-50' in proc.stderr
    assert not out.exists()
