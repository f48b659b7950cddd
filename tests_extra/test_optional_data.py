# Copyright (c) constcl_mm authors. All rights reserved.
"""Opt-in checks on the optional data folder (``CONSTCL_SHARED``).

Not part of the default suite (``pytest.ini`` collects ``tests/`` only);
``.ci/run`` runs this group when the folder is present:
``python -m pytest tests_extra``. Every test fails (never skips) when the
folder is absent.

* the real OTB-2015 sequence Crossing (not redistributable, so not in
  ``tests/data``) with a real tracker's output on it (BACF, from
  pyCFTrackers): golden success AUC 0.764683, precision@20px 1.0,
  normalised precision 0.983333;
* every file copied into ``tests/data`` is byte-identical to its source.
"""
import os.path as osp

import numpy as np
import pytest
from helpers.paths import DATA, shared_path

import constcl_mm  # noqa: F401  (stack fixes before any mmaction import)
from constcl_mm.datasets import load_sot_bboxes
from constcl_mm.evaluation import SOTMetric, eval_sot_ope


def xywh_to_xyxy(boxes: np.ndarray, offset: float = 0.) -> np.ndarray:
    out = np.asarray(boxes, dtype=np.float64).copy()
    out[:, :2] += offset
    out[:, 2:] += out[:, :2]
    return out


def real_crossing():
    gt = load_sot_bboxes(
        shared_path('data', 'otb_Crossing', 'groundtruth_rect.txt'))
    pred = load_sot_bboxes(
        shared_path('data', 'otb_Crossing', 'results_BACF_pyCFTrackers.txt'))
    return gt, pred


def test_real_crossing_bacf_golden():
    gt, pred = real_crossing()
    assert gt.shape == pred.shape == (120, 4)
    out = eval_sot_ope([xywh_to_xyxy(pred, -1)], [xywh_to_xyxy(gt, -1)])
    assert out['success'] == pytest.approx(0.764683, abs=5e-7)
    assert out['precision'] == 1.0
    assert out['norm_precision'] == pytest.approx(0.983333, abs=5e-7)
    assert out['success_curve'][10] == 1.0  # success rate at IoU 0.5
    # the offset convention does not change the scores
    again = eval_sot_ope([xywh_to_xyxy(pred)], [xywh_to_xyxy(gt)])
    for key in ('success', 'precision', 'norm_precision'):
        assert again[key] == pytest.approx(out[key], abs=1e-12)


def test_real_crossing_sot_metric_golden():
    import torch
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    gt, pred = real_crossing()
    metric = SOTMetric(plot=False)
    samples = []
    for i, (p,
            g) in enumerate(zip(xywh_to_xyxy(pred, -1), xywh_to_xyxy(gt, -1))):
        s = DetDataSample(
            metainfo=dict(
                frame_id=i,
                video_id=0,
                video_name='Crossing',
                video_length=120))
        s.gt_instances = InstanceData(
            bboxes=torch.tensor(g[None], dtype=torch.float32),
            visible=torch.tensor([True]))
        s.pred_track_instances = InstanceData(
            bboxes=torch.tensor(p[None], dtype=torch.float32),
            scores=torch.tensor([1.]))
        samples.append(s.to_dict())
    metric.process({}, samples)
    out = metric.evaluate(120)
    assert out['sot/success'] == 76.468
    assert out['sot/precision'] == 100.0


def test_committed_test_data_matches_its_source():
    """tests/data/<source>/<path> is the source's file, byte for byte."""
    import hashlib
    sums = {}
    with open(shared_path('data', 'SHA256SUMS')) as f:
        for line in f:
            digest, name = line.split(maxsplit=1)
            sums[osp.normpath(name.strip().lstrip('*'))] = digest
    checked = 0
    with open(osp.join(DATA, 'SHA256SUMS')) as f:
        for line in f:
            digest, name = line.split(maxsplit=1)
            name = osp.normpath(name.strip())
            if name in sums:
                assert sums[name] == digest, name
                checked += 1
    with open(osp.join(DATA, 'SHA256SUMS')) as f:
        tf_digest = next(line.split()[0] for line in f
                         if 'constcl_tf_reference.npz' in line)
    with open(shared_path('reference', 'constcl_tf_reference.npz'), 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest() == tf_digest
    assert checked >= 30  # every copied clip, image and annotation file
