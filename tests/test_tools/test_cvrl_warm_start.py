# Copyright (c) constcl_mm authors. All rights reserved.
"""The warm-start configs: ConST-CL initialised from a converted CVRL
checkpoint (the TF-written reduced one) loads every backbone tensor, its
global branch is the converted backbone, and it trains 2 iterations on two
real clips."""
import math
import os.path as osp

import pytest
import torch
from helpers.cvrl import convert_reduced
from helpers.paths import REPO_ROOT, data_path
from mmaction.registry import MODELS
from mmengine.config import Config

CONFIGS = {
    gpus:
    osp.join(REPO_ROOT, 'configs', 'constcl',
             f'constcl_r3d50y-cvrl-init_{gpus}-16x2x2-50e_'
             'kinetics400.py')
    for gpus in ('8xb64', '32xb32')
}
ARCH = ('base_channels', 'stage_blocks', 'inflate', 'conv1_kernel')


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    return convert_reduced(str(tmp_path_factory.mktemp('cvrl_init')))


def reduced_cfg(path: str, converted: dict) -> Config:
    """The warm-start config at the reduced checkpoint's architecture."""
    cfg = Config.fromfile(path)
    cfg.model.backbone.update({k: converted['y_cfg'][k]
                               for k in ARCH},
                              pretrained=converted['y'])
    width = converted['width']
    cfg.model.global_head.update(in_channels=width, hid_channels=width)
    cfg.model.neck.in_channels = width
    return cfg


@pytest.mark.parametrize('gpus,videos', [('8xb64', 512), ('32xb32', 1024)])
def test_schedule_is_50_epochs(gpus, videos):
    cfg = Config.fromfile(CONFIGS[gpus])
    assert cfg.train_dataloader.batch_size * int(gpus.split('xb')[0]) == \
        videos
    assert cfg.train_cfg.max_iters == math.ceil(50 * 235693 / videos)
    assert cfg.model.backbone.padding == 'tf_same'
    assert cfg.model.backbone.branches == ('global', 'local')


def test_loaded_model_is_complete_and_global_is_the_converted(converted):
    cfg = reduced_cfg(CONFIGS['8xb64'], converted)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    backbone = model.backbone.state_dict()
    y = torch.load(converted['y'], weights_only=True)['state_dict']
    stock = torch.load(converted['stock'], weights_only=True)['state_dict']
    assert set(backbone) == set(y)  # every backbone tensor came from the file
    for key, value in y.items():
        assert torch.equal(backbone[key], value), key
    for key, value in stock.items():  # both res5 are CVRL's res5
        assert torch.equal(backbone[key], value), key
        if key.startswith('layer4.'):
            local = 'layer4_local.' + key[len('layer4.'):]
            assert torch.equal(backbone[local], value), key
    # the global branch computes what the converted backbone computes
    single = MODELS.build(
        dict(converted['y_cfg'], branches=('global', ), out_indices=(3, )))
    single.load_state_dict({
        k: v
        for k, v in y.items() if not k.startswith('layer4_local.')
    })
    model.eval(), single.eval()
    clip = torch.rand(2, 3, 16, 32, 32) * 2 - 1
    with torch.no_grad():
        res5, res5_1 = model.backbone(clip)
        assert torch.equal(res5, single(clip))
        assert torch.equal(res5_1, res5)


def test_warm_start_config_trains_two_iterations(converted, tmp_path):
    from mmengine.runner import Runner
    cfg = reduced_cfg(CONFIGS['8xb64'], converted)
    videos = [
        data_path('mmaction2', 'demo', 'demo.mp4'),
        data_path('mmaction2', 'tests', 'data', 'test.mp4')
    ]
    listing = tmp_path / 'videos.txt'
    listing.write_text(''.join(f'{v}\n' for v in videos))
    pipeline = cfg.train_dataloader.dataset.pipeline
    for step in pipeline:
        if step.type == 'MultiViewRandomResizedCrop':
            step.scale = 32
        elif step.type == 'MultiViewGaussianBlur':
            step.kernel_size = 3
    cfg.train_dataloader.update(
        batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.ann_file = str(listing)
    cfg.train_cfg.update(max_iters=2, val_interval=2)
    # the 5-epoch warmup of a 2-video list outlasts 2 steps
    cfg.param_scheduler.warmup = dict(iters=1)
    cfg.default_hooks.checkpoint.interval = 2
    cfg.default_hooks.logger.interval = 1
    cfg.log_processor.window_size = 1
    cfg.work_dir = str(tmp_path / 'wd')
    cfg.launcher = 'none'
    runner = Runner.from_cfg(cfg)
    before = runner.model.backbone.layer4_local[0].conv1.conv.weight.clone()
    runner.train()
    assert runner.iter == 2
    after = runner.model.backbone.layer4_local[0].conv1.conv.weight
    assert not torch.equal(before, after)  # the local res5 trained
    assert osp.isfile(tmp_path / 'wd' / 'iter_2.pth')
