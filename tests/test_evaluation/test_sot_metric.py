# Copyright (c) constcl_mm authors. All rights reserved.
"""OPE maths and SOTMetric against golden values of committed fixtures.

* ``tests/data/mmtracking/...``: mmtracking's SOT evaluation fixture and its
  golden success 67.524 / norm precision 70.0 / precision 50.0;
* ``tests/data/synthetic_crossing``: ground truth of the generated sequence
  Crossing (120 boxes of 17x50) and a "tracker" result whose boxes are the
  ground truth moved right by ``17 (1 - r) / (1 + r)`` px, so that their IoU
  is exactly ``r``, cycling over ``r = 0.93, 0.73, 0.53, 0.33`` (30 frames
  each). By hand: at the 21 thresholds ``0, 0.05, .., 1`` (IoU > thr) the
  frames pass 19, 15, 11 and 7 of them: success AUC = 52 / 84 = 0.619048;
  every centre error is below 9 px: precision@20px = 1.0; normalised centre
  errors ``(1 - r) / (1 + r)`` = 0.036, 0.156, 0.307, 0.504: normalised
  precision@0.2 = 0.5; the success rate at IoU 0.5 = 0.75.

The real OTB Crossing with BACF's result (success 0.764683, precision 1.0)
is checked by ``tests_extra/`` when the optional data folder is present.
"""
import json

import numpy as np
import pytest
import torch
from helpers.otb import crossing_boxes_file
from helpers.paths import data_path
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from constcl_mm.datasets import load_sot_bboxes
from constcl_mm.evaluation import SOTMetric, eval_sot_ope
from constcl_mm.evaluation.functional import bbox_iou_aligned

SOT_FIXTURE = ('mmtracking', 'tests', 'data', 'demo_sot_data', 'trackingnet',
               'TRAIN_0')


def xywh_to_xyxy(boxes: np.ndarray, offset: float = 0.) -> np.ndarray:
    out = np.asarray(boxes, dtype=np.float64).copy()
    out[:, :2] += offset
    out[:, 2:] += out[:, :2]
    return out


def crossing_boxes():
    gt = load_sot_bboxes(crossing_boxes_file())
    pred = load_sot_bboxes(
        data_path('synthetic_crossing', 'results_shifted.txt'))
    return gt, pred


def mmtracking_fixture():
    """As mmtracking's test_sot_ope_evaluation: gt x,y,w,h -> x1y1x2y2 by
    adding (no -1); results are already x1,y1,x2,y2."""
    preds, gts = [], []
    for video in ('video-1', 'video-2'):
        gts.append(
            xywh_to_xyxy(
                load_sot_bboxes(
                    data_path(*SOT_FIXTURE, video, 'gt_for_eval.txt'))))
        preds.append(
            load_sot_bboxes(
                data_path(*SOT_FIXTURE, video, 'track_results.txt')))
    return preds, gts


def test_crossing_shifted_golden():
    gt, pred = crossing_boxes()
    assert gt.shape == pred.shape == (120, 4)
    out = eval_sot_ope([xywh_to_xyxy(pred, -1)], [xywh_to_xyxy(gt, -1)])
    assert out['success'] == pytest.approx(52 / 84, abs=5e-7)  # 0.619048
    assert out['precision'] == 1.0
    assert out['norm_precision'] == 0.5
    assert out['success_curve'][10] == 0.75  # success rate at IoU 0.5
    np.testing.assert_allclose(
        bbox_iou_aligned(xywh_to_xyxy(gt[:4]), xywh_to_xyxy(pred[:4])),
        [0.93, 0.73, 0.53, 0.33],
        atol=1e-5)
    assert out['success_curve'].shape == (21, )
    assert out['precision_curve'].shape == (51, )


def test_crossing_is_offset_and_centre_convention_free():
    """OTB's centre x + (w - 1) / 2 and x1 + w / 2 give the same scores."""
    gt, pred = crossing_boxes()
    a = eval_sot_ope([xywh_to_xyxy(pred, 0)], [xywh_to_xyxy(gt, 0)])
    b = eval_sot_ope([xywh_to_xyxy(pred, -1)], [xywh_to_xyxy(gt, -1)])
    for key in ('success', 'precision', 'norm_precision'):
        assert a[key] == pytest.approx(b[key], abs=1e-12)
    # the OTB toolkit's own centres x + (w - 1) / 2 on the raw x,y,w,h
    otb_c = [b[:, :2] + (b[:, 2:] - 1) / 2 for b in (gt, pred)]
    dist = np.linalg.norm(otb_c[0] - otb_c[1], axis=1)
    assert np.mean(dist <= 20) == a['precision'] == 1.0
    norm = np.linalg.norm((otb_c[0] - otb_c[1]) / gt[:, 2:], axis=1)
    assert np.mean(norm <= 0.2) == pytest.approx(a['norm_precision'])
    assert a['norm_precision'] == 0.5
    # a tracker off by 20.5 px fails at 20 px, one at 19.5 px passes
    far = xywh_to_xyxy(gt) + np.array([20.5, 0, 20.5, 0])
    near = xywh_to_xyxy(gt) + np.array([19.5, 0, 19.5, 0])
    assert eval_sot_ope([far], [xywh_to_xyxy(gt)])['precision'] == 0.
    assert eval_sot_ope([near], [xywh_to_xyxy(gt)])['precision'] == 1.


def test_mmtracking_fixture_golden():
    preds, gts = mmtracking_fixture()
    out = eval_sot_ope(preds, gts)
    assert round(out['success'] * 100, 3) == 67.524
    assert round(out['norm_precision'] * 100, 3) == 70.0
    assert round(out['precision'] * 100, 3) == 50.0
    assert len(out['per_video']) == 2


def test_success_uses_strict_threshold_and_counts_invalid_gt():
    gt = np.array(
        [[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 0, 10], [np.nan, 0, 10, 10]],
        dtype=np.float64)
    pred = np.array(
        [[0, 0, 10, 10], [0, 0, 10, 5], [0, 0, 10, 10], [0, 0, 10, 10]],
        dtype=np.float64)
    np.testing.assert_allclose(bbox_iou_aligned(gt[:2], pred[:2]), [1, .5])
    out = eval_sot_ope([pred], [gt])
    curve = out['success_curve']
    # IoU 1 passes every threshold but 1.0; IoU 0.5 fails at 0.5 (strict)
    assert curve[0] == 0.5 and curve[9] == 0.5 and curve[10] == 0.25
    assert curve[20] == 0.
    assert out['precision'] == 0.5  # invalid frames count, never succeed


def test_visible_mask_keeps_denominator():
    gt = np.array([[0, 0, 10, 10]] * 4, dtype=np.float64)
    pred = gt.copy()
    pred[2:] += 100
    out = eval_sot_ope([pred], [gt], [np.array([1, 1, 0, 0], bool)])
    assert out['precision'] == 0.5
    with pytest.raises(ValueError, match='3 predicted boxes for 4'):
        eval_sot_ope([pred[:3]], [gt])


def _samples(pred, gt, video_id, name):
    samples = []
    for i, (p, g) in enumerate(zip(pred, gt)):
        s = DetDataSample(
            metainfo=dict(
                frame_id=i,
                video_id=video_id,
                video_name=name,
                video_length=len(gt)))
        s.gt_instances = InstanceData(
            bboxes=torch.tensor(g[None], dtype=torch.float32),
            visible=torch.tensor([True]))
        s.pred_track_instances = InstanceData(
            bboxes=torch.tensor(p[None], dtype=torch.float32),
            scores=torch.tensor([1.]))
        samples.append(s.to_dict())  # as mmengine's Evaluator passes them
    return samples


def test_sot_metric_mmtracking_golden_and_dumps(tmp_path):
    preds, gts = mmtracking_fixture()
    metric = SOTMetric(out_dir=str(tmp_path / 'sot'))
    streams = [
        _samples(p, g, i, f'video-{i + 1}')
        for i, (p, g) in enumerate(zip(preds, gts))
    ]
    # interleaved, frames of video 2 in reverse: grouping must not care
    for a, b in zip(streams[0], streams[1][::-1]):
        metric.process({}, [a])
        metric.process({}, [b])
    out = metric.evaluate(50)
    assert out == {
        'sot/success': 67.524,
        'sot/norm_precision': 70.0,
        'sot/precision': 50.0
    }
    for png in ('success_plot.png', 'precision_plot.png'):
        with open(tmp_path / 'sot' / png, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    rows = json.loads((tmp_path / 'sot' / 'per_sequence.json').read_text())
    assert [r['video'] for r in rows] == ['video-1', 'video-2']
    assert len(rows[0]['success_curve']) == 21
    # the dumped OTB-style boxes (x,y,w,h, +1) evaluate to the same scores
    dumped = [
        xywh_to_xyxy(
            load_sot_bboxes(
                str(tmp_path / 'sot' / 'results' / f'video-{i}.txt')), -1)
        for i in (1, 2)
    ]
    again = eval_sot_ope(dumped, gts)
    assert round(again['success'] * 100, 3) == 67.524
    assert metric.results == []


def test_sot_metric_crossing_golden(tmp_path):
    gt, pred = crossing_boxes()
    metric = SOTMetric(plot=False)
    metric.process({},
                   _samples(
                       xywh_to_xyxy(pred, -1), xywh_to_xyxy(gt, -1), 0,
                       'Crossing'))
    out = metric.evaluate(120)
    assert out['sot/success'] == 61.905
    assert out['sot/precision'] == 100.0
    assert out['sot/norm_precision'] == 50.0


def test_sot_metric_rejects_incomplete_video():
    gt = np.array([[0, 0, 10, 10]] * 3, dtype=np.float64)
    metric = SOTMetric(plot=False)
    metric.process({}, _samples(gt, gt, 0, 'Short')[:2])
    with pytest.raises(ValueError, match=r'Short .*1 of 3 frames missing'):
        metric.evaluate(3)


def test_plots_go_through_the_visualizer_without_out_dir(tmp_path):
    from mmengine.visualization import Visualizer
    Visualizer.get_instance(
        'sot_metric_test',
        vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path))
    gt, pred = crossing_boxes()
    metric = SOTMetric()
    metric.process({},
                   _samples(
                       xywh_to_xyxy(pred, -1), xywh_to_xyxy(gt, -1), 0,
                       'Crossing'))
    metric.evaluate(120)
    for name in ('sot_success_plot_0.png', 'sot_precision_plot_0.png'):
        png = tmp_path / 'vis_data' / 'vis_image' / name
        assert png.read_bytes()[:4] == b'\x89PNG'


def test_plot_legends_are_in_the_units_of_the_log(tmp_path, monkeypatch):
    """The success / precision plot legends give the logged x100 score
    (``sot/success: 67.5240`` -> ``[67.5240]``), not the fraction."""
    from matplotlib.figure import Figure

    from constcl_mm.evaluation.metrics.sot_metric import score_label
    assert score_label(0.06448) == '[6.4480]'
    legends = []
    save = Figure.savefig

    def keep(fig, *args, **kwargs):
        legends.extend(t.get_text()
                       for t in fig.axes[0].get_legend().get_texts())
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, 'savefig', keep)
    preds, gts = mmtracking_fixture()
    metric = SOTMetric(out_dir=str(tmp_path / 'sot'))
    for i, (p, g) in enumerate(zip(preds, gts)):
        for sample in _samples(p, g, i, f'video-{i + 1}'):
            metric.process({}, [sample])
    out = metric.evaluate(50)
    assert len(legends) == 2
    assert legends[0].endswith(f"[{out['sot/success']:.4f}]")  # [67.5240]
    assert legends[1].endswith(f"[{out['sot/precision']:.4f}]")
