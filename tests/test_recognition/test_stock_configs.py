# Copyright (c) constcl_mm authors. All rights reserved.
"""The docs/stock_configs.md snippets on the installed mmaction2 SlowOnly
and I3D configs (by their ``mmaction::`` names), both routes, trained for 2
iterations on 4 synthetic-world videos at 32 px."""
import re

import pytest
import torch
from helpers.stock_configs import (changed_lines, doc_snippets,
                                   pretrain_and_exported,
                                   train_without_stock_warnings)
from mmengine.config import Config

from constcl_mm.datasets.synthetic_export import export_world

SLOWONLY = ('mmaction::recognition/slowonly/'
            'slowonly_r50_8xb16-4x16x1-256e_kinetics400-rgb.py')
I3D = ('mmaction::recognition/i3d/'
       'i3d_imagenet-pretrained-r50_8xb8-32x2x1-100e_kinetics400-rgb.py')


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp('stock')
    summary = export_world(
        dict(seed=0, num_frames=24, frame_size=(40, 40)),
        str(root / 'w'),
        num_videos=4,
        layouts=('videos', ),
        progress=False)
    ckpt, exported = pretrain_and_exported(root, 'global')
    return dict(root=root, summary=summary, ckpt=ckpt, exported=exported)


def tiny(cfg: Config, world: dict, work_dir: str) -> Config:
    """Stock recognition config at test size: 4-frame clips at 32 px,
    batch 2 of 4 videos, 1 epoch (2 iterations), no validation."""
    summary = world['summary']
    pipe = cfg.train_dataloader.dataset.pipeline
    for step in pipe:
        if step.type == 'SampleFrames':
            step.update(clip_len=4, frame_interval=2, num_clips=1)
        elif step.type == 'Resize':
            step.update(scale=(32, 32), keep_ratio=False)
        elif step.type in ('MultiScaleCrop', ):
            step.update(input_size=32)
    cfg.train_dataloader.update(
        batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.update(
        ann_file=summary['video_list'],
        data_prefix=dict(video=summary['video_dir']))
    cfg.model.cls_head.num_classes = len(summary['classes'])
    cfg.train_cfg = dict(
        type='EpochBasedTrainLoop', max_epochs=1, val_interval=100)
    for key in ('val', 'test'):
        cfg[f'{key}_dataloader'] = cfg[f'{key}_cfg'] = None
        cfg[f'{key}_evaluator'] = None
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    return cfg


@pytest.mark.parametrize('base', [SLOWONLY, I3D], ids=['slowonly', 'i3d'])
@pytest.mark.parametrize('route', [0, 1], ids=['resnet3dy', 'exported'])
def test_stock_recognition_snippet_trains(base, route, world, tmp_path):
    snippet = doc_snippets()[route]
    assert changed_lines(snippet) <= 5
    snippet = re.sub(r"_base_ = '[^']+'", f'_base_ = {base!r}', snippet)
    snippet = snippet.replace("'iter_200000.pth'", repr(world['ckpt']))
    snippet = snippet.replace("'r3d50_global.pth'", repr(world['exported']))
    path = tmp_path / 'user.py'
    path.write_text(snippet)
    cfg = tiny(Config.fromfile(str(path)), world, str(tmp_path / 'wd'))
    runner = train_without_stock_warnings(cfg)
    assert runner.iter == 2
    backbone = runner.model.backbone
    want = torch.load(
        world['exported'], map_location='cpu', weights_only=True)['state_dict']
    # the pretrained weights were loaded (2 SGD steps move them a little;
    # a fresh init would be uncorrelated with them)
    conv = backbone.conv1.conv.weight.detach().float().flatten()
    ref = want['conv1.conv.weight'].float().flatten()
    assert torch.nn.functional.cosine_similarity(conv, ref, dim=0) > 0.9


def test_route_b_runs_with_mmaction2_own_train_py(world, tmp_path):
    """The route-B snippet through the installed mmaction2's
    ``tools/train.py`` (``mmaction/.mim/tools/train.py``): its
    ``custom_imports`` line brings the fix of the wheel's missing
    ``mmaction.models.localizers.drn``; without it the tool stops there."""
    import os
    import os.path as osp
    import subprocess
    import sys

    import mmaction
    tool = osp.join(
        osp.dirname(mmaction.__file__), '.mim', 'tools', 'train.py')
    assert osp.isfile(tool)
    snippet = doc_snippets()[1]
    assert "custom_imports = dict(imports=['constcl_mm']" in snippet
    snippet = snippet.replace("'r3d50_global.pth'", repr(world['exported']))
    path = tmp_path / 'route_b.py'
    path.write_text(snippet)
    cfg = tiny(Config.fromfile(str(path)), world, str(tmp_path / 'wd'))
    dumped = tmp_path / 'route_b_tiny.py'
    cfg.dump(str(dumped))
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    env.pop('PYTHONPATH', None)
    proc = subprocess.run(
        [sys.executable, tool, str(dumped)],
        cwd=str(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert 'Epoch(train) [1][2/2]' in out
    assert osp.isfile(tmp_path / 'wd' / 'epoch_1.pth')
    # the same config without the line: the wheel's own failure
    no_fix = tmp_path / 'no_fix.py'
    cfg.pop('custom_imports')
    cfg.dump(str(no_fix))
    proc = subprocess.run(
        [sys.executable, tool, str(no_fix)],
        cwd=str(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=600)
    if proc.returncode != 0:
        assert 'mmaction.models.localizers.drn' in proc.stderr[-3000:]
