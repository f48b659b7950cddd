# Copyright (c) constcl_mm authors. All rights reserved.
"""``tools/train.py --smoke`` on the paper's SiamFC config (GOT-10k pairs
of a generated OTB-style sequence; docs/tracking.md "Smoke run first")."""
import re

from helpers.otb import crossing_dir
from helpers.smoke import smoke_train
from helpers.tracking import make_got10k_fixture
from test_tools_tracking import CONFIG


def test_smoke_siamfc_train(tmp_path):
    got = tmp_path / 'got10k'
    got.mkdir()
    make_got10k_fixture(str(got), crossing_dir())
    log = smoke_train(CONFIG, [
        f'train_dataloader.dataset.data_root={got}',
        'train_dataloader.dataset.ann_file=list.txt',
        'train_dataloader.dataset.data_prefix.img_path=', 'val_cfg=None',
        'val_dataloader=None', 'val_evaluator=None'
    ], str(tmp_path / 'train'))
    assert re.findall(r'loss_siamfc: ([0-9.]+)', log)
    assert (tmp_path / 'train' / 'epoch_1.pth').is_file()
