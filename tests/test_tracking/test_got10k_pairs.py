# Copyright (c) constcl_mm authors. All rights reserved.
"""SiamFC training pairs from a GOT-10k-format fixture of generated frames."""
import os.path as osp

import numpy as np
import pytest
import torch
from helpers.otb import crossing_dir
from helpers.tracking import make_got10k_fixture

from constcl_mm.datasets import GOT10kPairDataset

PIPELINE = [
    dict(
        type='LoadTrackingFrames',
        keys=dict(exemplar_paths='exemplar_imgs', search_paths='search_imgs')),
    dict(
        type='SiamFCPairCrop',
        exemplar_size=31,
        search_size=63,
        scale_jitter=0.,
        max_shift=0.),
    dict(type='PackSiamFCPairInputs'),
]


@pytest.fixture(scope='module')
def got_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('got10k'))
    make_got10k_fixture(root, crossing_dir())
    return root


def build(root, **kwargs):
    cfg = dict(ann_file='list.txt', data_root=root, pipeline=PIPELINE)
    cfg.update(kwargs)
    return GOT10kPairDataset(**cfg)


def test_skips_sequences_without_two_valid_frames(got_root):
    ds = build(got_root, pairs_per_seq=3)
    assert ds.num_sequences == 2 and ds.num_skipped == 1
    assert len(ds) == 6
    names = {ds.get_data_info(i)['video_name'] for i in range(2)}
    assert names == {'crossing_a', 'crossing_b'}


def test_pairs_respect_range_and_visibility(got_root):
    ds = build(got_root, frame_range=5)
    np.random.seed(0)
    for _ in range(200):
        info = ds.get_pair_info(1)  # crossing_b: absent in frames 0-9
        i, j = info['exemplar_frame_id'], info['search_frame_id']
        assert i != j and abs(i - j) <= 5
        assert min(i, j) >= 10
        ids = [int(osp.basename(p)[:8]) - 1 for p in info['search_paths']]
        assert ids == [min(max(j + k, 0), 59) for k in range(-2, 3)]


def test_packed_pair_is_centred(got_root):
    ds = build(got_root)
    np.random.seed(1)
    out = ds[0]
    assert out['inputs']['exemplar'].shape == (5, 3, 31, 31)
    assert out['inputs']['search'].shape == (5, 3, 63, 63)
    assert out['inputs']['search'].dtype == torch.uint8
    box = out['data_samples'].gt_instances.bboxes[0].numpy()
    np.testing.assert_allclose(
        (box[:2] + box[2:]) / 2, [31.5, 31.5], atol=1e-3)
    # the target has the exemplar's scale (context 0.5): w / sqrt((w+p)(h+p))
    sample = out['data_samples']
    seq = ds.get_data_info(0)
    w, h = seq['gt_bboxes'][sample.search_frame_id, 2:] - \
        seq['gt_bboxes'][sample.search_frame_id, :2]
    p = 0.5 * (w + h)
    expected = w / np.sqrt((w + p) * (h + p)) * 31
    assert box[2] - box[0] == pytest.approx(expected, rel=1e-4)


def test_bad_files_raise(tmp_path, got_root):
    (tmp_path / 'seq').mkdir()
    (tmp_path / 'seq' / 'groundtruth.txt').write_text('1,2,3,4\n1,2,3,4\n')
    (tmp_path / 'seq' / 'absence.label').write_text('0\nx\n')
    (tmp_path / 'list.txt').write_text('seq\n')
    with pytest.raises(ValueError, match=r'absence.label, line 2'):
        build(str(tmp_path))
    (tmp_path / 'seq' / 'absence.label').write_text('0\n0\n')
    with pytest.raises(FileNotFoundError, match='00000002.jpg'):
        build(str(tmp_path))
    (tmp_path / 'list.txt').write_text('missing\nseq\n')
    with pytest.raises(FileNotFoundError, match='missing'):
        build(str(tmp_path))
