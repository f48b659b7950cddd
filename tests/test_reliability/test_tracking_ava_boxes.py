# Copyright (c) constcl_mm authors. All rights reserved.
"""OTB one-frame targets and invalid boxes mid-sequence, AVA zero-area
boxes (issue 25)."""
import logging

import numpy as np
import pytest
from helpers.detection import ava_fixture_dataset
from mmengine.logging import MMLogger

from constcl_mm.datasets import MixedAVAKineticsDataset, OTB100Dataset
from constcl_mm.datasets.ava_annotations import read_ava_csv
from constcl_mm.evaluation.metrics.sot_metric import SOTMetric
from constcl_mm.utils import AnnotationError

BOX = '2,2,4,4\n'


def frames(folder, count):
    import cv2
    folder.mkdir(parents=True)
    img = np.full((16, 16, 3), 128, np.uint8)
    for i in range(1, count + 1):
        cv2.imwrite(str(folder / f'{i:04d}.jpg'), img)


def otb(tmp_path, targets):
    """``targets``: name -> ground-truth lines; one frame per line."""
    root = tmp_path / 'otb'
    rows = []
    for name, lines in targets.items():
        frames(root / name / 'img', len(lines))
        (root / name / 'groundtruth_rect.txt').write_text(''.join(lines))
        rows.append(f'{name},{name}/img,{name}/groundtruth_rect.txt,1,'
                    f'{len(lines)},%04d.jpg\n')
    info = tmp_path / 'otb_infos.txt'
    info.write_text(''.join(rows))
    return OTB100Dataset(
        ann_file=str(info), data_prefix=dict(img_path=str(root)))


def score(dataset, predict=lambda info: info['gt_bboxes']):
    metric = SOTMetric(plot=False)
    metric.dataset_meta = dataset.metainfo
    for i in range(len(dataset)):
        info = dataset.get_frame_info(i)
        metric.process(None, [
            dict(
                video_id=info['video_id'],
                video_name=info['video_name'],
                frame_id=info['frame_id'],
                video_length=info['video_length'],
                pred_track_instances=dict(bboxes=predict(info)),
                gt_instances=dict(bboxes=info['gt_bboxes']))
        ])
    return metric.compute_metrics(metric.results)


class Warnings:

    def __enter__(self):
        self.messages = []
        outer = self

        class Keep(logging.Handler):

            def emit(self, record):
                if record.levelno >= logging.WARNING:
                    outer.messages.append(record.getMessage())

        self.handler = Keep()
        MMLogger.get_current_instance().addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        MMLogger.get_current_instance().removeHandler(self.handler)


def test_one_frame_target_is_left_out_and_listed(tmp_path):
    with Warnings() as log:
        dataset = otb(tmp_path, dict(Good=[BOX] * 5, Single=[BOX]))
    assert dataset.num_videos == 1
    failed = dataset.metainfo['failed_targets']
    assert set(failed) == {'Single'} and 'one frame only' in failed['Single']
    assert 'Single/groundtruth_rect.txt' in failed['Single']
    assert any('Single is left out' in m for m in log.messages)
    # a predictor that misses every frame after the first: the mean is the
    # good target's alone (the one-frame target would have added 95.2)
    far = np.array([[100., 100., 104., 104.]], np.float32)
    out = score(
        dataset, lambda info: info['gt_bboxes']
        if info['frame_id'] == 0 else far)
    assert out['success'] == pytest.approx(100 * 20 / 21 / 5, abs=1e-3)
    assert out['failed_sequences'] == 1


def test_one_frame_video_in_the_metric_is_left_out():
    metric = SOTMetric(plot=False)
    box = np.array([[1., 1., 5., 5.]])
    far = np.array([[50., 50., 54., 54.]])
    for video_id, length in ((0, 1), (1, 3)):
        for frame in range(length):
            pred = box if frame == 0 else far
            metric.process(None, [
                dict(
                    video_id=video_id,
                    video_name=f'v{video_id}',
                    frame_id=frame,
                    video_length=length,
                    pred_track_instances=dict(bboxes=pred),
                    gt_instances=dict(bboxes=box))
            ])
    out = metric.compute_metrics(metric.results)
    assert out['success'] == pytest.approx(100 * 20 / 21 / 3, abs=1e-3)


def test_nan_and_negative_boxes_mid_sequence_are_named(tmp_path):
    lines = [BOX] * 3 + ['nan,nan,nan,nan\n', BOX, '2,2,-3,4\n', BOX]
    with Warnings() as log:
        dataset = otb(tmp_path, dict(Holes=lines, Good=[BOX] * 4))
    ann = str(tmp_path / 'otb' / 'Holes' / 'groundtruth_rect.txt')
    invalid = dataset.metainfo['invalid_gt_frames']
    assert list(invalid) == ['Holes']
    assert invalid['Holes'] == [
        f'{ann}:4 (nan,nan,nan,nan)', f'{ann}:6 (2,2,-3,4)'
    ]
    warning = next(m for m in log.messages if 'OTB target Holes' in m)
    assert '2 of 7 ground-truth boxes' in warning
    assert f'{ann}:4' in warning and f'{ann}:6' in warning
    assert 'never succeed' in warning and 'denominator' in warning
    # the stated rule: a perfect tracker scores 5 of 7 frames on Holes
    out = score(dataset)
    holes = 100 * 20 / 21 * 5 / 7
    assert out['success'] == pytest.approx(
        (holes + 100 * 20 / 21) / 2, abs=1e-3)


@pytest.mark.parametrize('row', [
    'vid1,0903,0.3,0.3,0.3,0.3,12,0',
    'vid1,0903,0.1,0.3,0.5,0.3,12,0',
    'vid1,0903,0.4,0.1,0.4,0.6,12,0',
])
def test_ava_zero_area_ground_truth_box_names_file_and_line(tmp_path, row):
    path = tmp_path / 'gt.csv'
    path.write_text('vid1,0902,0.1,0.2,0.5,0.6,12,0\n' + row + '\n')
    with pytest.raises(AnnotationError, match='zero area') as err:
        read_ava_csv(str(path))
    assert f'{path}:2' in str(err.value)


def test_ava_zero_area_box_refused_by_the_dataset(tmp_path):
    path = tmp_path / 'gt.csv'
    path.write_text('0f39OWEqJ24,0902,0.3,0.3,0.3,0.3,12,0\n')
    with pytest.raises(AnnotationError, match=f'{path}:1: .*zero area'):
        MixedAVAKineticsDataset(
            **dict(ava_fixture_dataset(), ann_file=str(path)))
