# Copyright (c) constcl_mm authors. All rights reserved.
"""``--smoke`` runs of the paper's linear-probe and fine-tuning configs on a
2-class list of real clips (docs/recognition.md "Smoke run first"):
training, validation, then tools/test.py --smoke on the checkpoint."""
import re

import pytest
from helpers.paths import data_path
from helpers.recognition import FINETUNE_HMDB51, LINEAR_UCF101
from helpers.smoke import run_tool, smoke_train


def _data(labels):
    return [
        f'{stage}_dataloader.dataset.{key}'
        for stage in ('train', 'val', 'test')
        for key in (f'ann_file={labels}', f'data_prefix.video={data_path()}')
    ] + ['model.cls_head.num_classes=2']


@pytest.mark.parametrize(
    'config', [LINEAR_UCF101, FINETUNE_HMDB51], ids=['linear', 'finetune'])
def test_smoke_recognition(config, pretrain_ckpt, label_file, tmp_path):
    opts = _data(label_file) + [
        f'model.backbone.pretrained={pretrain_ckpt[0]}'
    ]
    log = smoke_train(config, opts, str(tmp_path / 'train'))
    assert 'Epoch(train) [1][2/2]' in log
    assert re.search(r'Epoch\(val\) \[1\]\[2/2\]\s+acc/top1: ', log)
    ckpt = tmp_path / 'train' / 'epoch_1.pth'
    assert ckpt.is_file()
    log = run_tool('test.py', config,
                   [str(ckpt), '--smoke', '--cfg-options', *opts],
                   str(tmp_path / 'test'))
    assert re.search(r'Epoch\(test\) \[2/2\]\s+acc/top1: ', log)
