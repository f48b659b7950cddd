# Copyright (c) constcl_mm authors. All rights reserved.
"""``--gpus`` / ``--device`` of tools/train.py and tools/test.py, as
``mim train/test`` passes them."""
import argparse

import pytest

from constcl_mm.utils.device_args import (add_device_arguments,
                                          apply_device_arguments)


def parse(argv, monkeypatch):
    monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    parser = argparse.ArgumentParser()
    add_device_arguments(parser)
    args = parser.parse_args(argv)
    apply_device_arguments(args)
    return args


def test_gpus_zero_hides_the_gpus(monkeypatch):
    import os
    args = parse(['--gpus', '0'], monkeypatch)
    assert args.device == 'cpu'
    assert os.environ['CUDA_VISIBLE_DEVICES'] == ''
    assert os.environ['LOCAL_RANK'] == '0'


def test_gpus_one_keeps_the_default_device(monkeypatch):
    import os
    args = parse(['--gpus', '1'], monkeypatch)
    assert args.device is None
    assert 'CUDA_VISIBLE_DEVICES' not in os.environ


def test_several_gpus_need_a_launcher(monkeypatch):
    with pytest.raises(SystemExit, match='dist_train.sh CONFIG 4'):
        parse(['--gpus', '4'], monkeypatch)
    args = parse(['--gpus', '4', '--launcher', 'pytorch'], monkeypatch)
    assert args.gpus == 4
    with pytest.raises(SystemExit, match='>= 0'):
        parse(['--gpus', '-1'], monkeypatch)


@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_tools_advertise_gpus_for_mim(tool):
    """mim adds ``--gpus N`` only when the tool's help mentions it."""
    import os.path as osp
    import subprocess
    import sys
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    out = subprocess.run(
        [sys.executable, osp.join(root, 'tools', tool), '-h'],
        capture_output=True,
        text=True,
        check=True).stdout
    assert '--gpus' in out
