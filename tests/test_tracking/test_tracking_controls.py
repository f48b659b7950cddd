# Copyright (c) constcl_mm authors. All rights reserved.
"""The tracking evaluation of the learning proof: dilations that follow the
pretraining strides, the static and NCC controls through the OTB dataset
and SOTMetric, a readout that trains, and frozen vs fine-tuned backbones.

Data: short sequences of a small :class:`SyntheticWorld`, exported in the
OTB and GOT-10k layouts, and a translating textured square written as an
OTB sequence.
"""
import copy
import math
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from helpers.tracking import moving_pattern
from mmaction.registry import MODELS

from constcl_mm.datasets import OTB100Dataset
from constcl_mm.datasets.synthetic_export import export_world, otb_lines
from constcl_mm.evaluation import downstream as ds
from constcl_mm.evaluation.downstream import evaluate_tracking
from constcl_mm.models.trackers import (resolve_tracker_backbone,
                                        tracker_geometry)

WORLD = dict(seed=5, num_frames=32, frame_size=(64, 64))
TINY = dict(depth=50, base_channels=4)  # res5: 128 channels
# a depth-18 (BasicBlock) pretraining backbone with res5 at stride 1
TINY18 = dict(depth=18, base_channels=8, spatial_strides=(1, 2, 2, 1))


@pytest.fixture(scope='module')
def export(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('track_world'))
    summary = export_world(
        WORLD,
        out,
        num_videos=3,
        layouts=('otb', 'got10k'),
        frame_interval=2,
        min_frames=4,
        max_frames=8,
        progress=False)
    assert len(summary['sequences']) >= 2
    return out, summary


# ----------------------------------------------------------------------
# dilations follow the pretraining strides
def test_dilation_rule():
    assert tracker_geometry((1, 2, 2, 2)) == ((1, 2, 1, 1), (1, 1, 2, 4))
    assert tracker_geometry((1, 2, 2, 1)) == ((1, 2, 1, 1), (1, 1, 2, 2))
    assert tracker_geometry((1, 2, 1, 1)) == ((1, 2, 1, 1), (1, 1, 1, 1))
    # a pretraining dilation multiplies, an early stride is kept
    assert tracker_geometry((2, 2, 2, 2),
                            (1, 1, 1, 2)) == ((2, 2, 1, 1), (1, 1, 2, 8))
    auto = dict(spatial_strides='auto', dilations='auto')
    assert resolve_tracker_backbone(
        auto, dict(spatial_strides=(1, 2, 2, 1))) == dict(
            spatial_strides=(1, 2, 1, 1), dilations=(1, 1, 2, 2))
    with pytest.raises(ValueError, match='needs the pretraining'):
        resolve_tracker_backbone(auto, None)


def siamfc_cfg(backbone, pretrain):
    return dict(
        type='SiamFC',
        backbone=dict(
            type='ResNet3dY',
            branches=('local', ),
            out_indices=(4, ),
            frozen_stages=4,
            norm_eval=True,
            **backbone),
        pretrain_backbone=pretrain,
        head=dict(type='SiamFCHead', in_channels=64, adjust_channels=8),
        test_cfg=dict(exemplar_size=31, search_size=63, response_size=5))


def test_siamfc_refuses_dilations_off_the_pretraining_strides():
    """Checked at build, for a BasicBlock backbone too; 'auto' derives."""
    base = dict(depth=18, base_channels=8)
    model = MODELS.build(
        siamfc_cfg(
            dict(base, spatial_strides='auto', dilations='auto'),
            dict(spatial_strides=(1, 2, 2, 1))))
    assert model.backbone.dilations == (1, 1, 2, 2)
    assert model.backbone.layer4_local[0].conv1.conv.dilation == (1, 2, 2)
    assert model.total_stride == 8
    # the stock dilation 4 for a res5 pretrained at stride 1: refused
    bad = siamfc_cfg(
        dict(base, spatial_strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4)),
        dict(spatial_strides=(1, 2, 2, 1)))
    with pytest.raises(ValueError) as err:
        MODELS.build(bad)
    msg = str(err.value)
    assert 'model.backbone.dilations=(1, 1, 2, 4)' in msg
    assert 'model.pretrain_backbone.spatial_strides=(1, 2, 2, 1)' in msg
    assert 'dilations=(1, 1, 2, 2)' in msg
    # strides that keep res5's stride are refused the same way
    bad = siamfc_cfg(
        dict(base, spatial_strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2)),
        dict(spatial_strides=(1, 2, 2, 1)))
    with pytest.raises(ValueError, match='spatial_strides=.1, 2, 2, 1. '):
        MODELS.build(bad)


def test_evaluate_tracking_derives_and_refuses(export, tmp_path):
    """The pretraining backbone's strides reach the tracker; a config that
    states other dilations is refused before anything runs."""
    out, summary = export
    with pytest.raises(ValueError) as err:
        evaluate_tracking(
            osp.join(out, 'otb'),
            backbone=TINY18,
            work_dir=str(tmp_path / 'bad'),
            cfg_options={'model.backbone.dilations': (1, 1, 2, 4)})
    assert 'model.backbone.dilations=(1, 1, 2, 4)' in str(err.value)
    assert 'spatial_strides=(1, 2, 2, 1)' in str(err.value)
    name = summary['sequences'][0]['name']
    result = evaluate_tracking(
        osp.join(out, 'otb'),
        backbone=TINY18,
        targets=[name],
        work_dir=str(tmp_path / 'ok'))
    assert result['num_sequences'] == 1 and result['train_loss'] == []
    assert len(result['per_sequence']) == 1


# ----------------------------------------------------------------------
# controls
def _iou(a, b):
    w = max(0., min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0., min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] -
                                                             b[1]) - inter
    return inter / union


def test_static_tracker_scores_as_computed_by_hand(export, tmp_path):
    out, summary = export
    result = ds.evaluate_static_tracker(
        osp.join(out, 'otb'), work_dir=str(tmp_path))
    dataset = OTB100Dataset(
        ann_file='otb_infos.txt', data_root=osp.join(out, 'otb'))
    success, precision = [], []
    for v in range(dataset.num_videos):
        gt = dataset.get_data_info(v)['gt_bboxes'].astype(np.float64)
        first = gt[0]
        ious = [_iou(first, box) for box in gt]
        # OTB: IoU > t for t = 0, 0.05, ..., 1; centre distance <= 20 px
        success.append(
            np.mean([
                np.mean([i > t for i in ious]) for t in np.linspace(0, 1, 21)
            ]))
        dist = [
            math.hypot((box[0] + box[2] - first[0] - first[2]) / 2,
                       (box[1] + box[3] - first[1] - first[3]) / 2)
            for box in gt
        ]
        precision.append(np.mean([d <= 20 for d in dist]))
    assert result['num_sequences'] == dataset.num_videos == len(
        summary['sequences'])
    assert result['success'] == pytest.approx(100 * np.mean(success), abs=1e-3)
    assert result['precision'] == pytest.approx(
        100 * np.mean(precision), abs=1e-3)
    assert set(result) >= {
        'success', 'precision', 'norm_precision', 'num_sequences',
        'per_sequence'
    }


def write_otb_sequence(root, name, frames, boxes):
    """One OTB-layout sequence and its info file."""
    img_dir = osp.join(root, name, 'img')
    os.makedirs(img_dir)
    for k, frame in enumerate(frames, 1):
        cv2.imwrite(
            osp.join(img_dir, f'{k:04d}.jpg'),
            cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
            [cv2.IMWRITE_JPEG_QUALITY, 95])
    with open(osp.join(root, name, 'groundtruth_rect.txt'), 'w') as f:
        f.write(otb_lines(boxes))
    with open(osp.join(root, 'otb_infos.txt'), 'w') as f:
        f.write(f'{name},{name}/img,{name}/groundtruth_rect.txt,1,'
                f'{len(frames)},%04d.jpg\n')


def test_ncc_tracks_a_translating_square(tmp_path):
    frames, boxes = moving_pattern(length=12)
    root = str(tmp_path / 'otb')
    write_otb_sequence(root, 'square', frames, boxes)
    ncc = ds.evaluate_ncc_tracker(root, work_dir=str(tmp_path / 'ncc'))
    static = ds.evaluate_static_tracker(root, work_dir=str(tmp_path / 'st'))
    assert ncc['precision'] == 100.
    assert ncc['success'] > 85 and ncc['success'] > static['success'] + 30
    pred = np.loadtxt(
        osp.join(ncc['ope_dir'], 'results', 'square.txt'), delimiter=',')
    centres = pred[:, :2] - 1 + pred[:, 2:] / 2  # 1-based x,y,w,h
    truth = (boxes[:, :2] + boxes[:, 2:]) / 2
    assert np.abs(centres - truth).max() <= 1.5
    path = ds.plot_tracking_curves(
        dict(ncc=ncc, static=static['per_sequence']),
        str(tmp_path / 'curves.png'))
    assert cv2.imread(path).shape[:2] == (420, 1100)


# ----------------------------------------------------------------------
# the readout trains; frozen vs fine-tuned
FAST = {
    'train_cfg.max_iters': 100,
    'train_dataloader.batch_size': 4,
}


def test_readout_loss_drops_below_ln2(export, tmp_path):
    out, summary = export
    name = summary['sequences'][0]['name']
    result = evaluate_tracking(
        osp.join(out, 'otb'),
        train_root=osp.join(out, 'got10k'),
        backbone=TINY,
        targets=[name],
        config=ds.TRACKING_TRAIN_CONFIG,
        work_dir=str(tmp_path),
        cfg_options=FAST)
    losses = result['train_loss']
    assert len(losses) == 100
    assert result['train_loss_last'] < math.log(2) - 0.1
    assert result['train_loss_last'] < result['train_loss_first']
    assert osp.isfile(result['train_loss_plot'])
    assert result['backbone_change'] == 0  # frozen
    assert result['backbone_bn_change'] == 0


def test_finetune_changes_the_backbone_frozen_does_not(export, tmp_path):
    out, summary = export
    name = summary['sequences'][0]['name']
    kwargs = dict(
        train_root=osp.join(out, 'got10k'),
        backbone=TINY,
        targets=[name],
        config=ds.TRACKING_TRAIN_CONFIG,
        cfg_options=dict(FAST, **{'train_cfg.max_iters': 3}))
    tuned = evaluate_tracking(
        osp.join(out, 'otb'),
        finetune=True,
        work_dir=str(tmp_path / 'tuned'),
        **copy.deepcopy(kwargs))
    frozen = evaluate_tracking(
        osp.join(out, 'otb'), work_dir=str(tmp_path / 'frozen'), **kwargs)
    assert tuned['finetune'] and not frozen['finetune']
    assert tuned['backbone_change'] > 0
    assert tuned['backbone_bn_change'] == 0  # BN kept in eval mode
    assert frozen['backbone_change'] == 0
    assert 'fine-tuned' in tuned['name'] and 'frozen' in frozen['name']
    with pytest.raises(ValueError, match='finetune=True needs a config'):
        evaluate_tracking(
            osp.join(out, 'otb'), config=ds.TRACKING_CONFIG, finetune=True)
