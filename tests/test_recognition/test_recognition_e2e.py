# Copyright (c) constcl_mm authors. All rights reserved.
"""Linear probing and fine-tuning through tools/train.py and tools/test.py.

Real clips of tests/data (mmaction2's Kinetics-400 demo clip and its test
clips) with a 2-class label file, a ConST-CL pretraining-style
checkpoint, the paper configs shrunk by ``--cfg-options`` (4-frame clips,
32 px, 1 clip x 1 crop, 1 epoch of 2 iterations), mmaction2's AccMetric.
"""
import os.path as osp

import torch
from helpers.recognition import (FINETUNE_HMDB51, LINEAR_UCF101,
                                 read_test_metrics, run_tool, tiny_options)
from mmengine.config import Config

from constcl_mm.compat import safe_torch_load


def train_and_test(config, pretrain, labels, work_dir):
    cfg = Config.fromfile(config)
    opts = tiny_options(cfg, labels, stages=('train', 'val'))
    opts['model.backbone.pretrained'] = pretrain
    train = run_tool('train', [config, '--work-dir', work_dir], opts)
    assert train.returncode == 0, train.stderr[-3000:]
    log = train.stdout + train.stderr
    assert f'loaded 318 backbone tensors from {pretrain} (global res5)' \
        in log
    assert 'Epoch(train) [1][2/2]' in log  # 4 clips, batch 2
    assert 'Epoch(val) [1][2/2]    acc/top1: ' in log
    ckpt = osp.join(work_dir, 'epoch_1.pth')
    assert osp.isfile(ckpt)

    test_opts = tiny_options(cfg, labels, stages=('test', ))
    test = run_tool('test', [config, ckpt, '--work-dir', work_dir], test_opts)
    assert test.returncode == 0, test.stderr[-3000:]
    assert 'Epoch(test) [4/4]    acc/top1: ' in test.stdout + test.stderr
    metrics = read_test_metrics(work_dir)
    assert metrics is not None
    for key in ('acc/top1', 'acc/top5', 'acc/mean1'):
        assert 0.0 <= metrics[key] <= 1.0, key
    assert metrics['acc/top5'] == 1.0  # 2 classes
    return safe_torch_load(ckpt)['state_dict']


def test_linear_probe(pretrain_ckpt, label_file, tmp_path):
    path, source = pretrain_ckpt
    trained = train_and_test(LINEAR_UCF101, path, label_file,
                             str(tmp_path / 'linear'))
    backbone = [k for k in trained if k.startswith('backbone.')]
    assert len(backbone) == 318
    for key in backbone:  # frozen end to end: weights and BN statistics
        assert torch.equal(trained[key], source[key]), key
    assert sorted(set(trained) - set(backbone)) == [
        'cls_head.fc_cls.bias', 'cls_head.fc_cls.weight'
    ]


def test_fine_tuning(pretrain_ckpt, label_file, tmp_path):
    path, source = pretrain_ckpt
    trained = train_and_test(FINETUNE_HMDB51, path, label_file,
                             str(tmp_path / 'finetune'))
    moved = [
        k for k in trained if k.startswith('backbone.')
        and not torch.equal(trained[k], source[k])
    ]
    assert 'backbone.conv1.conv.weight' in moved
    assert 'backbone.layer4.2.conv3.bn.running_mean' in moved
