# Copyright (c) constcl_mm authors. All rights reserved.
"""The synthetic world's export and the downstream evaluations end to end.

Export round trip (mp4 decoded by our readers, OTB folders read by
OTB100Dataset, the list read by mmaction2's VideoDataset), then SiamFC OPE
and the linear probe through the Runner on a tiny setting (random init,
narrow backbone, 2 sequences, 1 probe epoch).
"""
import os.path as osp

import numpy as np
import pytest
import torch

from constcl_mm.datasets import OTB100Dataset
from constcl_mm.datasets.synthetic_export import (export_world, hero_sequence,
                                                  otb_lines)
from constcl_mm.datasets.synthetic_world import SyntheticWorld
from constcl_mm.datasets.transforms.video_readers import open_video

# short videos of small frames keep the tests fast; 32 frames hold one
# 16x2 clip
WORLD = dict(seed=7, num_frames=32, frame_size=(64, 64))
TINY = dict(depth=50, base_channels=4)  # res5: 128 channels


@pytest.fixture(scope='module')
def export(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('synthetic'))
    summary = export_world(
        WORLD,
        out,
        first_index=3,
        num_videos=4,
        layouts=('videos', 'otb', 'got10k'),
        frame_interval=2,
        min_frames=4,
        max_frames=6,
        progress=False)
    return out, summary


def test_export_videos_decode_close_to_rendered(export):
    out, summary = export
    world = SyntheticWorld(**WORLD)
    assert [v['index'] for v in summary['videos']] == [3, 4, 5, 6]
    for entry in summary['videos'][:2]:
        frames = world.video(entry['index']).render(range(32))[0]
        for backend in ('decord', 'pyav'):
            reader = open_video(
                osp.join(out, 'videos', entry['name'] + '.mp4'), backend)
            assert reader.num_frames == 32
            decoded = reader.read(np.arange(32)).astype(np.float64)
            assert decoded.shape == frames.shape
            # H.264 at CRF 10, yuv420p: luma is close; chroma is halved,
            # which costs most at colour edges of these small frames (as
            # much as a JPEG at quality 95)
            luma = np.array([0.299, 0.587, 0.114])
            assert np.abs(decoded @ luma - frames @ luma).mean() < 2.5
            assert np.abs(decoded - frames).mean() < 6


def test_export_video_list_reads_in_mmaction(export):
    from mmaction.datasets import VideoDataset
    out, summary = export
    dataset = VideoDataset(
        ann_file=osp.join(out, 'videos.txt'),
        data_prefix=dict(video=osp.join(out, 'videos')),
        pipeline=[])
    assert len(dataset) == 4
    for i, entry in enumerate(summary['videos']):
        info = dataset.get_data_info(i)
        assert info['filename'] == osp.join(out, 'videos',
                                            entry['name'] + '.mp4')
        assert info['label'] == SyntheticWorld(**WORLD).video(
            entry['index']).label


def test_export_otb_folders_read_by_otb100dataset(export):
    out, summary = export
    dataset = OTB100Dataset(
        ann_file='otb_infos.txt',
        data_root=osp.join(out, 'otb'),
        num_neighbors=2)
    seqs = summary['sequences']
    assert dataset.num_videos == len(seqs) >= 2
    assert len(seqs) + len(summary['skipped']) == 4
    world = SyntheticWorld(**WORLD)
    for v, seq in enumerate(seqs):
        video = world.video(seq['index'])
        frames, boxes, vis = video.render(seq['frames'])
        assert np.diff(seq['frames']).tolist() == [2] * (len(frames) - 1)
        assert vis[0, video.hero_index] >= 0.5  # frame 1: hero visible
        assert dataset.num_frames_per_video[v] == len(frames)
        for k in (0, len(frames) - 1):
            info = dataset.get_frame_info((v, k))
            # 1-based x,y,w,h on disk, back to 0-based x1y1x2y2
            np.testing.assert_allclose(
                info['gt_bboxes'][0], boxes[k, video.hero_index], atol=2e-3)
            import mmcv
            img = mmcv.imread(info['img_path'], channel_order='rgb')
            assert np.abs(img.astype(float) - frames[k]).mean() < 6


def test_hero_sequence_skips_and_counts():
    vis = np.array([[1., 0.1], [1., 0.2], [1., 0.6], [1., 0.9], [1., 0.]])
    assert hero_sequence(vis, 1, min_frames=2) == [2, 3, 4]
    assert hero_sequence(vis, 1, frame_interval=2, min_frames=2) == [2, 4]
    assert 'frames < 4' in hero_sequence(vis, 1, min_frames=4)
    assert 'never' in hero_sequence(vis * 0.1, 1)
    assert hero_sequence(vis, 0, max_frames=2) == [0, 1]
    # OTB is 1-based x,y,w,h
    assert otb_lines(np.array([[0., 1.5, 10., 4.]])) == \
        '1.000,2.500,10.000,2.500\n'


def test_evaluate_tracking_random_init(export, tmp_path):
    from constcl_mm.evaluation.downstream import evaluate_tracking
    out, summary = export
    names = [s['name'] for s in summary['sequences'][:2]]
    torch.manual_seed(0)
    result = evaluate_tracking(
        osp.join(out, 'otb'),
        None,
        backbone=TINY,
        targets=names,
        work_dir=str(tmp_path))
    assert result['branch'] == 'local'
    assert result['num_sequences'] == 2
    assert result['num_frames'] == sum(
        len(s['frames']) for s in summary['sequences'][:2])
    assert 0 <= result['success'] <= 100
    assert 0 <= result['precision'] <= 100


def test_export_got10k_pairs_and_trained_adjust(export, tmp_path):
    """GOT-10k-layout export read by GOT10kPairDataset; the adjust layer
    trains (runner.train()) before OPE."""
    from constcl_mm.datasets import GOT10kPairDataset
    from constcl_mm.evaluation.downstream import (TRACKING_TRAIN_CONFIG,
                                                  evaluate_tracking)
    out, summary = export
    pairs = GOT10kPairDataset(
        ann_file='train/list.txt',
        data_root=osp.join(out, 'got10k'),
        data_prefix=dict(img_path='train'))
    assert len(pairs) == 4
    info = pairs.get_data_info(0)
    video = SyntheticWorld(**WORLD).video(summary['videos'][0]['index'])
    boxes = video.render(range(0, 32, 2))[1][:, video.hero_index]
    np.testing.assert_allclose(info['gt_bboxes'], boxes, atol=2e-3)
    with pytest.raises(ValueError, match='train_root'):
        evaluate_tracking(
            osp.join(out, 'otb'), None, config=TRACKING_TRAIN_CONFIG)
    names = [s['name'] for s in summary['sequences'][:1]]
    result = evaluate_tracking(
        osp.join(out, 'otb'),
        None,
        osp.join(out, 'got10k'),
        backbone=TINY,
        targets=names,
        config=TRACKING_TRAIN_CONFIG,
        work_dir=str(tmp_path),
        cfg_options={
            'train_cfg.max_iters': 2,
            'train_dataloader.batch_size': 2
        })
    assert 0 <= result['success'] <= 100


def test_tracking_loads_the_checkpoint_branch(export, tmp_path):
    """A ConST-CL checkpoint gives the local branch, a CVRL one the global
    res5, and the weights are really loaded (a wrong width raises)."""
    from mmaction.registry import MODELS

    from constcl_mm.evaluation.downstream import (evaluate_tracking,
                                                  tracking_branch)
    from constcl_mm.models.utils.checkpoint import CheckpointMismatchError
    out, _ = export
    paths = {}
    for name, branches in (('constcl', ('global', 'local')), ('cvrl',
                                                              ('global', ))):
        bb = MODELS.build(
            dict(
                type='ResNet3dY', branches=branches, out_indices=(3, ),
                **TINY))
        paths[name] = str(tmp_path / f'{name}.pth')
        torch.save(
            dict(state_dict={
                f'backbone.{k}': v
                for k, v in bb.state_dict().items()
            }), paths[name])
    assert tracking_branch(paths['constcl']) == 'local'
    assert tracking_branch(paths['cvrl']) == 'global'
    assert tracking_branch(None) == 'local'
    with pytest.raises(CheckpointMismatchError):
        evaluate_tracking(
            osp.join(out, 'otb'),
            paths['cvrl'],
            backbone=dict(TINY, base_channels=8),
            work_dir=str(tmp_path / 'wd'))


def test_evaluate_linear_probe_random_init(export, tmp_path):
    from constcl_mm.evaluation.downstream import evaluate_linear_probe
    out, _ = export
    videos = osp.join(out, 'videos.txt')
    result = evaluate_linear_probe(
        videos,
        videos,
        None,
        backbone=TINY,
        max_epochs=1,
        work_dir=str(tmp_path))
    assert result['num_train'] == result['num_test'] == 4
    assert 0 <= result['top1'] <= 1
    assert 0 <= result['mean_class_accuracy'] <= 1


def test_probe_features_and_separability(export):
    from constcl_mm.evaluation.downstream import (cross_validate,
                                                  extract_probe_features)
    out, summary = export
    feats, labels = extract_probe_features(
        osp.join(out, 'videos.txt'), None, backbone=TINY)
    assert feats.shape == (4, 128)
    assert torch.isfinite(feats).all()
    assert labels.tolist() == [
        SyntheticWorld(**WORLD).video(v['index']).label
        for v in summary['videos']
    ]
    with pytest.raises(ValueError, match='folds'):
        cross_validate(feats, labels, 6, folds=5)


def test_cross_validate_tells_separable_from_shuffled_labels():
    from constcl_mm.evaluation.downstream import cross_validate
    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(120) % 3
    # three classes apart along a few channels, plus a large shared offset
    # (features nearly parallel, as those of a random network)
    centres = torch.randn(3, 32, generator=gen)
    feats = 20 + centres[labels] + 0.3 * torch.randn(120, 32, generator=gen)
    scores = cross_validate(feats, labels, 3, weight_decays=(1e-4, ))
    assert scores['mean_cosine'] > 0.99
    assert scores['standardised wd=0.0001'] > 0.95
    assert scores['l2 wd=0.0001'] > 0.9
    shuffled = labels[torch.randperm(120, generator=gen)]
    scores = cross_validate(feats, shuffled, 3, weight_decays=(1e-4, ))
    assert scores['standardised wd=0.0001'] < 0.5
    assert scores['majority'] == pytest.approx(1 / 3)
