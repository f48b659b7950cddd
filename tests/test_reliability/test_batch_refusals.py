# Copyright (c) constcl_mm authors. All rights reserved.
"""Global batches without negatives are refused, repeats warned (issue 13)."""
import socket

import pytest
import torch
import torch.multiprocessing as mp
from helpers.reliability import batch_check_worker
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

import constcl_mm.models.selfsup.constcl as constcl_module

CVRL_TINY = dict(
    type='ConSTCL',
    backbone=dict(
        type='ResNet3dY',
        depth=18,
        base_channels=8,
        branches=('global', ),
        out_indices=(3, )),
    global_head=dict(
        type='GlobalContrastiveHead',
        in_channels=64,
        hid_channels=8,
        out_channels=4))


def batch(names):
    inputs = [
        torch.randint(0, 255, (2, 3, 4, 16, 16), dtype=torch.uint8)
        for _ in names
    ]
    samples = [ActionDataSample(metainfo=dict(filename=n)) for n in names]
    return dict(inputs=inputs, data_samples=samples)


def loss(model, names):
    data = model.data_preprocessor(batch(names), True)
    return model(**data, mode='loss')


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return MODELS.build(CVRL_TINY)


def test_one_video_per_step_is_refused(model):
    with pytest.raises(ValueError) as err:
        loss(model, ['a.mp4'])
    assert 'train_dataloader.batch_size=1' in str(err.value)
    assert 'world size 1' in str(err.value)


def test_one_distinct_video_twice_is_refused(model):
    with pytest.raises(ValueError, match='1 distinct of 2'):
        loss(model, ['a.mp4', 'a.mp4'])


def test_repeated_videos_warn_once(model, monkeypatch):
    logged = []
    monkeypatch.setattr(constcl_module, 'print_log',
                        lambda msg, **kw: logged.append((msg, kw)))
    monkeypatch.delattr(model, '_warned_repeats', raising=False)
    for _ in range(3):
        out = loss(model, ['a.mp4', 'b.mp4', 'a.mp4'])
        assert torch.isfinite(out['loss_global']) and out['loss_global'] > 0
    assert len(logged) == 1
    msg, kw = logged[0]
    assert '2 distinct of 3' in msg and kw['level'] == 30
    logged.clear()
    loss(model, ['a.mp4', 'b.mp4'])
    assert not logged


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    'names,expect',
    [
        ((['a.mp4'], ['a.mp4']), 'world size 2'),  # 1 video, 2 processes
        ((['a.mp4'], ['b.mp4']), 'ok'),
    ])
def test_two_processes_share_one_video(tmp_path, names, expect):
    mp.spawn(
        batch_check_worker,
        args=(2, free_port(), names, str(tmp_path)),
        nprocs=2,
        join=True)
    for rank in (0, 1):
        text = (tmp_path / f'rank{rank}.txt').read_text()
        assert expect in text, text
        if expect != 'ok':
            assert 'train_dataloader.batch_size=1' in text
            assert '1 distinct of 2' in text
