# Copyright (c) constcl_mm authors. All rights reserved.
"""tools/export_backbone.py: round trip into stock mmaction2 ResNet3d."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from helpers.paths import REPO_ROOT
from mmaction.models import ResNet3d
from mmaction.registry import MODELS
from mmengine.config import Config

from constcl_mm.models import ResNet3dY
from constcl_mm.models.utils.checkpoint import R3D50_CFG

STOCK_R3D50 = {k: v for k, v in R3D50_CFG.items() if k != 'type'}


@pytest.fixture(scope='module')
def pretrain_ckpt(tmp_path_factory):
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'models',
                 'constcl_r3d50y.py'))
    model = MODELS.build(cfg.model)
    model.init_weights()
    path = tmp_path_factory.mktemp('ckpt') / 'iter_10.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {'iter': 10}}, path)
    return str(path), model


def export(ckpt, out, branch):
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'export_backbone.py'), ckpt,
        str(out), '--branch', branch
    ],
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f'exported the {branch} branch' in proc.stdout
    assert '31,672,128 parameters' in proc.stdout


@pytest.mark.parametrize('branch', ['global', 'local'])
def test_round_trip_into_stock_resnet3d(pretrain_ckpt, tmp_path, branch):
    ckpt, model = pretrain_ckpt
    out = tmp_path / f'{branch}.pth'
    export(ckpt, out, branch)
    state = torch.load(out, weights_only=True)['state_dict']
    stock = ResNet3d(**STOCK_R3D50)
    stock.load_state_dict(state, strict=True)
    source = model.backbone.layer4 if branch == 'global' \
        else model.backbone.layer4_local
    torch.testing.assert_close(stock.layer4[1].conv2.conv.weight,
                               source[1].conv2.conv.weight)
    torch.testing.assert_close(stock.conv1.conv.weight,
                               model.backbone.conv1.conv.weight)
    # stock mmaction2 loading path (pretrained=...) and our strict loader
    stock2 = ResNet3d(**{**STOCK_R3D50, 'pretrained': str(out)})
    stock2.init_weights()
    torch.testing.assert_close(stock2.layer4[2].conv3.conv.weight,
                               source[2].conv3.conv.weight)
    ours = ResNet3dY(
        branches=('global', ), out_indices=(3, ), pretrained=str(out))
    ours.init_weights()
    x = torch.randn(1, 3, 8, 32, 32)
    ours.eval()
    stock.eval()  # (mmaction2's ResNet3d.train returns None: no chaining)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), stock(x))


def test_export_refuses_a_non_backbone_checkpoint(tmp_path):
    bad = tmp_path / 'head_only.pth'
    torch.save({'state_dict': {'cls_head.fc.weight': torch.zeros(2, 2)}}, bad)
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'export_backbone.py'),
        str(bad),
        str(tmp_path / 'o.pth')
    ],
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode != 0
    assert 'holds no backbone' in proc.stderr
