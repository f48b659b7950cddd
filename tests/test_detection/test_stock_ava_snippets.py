# Copyright (c) constcl_mm authors. All rights reserved.
"""The docs/stock_configs.md AVA snippets on the installed mmaction2 SlowOnly
AVA 2.1 config (by its ``mmaction::`` name), both routes, trained for 2
iterations on mmaction2's AVA annotation fixture with frame folders cut from
a real clip.

The stock config's own dataset (``AVADataset``), frame sampler
(``SampleAVAFrames``), FastRCNN detector and ``BBoxHeadAVA`` are used as
they are; only paths, sizes and the schedule are made tiny.
"""
import re

import pytest
import torch
from helpers.detection import ava_fixture, make_frame_folders
from helpers.stock_configs import (changed_lines, doc_snippets,
                                   pretrain_and_exported,
                                   train_without_stock_warnings)
from mmengine.config import Config

AVA = ('mmaction::detection/slowonly/'
       'slowonly_kinetics400-pretrained-r50_8xb16-4x16x1-20e_ava21-rgb.py')
#: docs/stock_configs.md: the two recognition snippets, then the two AVA ones
AVA_SNIPPETS = (2, 3)


@pytest.fixture(scope='module')
def ava_world(tmp_path_factory, real_frames_dir):
    """Frame folders of the fixture's two movies, a pretraining checkpoint
    and its local branch exported as a stock R3D-50."""
    root = tmp_path_factory.mktemp('stock_ava')
    make_frame_folders(
        str(root / 'rawframes'), ['0f39OWEqJ24', '_-Z6wFjXtGQ'],
        real_frames_dir)
    ckpt, exported = pretrain_and_exported(root, 'local')
    return dict(
        frames=str(root / 'rawframes'),
        ckpt=ckpt,
        exported=exported,
        state=torch.load(exported, map_location='cpu',
                         weights_only=True)['state_dict'])


def tiny(cfg: Config, world: dict, work_dir: str) -> Config:
    """The stock AVA config at test size: 4-frame clips at 64 px, batch 2,
    2 iterations, no validation; its own dataset and sampler."""
    pipe = cfg.train_dataloader.dataset.pipeline
    for step in pipe:
        if step.type == 'RandomRescale':
            step.update(scale_range=(64, 72))
        elif step.type == 'RandomCrop':
            step.update(size=64)
    cfg.train_dataloader.update(
        batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.update(
        ann_file=ava_fixture('ava_sample.csv'),
        exclude_file=None,
        label_file=ava_fixture('action_list.txt'),
        proposal_file=ava_fixture('ava_proposals_sample.pkl'),
        data_prefix=dict(img=world['frames']))
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2)
    cfg.param_scheduler = []
    for key in ('val', 'test'):
        cfg[f'{key}_dataloader'] = cfg[f'{key}_cfg'] = None
        cfg[f'{key}_evaluator'] = None
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    cfg.log_processor = dict(by_epoch=False)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    return cfg


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    return torch.nn.functional.cosine_similarity(
        a.detach().float().flatten(), b.float().flatten(), dim=0).item()


@pytest.mark.parametrize('route', [0, 1], ids=['resnet3dy', 'exported'])
def test_stock_ava_snippet_trains(route, ava_world, tmp_path):
    snippet = doc_snippets()[AVA_SNIPPETS[route]]
    assert f"_base_ = '{AVA}'" in snippet
    assert changed_lines(snippet) <= 5
    snippet = snippet.replace("'iter_200000.pth'", repr(ava_world['ckpt']))
    snippet = snippet.replace("'r3d50_local.pth'", repr(ava_world['exported']))
    path = tmp_path / 'user.py'
    path.write_text(snippet)
    cfg = tiny(Config.fromfile(str(path)), ava_world, str(tmp_path / 'wd'))
    # the snippet keeps the stock detector and head
    assert cfg.model.type == 'FastRCNN'
    assert cfg.model.roi_head.bbox_head.type == 'BBoxHeadAVA'
    assert cfg.model.init_cfg is None
    runner = train_without_stock_warnings(cfg)
    assert runner.iter == 2
    losses = runner.message_hub.get_scalar('train/loss_action_cls')
    assert torch.isfinite(torch.tensor(losses.current()))

    # the pretrained weights, local branch included, were loaded (2 SGD
    # steps move them a little; a fresh init is uncorrelated with them)
    backbone = runner.model.backbone
    state = backbone.state_dict()
    want = ava_world['state']
    assert cosine(state['conv1.conv.weight'], want['conv1.conv.weight']) > 0.9
    res5 = [k for k in state if re.match(r'layer4(_local)?\.0\.conv2', k)]
    assert res5, sorted(state)[-5:]
    assert cosine(state[res5[0]], want['layer4.0.conv2.conv.weight']) > 0.9
    # res5 at stride 1, as the stock SlowOnly AVA backbone
    with torch.no_grad():
        out = backbone(torch.zeros(1, 3, 4, 64, 64))
    out = out[0] if isinstance(out, (tuple, list)) else out
    assert tuple(out.shape[-2:]) == (4, 4)
