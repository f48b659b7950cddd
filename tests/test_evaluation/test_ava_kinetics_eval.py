# Copyright (c) constcl_mm authors. All rights reserved.
"""Frame-mAP: the golden AVA value and a hand-computed AVA-Kinetics split."""
import math
from decimal import Decimal

import numpy as np
import pytest
import torch
from helpers.detection import eval_fixture
from mmaction.registry import METRICS

# yapf: disable
from constcl_mm.datasets.ava_annotations import (AVA, KINETICS,
                                                 collect_keyframes,
                                                 infer_source, keyframe_key,
                                                 parse_ava_row, read_ava_csv,
                                                 read_exclusions,
                                                 read_label_file)
# yapf: enable
from constcl_mm.evaluation.functional import ava_kinetics_eval
from constcl_mm.utils import AnnotationError

GOLDEN = 0.09385521885521886  # official ActivityNet get_ava_performance.py

LABELS = """item {
  name: "stand"
  id: 1
}
item {
  name: "sit"
  id: 2
}
"""
# AVA rows (whole seconds, 0902 form) and Kinetics rows (YouTube id, time in
# the YouTube video, fractional, no person id; kin_video_03 is a keyframe
# without any action). ava_movie01,0904 is excluded.
GT = """ava_movie01,0902,0.1,0.1,0.5,0.5,1,0
ava_movie01,0902,0.6,0.6,0.9,0.9,2,1
ava_movie01,0903,0.1,0.1,0.5,0.5,1,0
ava_movie01,0904,0.1,0.1,0.5,0.5,1,0
kin_video_01,12.5,0.2,0.2,0.6,0.6,1
kin_video_02,3.25,0.3,0.3,0.7,0.7,2
kin_video_03,7.75
"""
EXCLUDED = 'ava_movie01,0904\n'
# (video_id, timestamp, box x1y1x2y2, action, score); timestamps written
# differently from the ground truth on purpose (902, 12.50)
DETECTIONS = [
    ('ava_movie01', '902', (0.1, 0.1, 0.5, 0.5), 1, 0.9),  # TP
    ('ava_movie01', '0903', (0.6, 0.6, 0.9, 0.9), 1, 0.6),  # FP (place)
    ('ava_movie01', '902', (0.6, 0.6, 0.9, 0.9), 2, 0.3),  # TP
    ('ava_movie01', '0904', (0.7, 0.7, 0.8, 0.8), 1, 0.99),  # excluded
    ('kin_video_03', '7.75', (0.2, 0.2, 0.6, 0.6), 1, 0.95),  # FP (negative)
    ('kin_video_01', '12.50', (0.2, 0.2, 0.6, 0.6), 1, 0.5),  # TP
    ('kin_video_01', '12.5', (0.2, 0.2, 0.6, 0.6), 2, 0.45),  # FP (class)
    ('kin_video_02', '3.25', (0.3, 0.3, 0.7, 0.7), 2, 0.4),  # TP
    ('kin_video_09', '1.5', (0.3, 0.3, 0.7, 0.7), 2, 0.99),  # not in GT
]
# Hand-computed (Pascal VOC AP, precision made monotone):
#   AVA      class 1: TP .9, FP .6, 2 GT             -> AP 1/2
#            class 2: TP .3, 1 GT                    -> AP 1
#   Kinetics class 1: FP .95, TP .5, 1 GT            -> AP 1/2
#            class 2: FP .45, TP .4, 1 GT            -> AP 1/2
#   overall  class 1: FP .95, TP .9, FP .6, TP .5, 3 GT
#            -> recall 1/3 at precision 1/2, 2/3 at 1/2 -> AP 1/3
#            class 2: FP .45, TP .4, TP .3, 2 GT
#            -> precision 2/3 up to recall 1 -> AP 2/3
EXPECTED = {
    'overall': (1 / 3 + 2 / 3) / 2,
    AVA: (1 / 2 + 1) / 2,
    KINETICS: (1 / 2 + 1 / 2) / 2,
}
EXPECTED_PER_CLASS = {
    'overall': {
        1: 1 / 3,
        2: 2 / 3
    },
    AVA: {
        1: 1 / 2,
        2: 1.0
    },
    KINETICS: {
        1: 1 / 2,
        2: 1 / 2
    },
}


@pytest.fixture
def ak_files(tmp_path):
    files = dict(
        labels=tmp_path / 'labels.pbtxt',
        gt=tmp_path / 'gt.csv',
        excluded=tmp_path / 'excluded.csv',
        det=tmp_path / 'det.csv')
    files['labels'].write_text(LABELS)
    files['gt'].write_text(GT)
    files['excluded'].write_text(EXCLUDED)
    files['det'].write_text(''.join(
        f'{v},{t},{",".join(map(str, b))},{a},{s}\n'
        for v, t, b, a, s in DETECTIONS))
    return {k: str(v) for k, v in files.items()}


def test_golden_frame_map_of_the_official_evaluation():
    _, class_ids = read_label_file(eval_fixture('action_list.txt'))
    gt = read_ava_csv(eval_fixture('gt.csv'), class_ids)
    det = read_ava_csv(
        eval_fixture('pred.csv'), class_ids, capacity=50, score_column=True)
    out = ava_kinetics_eval(gt, det, class_ids)
    assert out['overall'] == pytest.approx(GOLDEN, abs=1e-12)
    # per-class values of the official evaluation (README of the fixture)
    assert out['per_class']['overall'] == pytest.approx(
        {
            1: 0.170454545,
            2: 0.0,
            3: 0.111111111
        }, abs=1e-9)
    assert out['num_keyframes'] == {'overall': 3, AVA: 3}


def _data_samples(detections, num_classes=3):
    """Model outputs as the val loop hands them to the metric."""
    by_key = {}
    for video_id, ts, box, action, score in detections:
        scores = torch.zeros(num_classes)
        scores[action] = score
        by_key.setdefault(keyframe_key(video_id, ts), []).append(
            (torch.tensor(box), scores))
    samples = []
    for key, dets in by_key.items():
        samples.append(
            dict(
                img_key=key,
                pred_instances=dict(
                    bboxes=torch.stack([d[0] for d in dets]),
                    scores=torch.stack([d[1] for d in dets]))))
    return samples


def test_golden_frame_map_through_the_metric():
    rows = [line.split(',') for line in open(eval_fixture('pred.csv'))]
    detections = [(r[0], r[1], tuple(map(float,
                                         r[2:6])), int(r[6]), float(r[7]))
                  for r in rows]
    metric = METRICS.build(
        dict(
            type='AVAKineticsMetric',
            ann_file=eval_fixture('gt.csv'),
            label_file=eval_fixture('action_list.txt'),
            num_classes=4))
    metric.dataset_meta = {}
    metric.process([], _data_samples(detections, num_classes=4))
    out = metric.evaluate(size=len(metric.results))
    assert out['mAP/overall'] == pytest.approx(GOLDEN, abs=1e-7)
    assert 'mAP/kinetics' not in out


def test_ava_kinetics_split_matches_hand_computation(ak_files):
    _, class_ids = read_label_file(ak_files['labels'])
    gt = read_ava_csv(ak_files['gt'], class_ids)
    det = read_ava_csv(
        ak_files['det'], class_ids, capacity=50, score_column=True)
    assert gt.sources == {
        'ava_movie01,0902': AVA,
        'ava_movie01,0903': AVA,
        'ava_movie01,0904': AVA,
        'kin_video_01,12.500000': KINETICS,
        'kin_video_02,3.250000': KINETICS,
        'kin_video_03,7.750000': KINETICS,
    }
    out = ava_kinetics_eval(gt, det, class_ids,
                            read_exclusions(ak_files['excluded']))
    for split, value in EXPECTED.items():
        assert out[split] == pytest.approx(value, abs=1e-12), split
        assert out['per_class'][split] == pytest.approx(
            EXPECTED_PER_CLASS[split], abs=1e-12), split
    assert out['num_keyframes'] == {'overall': 5, AVA: 2, KINETICS: 3}
    assert out['num_ignored_detection_keyframes'] == 1  # kin_video_09


def test_exclusions_negatives_and_unknown_keyframes_matter(ak_files):
    _, class_ids = read_label_file(ak_files['labels'])
    gt = read_ava_csv(ak_files['gt'], class_ids)
    det = read_ava_csv(ak_files['det'], class_ids, score_column=True)
    # without the exclusion, 0904 has a GT (missed: the .99 box is wrong)
    # and a FP of score .99 ahead of everything
    out = ava_kinetics_eval(gt, det, class_ids)
    assert out[AVA] != pytest.approx(EXPECTED[AVA])
    # without the negative keyframe, Kinetics class 1 has no FP
    gt.sources.pop('kin_video_03,7.750000')
    out = ava_kinetics_eval(gt, det, class_ids,
                            read_exclusions(ak_files['excluded']))
    assert out['per_class'][KINETICS][1] == pytest.approx(1.0)


def test_metric_reports_overall_and_per_source(ak_files, tmp_path):
    kinetics_rows = [r for r in GT.splitlines() if r.startswith('kin')]
    ava_rows = [r for r in GT.splitlines() if r.startswith('ava')]
    (tmp_path / 'ava.csv').write_text('\n'.join(ava_rows) + '\n')
    (tmp_path / 'kinetics.csv').write_text('\n'.join(kinetics_rows) + '\n')
    out_csv = tmp_path / 'submission.csv'
    for ann in (dict(ann_file=ak_files['gt']),
                dict(
                    ann_file=str(tmp_path / 'ava.csv'),
                    kinetics_ann_file=str(tmp_path / 'kinetics.csv'))):
        metric = METRICS.build(
            dict(
                type='AVAKineticsMetric',
                label_file=ak_files['labels'],
                exclude_file=ak_files['excluded'],
                num_classes=3,
                out_file=str(out_csv),
                **ann))
        metric.dataset_meta = {}
        metric.process([], _data_samples(DETECTIONS))
        out = metric.evaluate(size=len(metric.results))
        assert out == pytest.approx(
            {
                f'mAP/{k}': v
                for k, v in EXPECTED.items()
            }, abs=1e-7)
    # the submission file is in the official format and evaluates the same
    _, class_ids = read_label_file(ak_files['labels'])
    gt = read_ava_csv(ak_files['gt'], class_ids)
    det = read_ava_csv(str(out_csv), class_ids, 50, score_column=True)
    again = ava_kinetics_eval(gt, det, class_ids,
                              read_exclusions(ak_files['excluded']))
    assert again['overall'] == pytest.approx(EXPECTED['overall'], abs=1e-6)


def test_metric_processed_keys_only(ak_files):
    metric = METRICS.build(
        dict(
            type='AVAKineticsMetric',
            ann_file=ak_files['gt'],
            label_file=ak_files['labels'],
            exclude_file=ak_files['excluded'],
            num_classes=3,
            eval_keys='processed'))
    metric.dataset_meta = {}
    # the model never ran on kin_video_02 (its clip is missing)
    kept = [d for d in DETECTIONS if d[0] != 'kin_video_02']
    metric.process([], _data_samples(kept))
    out = metric.evaluate(size=len(metric.results))
    # Kinetics class 2 has no GT left: only class 1 (AP 1/2) counts
    assert out['mAP/kinetics'] == pytest.approx(0.5)
    assert out['mAP/ava'] == pytest.approx(EXPECTED[AVA])


def test_capacity_keeps_the_best_detections_per_keyframe():
    rows = [('v', Decimal(902), [0, 0, 1, 1], 1, s / 10) for s in range(10)]
    kept = collect_keyframes(rows, {1}, capacity=3)
    assert kept.scores['v,0902'] == [0.9, 0.8, 0.7]
    assert len(collect_keyframes(rows, {1}).scores['v,0902']) == 10


def test_keyframe_keys_and_source_inference():
    assert keyframe_key('vid', '0902') == keyframe_key('vid', 902) == \
        'vid,0902'
    assert keyframe_key('vid', '12.50') == keyframe_key('vid', 12.5) == \
        'vid,12.500000'
    assert infer_source('ava_movie01', Decimal('0902')) == AVA
    assert infer_source('kin_video_01', Decimal('12.5')) == KINETICS
    assert infer_source('kin_video_01', Decimal('15')) == KINETICS
    assert infer_source('abcdefghijk_000010_000020', Decimal('1000')) == \
        KINETICS
    # the documented ambiguity, and how the AVA id list resolves it
    assert infer_source('kin_video_01', Decimal('1000')) == AVA
    assert infer_source(
        'kin_video_01', Decimal('1000'),
        ava_video_ids={'ava_movie01'}) == KINETICS


@pytest.mark.parametrize('line,message', [
    ('vid,0902,0.1,0.1,0.5', 'expected 2'),
    ('vid,09x2', 'invalid timestamp'),
    ('vid,0902,0.1,a,0.5,0.5,1', 'box fields'),
    ('vid,0902,0.1,0.1,0.5,0.5,walk', 'action id'),
])
def test_malformed_lines_name_file_and_line(tmp_path, line, message):
    path = tmp_path / 'bad.csv'
    path.write_text('vid,0902,0.1,0.1,0.5,0.5,1\n' + line + '\n')
    with pytest.raises(AnnotationError, match=message) as err:
        read_ava_csv(str(path))
    assert f'{path}:2' in str(err.value)


def test_parse_row_fields():
    video_id, ts, box, action, score = parse_ava_row(
        ['v', '3.25', '0.1', '0.2', '0.3', '0.4', '7', '0.8'], 'x', True)
    assert (video_id, ts, box, action, score) == ('v', Decimal('3.25'),
                                                  [0.2, 0.1, 0.4, 0.3], 7, 0.8)
    assert math.isnan(
        ava_kinetics_eval(collect_keyframes([]), collect_keyframes([]),
                          [1])['overall'])
    assert np.isfinite(EXPECTED['overall'])
