# Copyright (c) constcl_mm authors. All rights reserved.
"""MixedAVAKineticsDataset + SampleAVAKineticsFrames on real frames."""
import os.path as osp

import numpy as np
import pytest
from helpers.detection import (AK_GT, ava_fixture, ava_fixture_dataset,
                               build_ava_kinetics_tree)
from mmaction.registry import DATASETS

from constcl_mm.datasets.ava_annotations import AVA, KINETICS
from constcl_mm.utils import AnnotationError


def sampling_pipeline(sampler='SampleAVAKineticsFrames'):
    return [
        dict(type=sampler, clip_len=4, frame_interval=2, test_mode=True),
        dict(type='RawFrameDecode'),
        dict(type='Resize', scale=(-1, 32)),
        dict(type='FormatShape', input_format='NCTHW', collapse=True),
        dict(type='PackActionInputs')
    ]


@pytest.fixture(scope='module')
def ak_tree(tmp_path_factory, real_frames_dir):
    return build_ava_kinetics_tree(
        tmp_path_factory.mktemp('ava_kinetics'), real_frames_dir)


def build(root, **kwargs):
    cfg = dict(
        type='MixedAVAKineticsDataset',
        ann_file=str(root / 'gt.csv'),
        pipeline=sampling_pipeline(),
        data_prefix=dict(
            img=str(root / 'ava'), kinetics=str(root / 'kinetics')))
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def by_key(dataset):
    return {
        dataset.get_data_info(i)['img_key']: dataset.get_data_info(i)
        for i in range(len(dataset))
    }


def test_training_entries_per_source(ak_tree):
    dataset = build(ak_tree)
    infos = by_key(dataset)
    # kin_video_02 has no clip on disk, kin_video_03 has no box
    assert sorted(infos) == [
        'ava_movie01,0902', 'ava_movie01,0903', 'kin_video_01,12.500000',
        'kin_video_04_000000_000010,0005'
    ]
    assert dict(dataset.skipped[KINETICS]) == {
        'clip not on disk': 1,
        'without boxes': 1
    }
    ava = infos['ava_movie01,0902']
    assert ava['source'] == AVA and 'keyframe_index' not in ava
    assert ava['frame_dir'] == str(ak_tree / 'ava' / 'ava_movie01')
    np.testing.assert_allclose(ava['gt_bboxes'],
                               [[0.1, 0.1, 0.5, 0.5], [0.6, 0.2, 0.9, 0.9]])
    assert np.flatnonzero(ava['gt_labels'][0]).tolist() == [12, 17]
    assert np.flatnonzero(ava['gt_labels'][1]).tolist() == [79]
    # no proposal file: the ground-truth boxes are the proposals
    np.testing.assert_allclose(ava['proposals'], ava['gt_bboxes'])
    kin = infos['kin_video_01,12.500000']
    assert kin['source'] == KINETICS
    assert kin['frame_dir'] == str(ak_tree / 'kinetics' /
                                   'kin_video_01_000010_000020')
    assert kin['timestamp'] == 12.5 and kin['timestamp_start'] == 10
    # 12.5 s is 2.5 s into the clip: frame 75 (0-based) = img_00076.jpg
    assert kin['keyframe_index'] == 76
    assert kin['frame_range'] == (1, 120)
    assert kin['entity_ids'].tolist() == [-1]
    # mmaction2-style row: clip named in the csv, keyframe clamped
    assert infos['kin_video_04_000000_000010,0005']['keyframe_index'] == 120


def test_sampler_reads_the_keyframe_frames(ak_tree):
    dataset = build(ak_tree, test_mode=True)
    keys = [dataset.get_data_info(i)['img_key'] for i in range(len(dataset))]
    i = keys.index('kin_video_01,12.500000')
    sample = dataset[i]
    assert sample['inputs'].shape == (3, 4, 32, 43)
    meta = sample['data_samples'].metainfo
    assert meta['img_key'] == 'kin_video_01,12.500000'
    results = dataset.pipeline.transforms[0](dataset.get_data_info(i))
    assert results['frame_inds'].tolist() == [72, 74, 76, 78]


def test_ava_entries_match_mmaction2_ava_dataset():
    """On AVA rows the dataset is mmaction2's AVADataset (same boxes, labels,
    proposals, frames)."""
    common = ava_fixture_dataset(
        proposal_file=ava_fixture('ava_proposals_sample.pkl'))
    ours = DATASETS.build(dict(type='MixedAVAKineticsDataset', **common))
    theirs = DATASETS.build(dict(type='AVADataset', **common))
    assert len(ours) == len(theirs) == 1
    a, b = ours.get_data_info(0), theirs.get_data_info(0)
    for key in ('frame_dir', 'timestamp', 'img_key', 'shot_info', 'fps',
                'timestamp_start', 'start_index', 'gt_bboxes', 'gt_labels',
                'entity_ids', 'proposals', 'scores'):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    inds_a = ours.pipeline.transforms[0](a)['frame_inds']
    inds_b = theirs.pipeline.transforms[0](b)['frame_inds']
    np.testing.assert_array_equal(inds_a, inds_b)


def test_detected_proposals_and_negative_keyframes(ak_tree):
    dataset = build(
        ak_tree, test_mode=True, proposal_file=str(ak_tree / 'proposals.pkl'))
    infos = by_key(dataset)
    # at test time with detections, the negative keyframe is evaluated
    assert 'kin_video_03,7.750000' in infos
    neg = infos['kin_video_03,7.750000']
    assert neg['gt_bboxes'].shape == (0, 4)
    np.testing.assert_allclose(neg['proposals'], [[0, 0, 1, 1]])  # missing
    # person_det_score_thr 0.9 drops the 0.2 box
    np.testing.assert_allclose(infos['ava_movie01,0902']['proposals'],
                               [[0.1, 0.1, 0.5, 0.5]])
    np.testing.assert_allclose(infos['kin_video_01,12.500000']['proposals'],
                               [[0.2, 0.2, 0.6, 0.7]])
    np.testing.assert_allclose(
        infos['kin_video_04_000000_000010,0005']['proposals'],
        [[0.0, 0.0, 0.5, 0.5]])
    sample = dataset[list(infos).index('kin_video_03,7.750000')]
    assert sample['data_samples'].gt_instances.bboxes.shape == (0, 4)


def test_clip_list_instead_of_listing_the_root(ak_tree, tmp_path):
    clip_list = tmp_path / 'clips.txt'
    clip_list.write_text('youtube_id,start,end\nkin_video_01,10,20\n')
    dataset = build(ak_tree, kinetics_clip_list=str(clip_list))
    assert dataset.skipped[KINETICS]['clip not on disk'] == 1
    assert 'kin_video_01,12.500000' in by_key(dataset)


def test_kinetics_rows_in_their_own_file(ak_tree, tmp_path):
    lines = AK_GT.splitlines()
    (tmp_path / 'ava.csv').write_text('\n'.join(lines[:4]) + '\n')
    # a whole-second Kinetics keyframe in 900-1800 s would look like AVA in
    # a mixed file; in the Kinetics file it is Kinetics
    (tmp_path / 'kin.csv').write_text('kin_video_01,1000,0.2,0.2,0.6,0.6,12\n')
    clip = ak_tree / 'kinetics' / 'kin_video_01_000995_001005'
    clip.mkdir()
    try:
        dataset = build(
            ak_tree,
            ann_file=str(tmp_path / 'ava.csv'),
            kinetics_ann_file=str(tmp_path / 'kin.csv'))
        infos = {
            dataset.get_data_info_raw(i)['img_key']:
            dataset.get_data_info_raw(i)
            for i in range(len(dataset))
        }
    finally:
        clip.rmdir()
    assert infos['kin_video_01,1000']['source'] == KINETICS
    assert infos['kin_video_01,1000']['keyframe_index'] == 151


def test_sample_ava_frames_is_refused_for_kinetics(ak_tree):
    with pytest.raises(ValueError, match='SampleAVAKineticsFrames'):
        build(ak_tree, pipeline=sampling_pipeline('SampleAVAFrames'))


def test_bad_box_names_the_line(tmp_path):
    path = tmp_path / 'bad.csv'
    path.write_text('v,0902,0.1,0.1,0.5,0.5,12,0\n'
                    'v,0903,0.5,0.1,0.2,0.5,12,0\n')  # x1 > x2
    with pytest.raises(AnnotationError, match=f'{path}:2'):
        DATASETS.build(
            dict(
                type='MixedAVAKineticsDataset',
                ann_file=str(path),
                pipeline=[]))


def test_missing_frames_are_reported(ak_tree):
    clip = ak_tree / 'kinetics' / 'kin_video_02_000000_000010'
    clip.mkdir()
    try:
        dataset = build(ak_tree)
        infos = [dataset.get_data_info_raw(i) for i in range(len(dataset))]
        i = [x['video_id'] for x in infos].index('kin_video_02')
        with pytest.raises(FileNotFoundError, match='no frame files'):
            dataset.get_data_info(i)
    finally:
        clip.rmdir()
    assert not osp.isdir(clip)
