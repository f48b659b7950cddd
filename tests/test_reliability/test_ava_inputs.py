# Copyright (c) constcl_mm authors. All rights reserved.
"""Bad AVA / AVA-Kinetics inputs get errors naming file, line or key."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from constcl_mm.datasets.ava_annotations import (read_ava_csv, read_exclusions,
                                                 read_label_file,
                                                 read_video_list)
from constcl_mm.datasets.ava_kinetics_dataset import MixedAVAKineticsDataset
from constcl_mm.evaluation.metrics.ava_kinetics_metric import AVAKineticsMetric
from constcl_mm.utils import AnnotationError

GOOD = 'vid1,0902,0.1,0.2,0.5,0.6,12,0\n'


def csv_file(tmp_path, *lines, name='a.csv'):
    path = tmp_path / name
    path.write_text(GOOD + ''.join(lines))
    return str(path)


@pytest.mark.parametrize('line,scores,match', [
    ('vid1,0903,nan,0.2,0.5,0.6,12,0\n', False, 'not finite'),
    ('vid1,0903,0.1,0.2,0.5,0.6,12,nan\n', True, 'score .* not finite'),
    ('vid1,0903,0.1,0.2,0.5,0.6,0,0\n', False, 'action id 0'),
    ('vid1,0903,0.1,0.2,0.5,0.6,0,0.9\n', True, 'action id 0'),
    ('vid1,0903,0.1,0.2,1.5,0.6,12,0\n', False, r'within \[0, 1\]'),
    ('vid1,0903,-0.1,0.2,0.5,0.6,12,0\n', False, r'within \[0, 1\]'),
])
def test_bad_rows_name_file_and_line(tmp_path, line, scores, match):
    path = csv_file(tmp_path, line)
    with pytest.raises(AnnotationError, match=match) as err:
        read_ava_csv(path, score_column=scores)
    assert f'{path}:2' in str(err.value)


def test_good_rows_still_read(tmp_path):
    gt = read_ava_csv(csv_file(tmp_path))
    assert gt.labels['vid1,0902'] == [12]


def test_non_utf8_bytes_name_file_and_line(tmp_path):
    bad = b'vid2,0903,0.1,0.2,0.5,0.6,12,0 caf\xe9\n'
    for name, reader in (('gt.csv', read_ava_csv), ('excl.csv',
                                                    read_exclusions),
                         ('videos.txt', read_video_list), ('labels.pbtxt',
                                                           read_label_file)):
        path = tmp_path / name
        path.write_bytes(b'vid1,0902\n' + bad)
        with pytest.raises(AnnotationError, match='not UTF-8') as err:
            reader(str(path))
        assert f'{path}:2' in str(err.value) and 'column 35' in str(err.value)


def test_proposals_pickle_that_is_a_list_is_named():
    with pytest.raises(AnnotationError, match='holds a list') as err:
        MixedAVAKineticsDataset._checked_proposals('props.pkl', [1, 2])
    assert 'props.pkl' in str(err.value)


def test_nan_proposals_name_key_and_file():
    props = {'vid1,0902': np.array([[0.1, 0.1, 0.5, np.nan, 0.9]])}
    with pytest.raises(AnnotationError, match='NaN') as err:
        MixedAVAKineticsDataset._checked_proposals('props.pkl', props)
    assert 'vid1,0902' in str(err.value) and 'props.pkl' in str(err.value)


@pytest.mark.parametrize('empty', [np.zeros((0, 5)), np.zeros((0, 4)), []])
def test_keyframe_without_proposals_gets_the_whole_frame(empty):
    props = MixedAVAKineticsDataset._checked_proposals('props.pkl',
                                                       {'vid1,0902': empty})
    holder = SimpleNamespace(
        proposals=props,
        proposal_files=['props.pkl'],
        _proposal_key=MixedAVAKineticsDataset._proposal_key,
        person_det_score_thr=0.9,
        num_max_proposals=10)
    info = dict(img_key='vid1,0902', source='ava', video_id='vid1')
    MixedAVAKineticsDataset._set_proposals(holder, info)
    np.testing.assert_array_equal(info['proposals'], [[0., 0., 1., 1.]])
    np.testing.assert_array_equal(info['scores'], [1.])


def test_metric_num_classes_must_match_the_scores(tmp_path):
    labels = tmp_path / 'labels.pbtxt'
    labels.write_text('item {\n  name: "stand"\n  id: 12\n}\n')
    metric = AVAKineticsMetric(
        ann_file=csv_file(tmp_path), label_file=str(labels), num_classes=81)
    sample = dict(
        img_key='vid1,0902',
        pred_instances=dict(
            bboxes=torch.tensor([[0.1, 0.2, 0.5, 0.6]]),
            scores=torch.rand(1, 61)))
    with pytest.raises(ValueError, match='num_classes=81') as err:
        metric.process(None, [sample])
    assert '(1, 61)' in str(err.value) and 'vid1,0902' in str(err.value)
