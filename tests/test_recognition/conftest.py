# Copyright (c) constcl_mm authors. All rights reserved.
"""Session fixtures of the recognition tests."""
import pytest
from helpers.recognition import save_pretrain_checkpoint, write_label_file


@pytest.fixture(scope='session')
def pretrain_ckpt(tmp_path_factory):
    """(path, state dict) of a ConST-CL pretraining-style checkpoint."""
    path = str(tmp_path_factory.mktemp('pretrain') / 'constcl.pth')
    return path, save_pretrain_checkpoint(path)


@pytest.fixture(scope='session')
def label_file(tmp_path_factory):
    """A 2-class list file over real clips of tests/data."""
    path = str(tmp_path_factory.mktemp('labels') / 'tiny_list.txt')
    return write_label_file(path)
