# Copyright (c) constcl_mm authors. All rights reserved.
"""A converted CVRL backbone (the TF-written reduced checkpoint) trains in
a stock ``mmaction::`` recognition config, pure mmaction2 modules, and in
our CVRL linear-probe config."""
import pytest
import torch
from helpers.cvrl import convert_reduced
from helpers.paths import REPO_ROOT
from helpers.stock_configs import train_without_stock_warnings
from mmengine.config import Config
from test_stock_configs import I3D, tiny

from constcl_mm.datasets.synthetic_export import export_world

CVRL_PROBE = (f'{REPO_ROOT}/configs/recognition/cvrl/'
              'linear-probe_cvrl-r3d50_8xb32-32x2x1-100e_kinetics400-rgb.py')


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp('cvrl_world')
    summary = export_world(
        dict(seed=0, num_frames=24, frame_size=(40, 40)),
        str(root / 'w'),
        num_videos=4,
        layouts=('videos', ),
        progress=False)
    return dict(summary=summary, **convert_reduced(str(root)))


def test_stock_i3d_config_trains_the_converted_backbone(world, tmp_path):
    # a user config on the stock one: the converted backbone's config (for
    # CVRL's R3D-50 that of docs/stock_configs.md route B), CVRL's input
    # range [-1, 1]
    backbone = dict(world['cfg'], pretrained=world['stock'], _delete_=True)
    user = tmp_path / 'user.py'
    user.write_text(
        f'_base_ = {I3D!r}\n'
        f'model = dict(backbone={backbone!r},\n'
        f"    cls_head=dict(in_channels={world['width']}),\n"
        '    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3))\n')
    cfg = tiny(Config.fromfile(str(user)), world, str(tmp_path / 'wd'))
    runner = train_without_stock_warnings(cfg)
    assert runner.iter == 2
    assert type(runner.model.backbone).__name__ == 'ResNet3d'
    want = torch.load(world['stock'], weights_only=True)['state_dict']
    conv = runner.model.backbone.conv1.conv.weight.detach().flatten()
    ref = want['conv1.conv.weight'].flatten()
    assert torch.nn.functional.cosine_similarity(conv, ref, dim=0) > 0.9


def test_cvrl_linear_probe_config_trains(world, tmp_path):
    cfg = Config.fromfile(CVRL_PROBE)
    arch = {
        k: v
        for k, v in world['y_cfg'].items()
        if k in ('base_channels', 'stage_blocks', 'inflate')
    }
    cfg.model.backbone.update(arch, pretrained=world['stock'])
    cfg.model.cls_head.in_channels = world['width']
    cfg = tiny(cfg, world, str(tmp_path / 'wd'))
    runner = train_without_stock_warnings(cfg)
    assert runner.iter == 2
    backbone = runner.model.backbone
    assert backbone.padding == 'tf_same'
    want = torch.load(world['stock'], weights_only=True)['state_dict']
    for key, value in backbone.state_dict().items():  # frozen: unchanged
        assert torch.equal(value, want[key]), key
