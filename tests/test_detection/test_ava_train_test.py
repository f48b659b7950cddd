# Copyright (c) constcl_mm authors. All rights reserved.
"""tools/train.py and tools/test.py on mmaction2's AVA fixture, both heads.

The fixture (csv, label map, person detections) has no frames: the frame
folders are built from a real clip (test.mp4) extracted at 30 fps with our
own tool. The configs are the real ones with tiny clips (4 frames, 64 px), a
narrow backbone and two iterations.
"""
import glob
import json
import os.path as osp
import pickle
import re
import runpy
import sys

import numpy as np
import pytest
from helpers.detection import (ava_fixture, build_ava_kinetics_tree,
                               make_frame_folders)
from helpers.paths import REPO_ROOT

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'detection', 'constcl')
HEADS = {
    'bbox_head_ava':
    'fastrcnn_constcl-r3d50y-local_32xb8-32x2x1-50k_ava22-rgb.py',
    'action_transformer':
    'fastrcnn-actiontx_constcl-r3d50y-local_32xb8-32x2x1-50k_ava22-rgb.py',
}

TINY = """
_base_ = [{base!r}]
# R3D-50 at a quarter of the width (res5: 512 channels) keeps it quick
model = dict(
    backbone=dict(pretrained=None, with_cp=False, base_channels=16),
    roi_head=dict(bbox_head=dict(in_channels=512)))
train_pipeline = [
    dict(type='SampleAVAKineticsFrames', clip_len=4, frame_interval=2),
    dict(type='RawFrameDecode'),
    dict(type='RandomRescale', scale_range=(64, 72)),
    dict(type='RandomCrop', size=64),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='SampleAVAKineticsFrames', clip_len=4, frame_interval=2,
         test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 64)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
data = dict(exclude_file=None, label_file={labels!r}, {data})
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(pipeline=train_pipeline, **data))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(pipeline=val_pipeline, proposal_file={proposals!r}, **data))
test_dataloader = val_dataloader
val_evaluator = dict(exclude_file=None, label_file={labels!r}, {evaluator})
test_evaluator = val_evaluator
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2,
                 val_interval=2)
param_scheduler = []
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=2, by_epoch=False, save_best=None))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
"""


@pytest.fixture(scope='module')
def ava_frames(tmp_path_factory, real_frames_dir):
    """Frame folders of the two fixture movies (keyframes 902 and 903 s
    need frames 56-95 of the 900-s cut)."""
    root = tmp_path_factory.mktemp('ava_rawframes')
    make_frame_folders(
        str(root), ['0f39OWEqJ24', '_-Z6wFjXtGQ'], real_frames_dir)
    return str(root)


def run(tool, config, *args, work_dir):
    """Runs ``tools/<tool> config ... --work-dir work_dir`` as its command
    line does (in this process: importing the stack once keeps the test
    short) and returns the run's log."""
    argv = sys.argv
    sys.argv = [tool, str(config), *args, '--work-dir', str(work_dir)]
    try:
        runpy.run_path(osp.join(REPO_ROOT, 'tools', tool), run_name='__main__')
    finally:
        sys.argv = argv
    logs = sorted(glob.glob(osp.join(str(work_dir), '*', '*.log')))
    assert logs, f'{tool} wrote no log in {work_dir}'
    with open(logs[-1]) as f:
        return f.read()


def metric_values(log: str):
    values = [float(v) for v in re.findall(r'mAP/overall: ([0-9.e+-]+)', log)]
    assert values, log[-3000:]
    return values


@pytest.mark.parametrize('head', sorted(HEADS))
def test_train_then_test(head, ava_frames, tmp_path):
    config = tmp_path / f'tiny_{head}.py'
    config.write_text(
        TINY.format(
            base=osp.join(CONFIG_DIR, HEADS[head]),
            labels=ava_fixture('action_list.txt'),
            proposals=ava_fixture('ava_proposals_sample.pkl'),
            data=f'ann_file={ava_fixture("ava_sample.csv")!r}, '
            f'data_prefix=dict(img={ava_frames!r})',
            evaluator=f'ann_file={ava_fixture("ava_sample.csv")!r}'))
    work_dir = tmp_path / 'work'
    log = run('train.py', config, work_dir=work_dir)
    assert 'loss_action_cls' in log
    losses = [float(v) for v in re.findall(r'loss_action_cls: ([0-9.]+)', log)]
    assert len(losses) == 2 and all(np.isfinite(losses))
    # validation after the last iteration, on the person detections
    val_map = metric_values(log)[-1]
    assert 0 <= val_map <= 1
    checkpoint = work_dir / 'iter_2.pth'
    assert checkpoint.is_file()

    dump = tmp_path / 'detections.pkl'
    log = run(
        'test.py',
        config,
        str(checkpoint),
        '--dump',
        str(dump),
        work_dir=tmp_path / 'test')
    # same weights, same keyframes and boxes: the checkpoint round-trips
    assert metric_values(log)[-1] == pytest.approx(val_map, abs=1e-4)
    with open(dump, 'rb') as f:
        results = pickle.load(f)
    # three keyframes; the detections of the fixture pickle (score >= 0.9)
    assert sorted(r['img_key'] for r in results) == [
        '0f39OWEqJ24,0902', '0f39OWEqJ24,0903', '_-Z6wFjXtGQ,0902'
    ]
    by_key = {r['img_key']: r['pred_instances'] for r in results}
    np.testing.assert_allclose(
        by_key['_-Z6wFjXtGQ,0902']['bboxes'].numpy(),
        [[0.076, 0.051, 0.554, 0.975], [0.387, 0.263, 0.916, 0.984]],
        atol=0.02)
    for pred in by_key.values():
        scores = pred['scores'].numpy()
        assert scores.shape[1] == 81 and (scores >= 0).all() and \
            (scores <= 1).all()

    if head == 'action_transformer':
        # testing on ground-truth boxes: the predictions sit on them
        dump_gt = tmp_path / 'detections_gt.pkl'
        log = run(
            'test.py',
            config,
            str(checkpoint),
            '--dump',
            str(dump_gt),
            '--cfg-options',
            'test_dataloader.dataset.proposal_file=None',
            work_dir=tmp_path / 'test_gt')
        assert 0 <= metric_values(log)[-1] <= 1
        with open(dump_gt, 'rb') as f:
            by_key = {
                r['img_key']: r['pred_instances']
                for r in pickle.load(f)
            }
        np.testing.assert_allclose(
            by_key['_-Z6wFjXtGQ,0902']['bboxes'].numpy(),
            [[0.063, 0.049, 0.524, 0.996]],
            atol=0.02)
    scalars = list((work_dir).rglob('scalars.json'))
    assert scalars, 'no training log written'
    lines = [json.loads(line) for line in open(scalars[0])]
    assert any('mAP/overall' in line for line in lines)


def test_ava_kinetics_config_trains_and_reports_both_sources(
        tmp_path, real_frames_dir):
    """The AVA-Kinetics config (AVA csv + Kinetics csv, AVA + Kinetics
    proposal pickles, two frame roots) through tools/train.py: validation
    reports overall, AVA and Kinetics frame-mAP."""
    root = build_ava_kinetics_tree(tmp_path / 'data', real_frames_dir)
    config = tmp_path / 'tiny_ava_kinetics.py'
    kinetics = dict(
        ann_file=str(root / 'ava.csv'),
        kinetics_ann_file=str(root / 'kinetics.csv'))
    config.write_text(
        TINY.format(
            base=osp.join(
                CONFIG_DIR, 'fastrcnn_constcl-r3d50y-local_32xb8-32x2x1-50k_'
                'ava-kinetics-rgb.py'),
            labels=ava_fixture('action_list.txt'),
            proposals=[
                str(root / 'ava_proposals.pkl'),
                str(root / 'kinetics_proposals.pkl')
            ],
            data=', '.join(f'{k}={v!r}' for k, v in kinetics.items()) +
            f', data_prefix=dict(img={str(root / "ava")!r}, '
            f'kinetics={str(root / "kinetics")!r})',
            evaluator=', '.join(f'{k}={v!r}' for k, v in kinetics.items())))
    log = run('train.py', config, work_dir=tmp_path / 'work')
    # 2 AVA and 2 Kinetics training keyframes (kin_video_02's clip is
    # missing, kin_video_03 has no box)
    assert '2 ava keyframes' in log and '2 kinetics keyframes' in log
    # validated on the detections: kin_video_03 (no action) is evaluated too
    assert 'kinetics: 3 of 4 ground-truth keyframes evaluated' in log
    values = {
        name: float(v)
        for name, v in re.findall(r'mAP/(overall|ava|kinetics): ([0-9.]+)',
                                  log)
    }
    assert set(values) == {'overall', 'ava', 'kinetics'}
    assert all(0 <= v <= 1 for v in values.values())
