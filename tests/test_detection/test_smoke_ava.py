# Copyright (c) constcl_mm authors. All rights reserved.
"""``tools/train.py --smoke`` on the paper's AVA config (action transformer
head) with mmaction2's AVA annotation fixture and frames of a real clip
(docs/detection_ava.md "Smoke run first")."""
import glob
import os.path as osp
import re

import numpy as np
from helpers.detection import ava_fixture, make_frame_folders
from helpers.paths import REPO_ROOT
from helpers.smoke import smoke_train

CONFIG = glob.glob(
    osp.join(REPO_ROOT, 'configs', 'detection', 'constcl',
             'fastrcnn-actiontx_*_ava22-rgb.py'))[0]


def test_smoke_ava(real_frames_dir, tmp_path):
    frames = tmp_path / 'rawframes'
    make_frame_folders(
        str(frames), ['0f39OWEqJ24', '_-Z6wFjXtGQ'], real_frames_dir)
    data = [
        f'ann_file={ava_fixture("ava_sample.csv")}',
        f'label_file={ava_fixture("action_list.txt")}', 'exclude_file=None'
    ]
    opts = [f'train_dataloader.dataset.{d}' for d in data] + \
        [f'val_dataloader.dataset.{d}' for d in data] + [
            f'train_dataloader.dataset.data_prefix.img={frames}',
            f'val_dataloader.dataset.data_prefix.img={frames}',
            'val_dataloader.dataset.proposal_file=' +
            ava_fixture('ava_proposals_sample.pkl'),
            f'val_evaluator.ann_file={ava_fixture("ava_sample.csv")}',
            f'val_evaluator.label_file={ava_fixture("action_list.txt")}',
            'val_evaluator.exclude_file=None', 'model.backbone.pretrained=None'
        ]
    log = smoke_train(CONFIG, opts, str(tmp_path / 'work'))
    losses = [float(v) for v in re.findall(r'loss_action_cls: ([0-9.]+)', log)]
    assert len(losses) == 2 and all(np.isfinite(losses))
    assert re.search(r'mAP/overall: [0-9.]+', log)
