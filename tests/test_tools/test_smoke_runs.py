# Copyright (c) constcl_mm authors. All rights reserved.
"""``tools/train.py --smoke`` on the paper's pretraining configs (ConST-CL
and CVRL) with your own clips: a list file of real clips of tests/data, as
docs/pretraining.md "Smoke run first" shows; and what ``--smoke`` changes in
every task's config."""
import glob
import os.path as osp
import re

import pytest
from helpers.paths import REPO_ROOT, data_path
from helpers.smoke import smoke_train
from mmengine.config import Config

from constcl_mm.utils.pipeline_edit import steps_of_type
from constcl_mm.utils.smoke import apply_smoke

PRETRAIN = osp.join(REPO_ROOT, 'configs', 'constcl', 'pretrain.py')
CVRL = osp.join(REPO_ROOT, 'configs', 'constcl',
                'cvrl_r3d50_128xb8-16x2x2-200k_kinetics400.py')
#: one config of every task (the smoke runs of the others are in the
#: test folder of the task)
TASK_CONFIGS = [
    PRETRAIN, CVRL,
    glob.glob(
        osp.join(REPO_ROOT, 'configs', 'recognition', 'linear_probe',
                 '*ucf101-split1*'))[0],
    glob.glob(
        osp.join(REPO_ROOT, 'configs', 'recognition', 'finetune',
                 '*hmdb51-split1*'))[0],
    glob.glob(
        osp.join(REPO_ROOT, 'configs', 'detection', 'constcl',
                 'fastrcnn-actiontx_*_ava22-rgb.py'))[0],
    glob.glob(
        osp.join(REPO_ROOT, 'configs', 'tracking', 'siamfc',
                 '*local-frozen*'))[0]
]


@pytest.fixture(scope='module')
def my_clips(tmp_path_factory):
    """A video list of four real clips (absolute paths, no labels)."""
    clips = [
        data_path('mmaction2', 'demo', 'demo.mp4'),
        data_path('mmaction2', 'tests', 'data', 'test.mp4'),
        data_path('mmaction2', 'tests', 'data', 'rawvideo_dataset',
                  'part_0.mp4'),
        data_path('mmaction2', 'tests', 'data', 'test.avi')
    ]
    path = tmp_path_factory.mktemp('clips') / 'my_videos.txt'
    path.write_text(''.join(f'{c}\n' for c in clips))
    return str(path)


@pytest.mark.parametrize('config', [PRETRAIN, CVRL], ids=['constcl', 'cvrl'])
def test_smoke_pretraining_on_own_clips(config, my_clips, tmp_path):
    log = smoke_train(config, [
        f'train_dataloader.dataset.ann_file={my_clips}',
        'train_dataloader.dataset.data_prefix.video='
    ], str(tmp_path))
    losses = [float(v) for v in re.findall(r' loss: ([0-9.]+)', log)]
    assert len(losses) == 2, log[-2000:]
    assert 'Iter(train) [2/2]' in log
    # the LR follows the batch of 2 (no warning about an unscaled LR)
    assert 'Scaling the original LR by 0.001953125' in log
    assert 'is not scaled' not in log
    assert osp.isfile(tmp_path / 'iter_2.pth')


@pytest.mark.parametrize(
    'config', TASK_CONFIGS, ids=lambda p: osp.basename(p)[:40])
def test_smoke_shrinks_every_task_consistently(config):
    cfg = Config.fromfile(config)
    apply_smoke(cfg)
    loop = cfg.train_cfg
    assert loop.get('max_iters', 2) == 2 and loop.get('max_epochs', 1) == 1
    train = cfg.train_dataloader
    assert train.batch_size <= 2 and train.num_workers == 0
    assert train.dataset.indices == 4
    for stage in ('val', 'test'):
        loader = cfg.get(f'{stage}_dataloader')
        if loader:
            assert loader.batch_size == 1 and loader.dataset.indices == 2
    for key in ('clip_len', ):
        for name in ('SampleFrames', 'CVRLSampleFrames',
                     'SampleAVAKineticsFrames'):
            for _, step in steps_of_type(cfg, name):
                assert step[key] <= 10 and step.get('num_clips', 1) == 1
    for _, step in steps_of_type(cfg, 'MultiViewRandomResizedCrop'):
        assert step.scale == 64
    for _, step in steps_of_type(cfg, 'MultiViewGaussianBlur'):
        assert step.kernel_size == 7
    for _, step in steps_of_type(cfg, 'ThreeCrop') + \
            steps_of_type(cfg, 'CenterCrop'):
        assert step.crop_size <= 73
    for _, step in steps_of_type(cfg, 'SiamFCPairCrop'):
        assert (step.exemplar_size, step.search_size) == (31, 63)
        assert cfg.model.test_cfg.search_size == 63
    sched = cfg.param_scheduler
    for s in sched if isinstance(sched, list) else [sched]:
        if s.type == 'WarmupCosineLR':
            assert s.warmup == dict(ratio=0.5)
        else:
            assert s.end <= 1
    assert cfg.auto_scale_lr.enable is True
