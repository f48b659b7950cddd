# Copyright (c) constcl_mm authors. All rights reserved.
"""Two-view datasets: one decode per sample, both clips, every backend."""
import decord
import numpy as np
import pytest
import torch
from helpers.data import (DEMO_MP4, RAWFRAMES, SHORT_MP4, TEST_AVI, TEST_MP4,
                          full_pipeline, loading)
from helpers.paths import data_path
from mmaction.registry import DATASETS
from mmaction.structures import ActionDataSample
from mmengine.dataset import pseudo_collate

from constcl_mm.datasets import (TwoViewRawframeDataset, TwoViewVideoDataset,
                                 parse_video_list)
from constcl_mm.datasets.transforms import video_readers


@pytest.fixture
def video_list(tmp_path):
    path = tmp_path / 'videos.txt'
    path.write_text(f'{data_path(*TEST_MP4)} 3\n'
                    f'{data_path(*DEMO_MP4)}\n'
                    '# a comment line\n\n'
                    f'{data_path(*SHORT_MP4)} 1\n')
    return str(path)


class CallCounter:
    """Wraps a method and counts its calls."""

    def __init__(self, monkeypatch, owner, name):
        self.calls = []
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            self.calls.append(args[1:])
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)


def test_list_parsing(video_list, tmp_path):
    entries = parse_video_list(video_list)
    assert [label for _, label in entries] == [3, -1, 1]
    spaced = tmp_path / 'spaces.txt'
    spaced.write_text('my folder/clip one.mp4 7\nmy folder/clip two.mp4\n')
    assert parse_video_list(str(spaced)) == [('my folder/clip one.mp4', 7),
                                             ('my folder/clip two.mp4', -1)]
    rawlist = tmp_path / 'raw.txt'
    rawlist.write_text('some/dir 163 1\n')
    with pytest.raises(ValueError, match=r'raw\.txt:1.*numeric'):
        parse_video_list(str(rawlist))
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        parse_video_list(str(tmp_path / 'nope.txt'))
    (tmp_path / 'blank.txt').write_text('\n# nothing\n')
    with pytest.raises(ValueError, match='lists no video'):
        parse_video_list(str(tmp_path / 'blank.txt'))


def test_both_clips_come_from_one_decode(video_list, monkeypatch):
    """One VideoReader, one get_batch per sample, two clips of (T, H, W)."""
    opened = CallCounter(monkeypatch, video_readers.DecordReader, '__init__')
    batches = CallCounter(monkeypatch, decord.VideoReader, 'get_batch')
    dataset = TwoViewVideoDataset(
        video_list, pipeline=loading(clip_len=8, frame_interval=2))
    assert len(dataset) == 3
    for idx in range(3):
        opened.calls.clear()
        batches.calls.clear()
        out = dataset[idx]
        assert len(opened.calls) == 1
        assert len(batches.calls) == 1
        clips = out['imgs']
        assert len(clips) == 2
        assert all(np.shape(c) == (8, 256, 340, 3) for c in clips)
        # The single batch holds exactly the frames of both clips.
        requested = np.asarray(batches.calls[0][0])
        np.testing.assert_array_equal(requested, np.unique(out['frame_inds']))
    # The decoded clips are the frames at the sampled positions.
    reader = decord.VideoReader(data_path(*TEST_MP4))
    np.random.seed(7)
    out = dataset[0]
    for clip, inds in zip(out['imgs'], out['frame_inds']):
        np.testing.assert_array_equal(
            clip,
            reader.get_batch(inds.tolist()).asnumpy())


@pytest.mark.parametrize('backend', ['decord', 'pyav', 'opencv'])
def test_full_samples_for_every_backend(video_list, backend):
    np.random.seed(0)
    dataset = DATASETS.build(
        dict(
            type='TwoViewVideoDataset',
            ann_file=video_list,
            pipeline=full_pipeline(backend, clip_len=4, size=64)))
    out = dataset[2]  # the 32-frame clip
    assert out['inputs'].shape == (2, 3, 4, 64, 64)
    assert out['inputs'].dtype == torch.uint8
    sample = out['data_samples']
    assert isinstance(sample, ActionDataSample)
    assert sample.boxes.shape == (2, 8, 4)
    assert sample.gt_label.tolist() == [1]


def test_overlapping_clips_decode_shared_frames_once(monkeypatch):
    """Clips of a 10-frame video overlap and wrap; frames decoded once."""
    reads = CallCounter(monkeypatch, video_readers.RawFrameReader, '_read')
    from mmcv.transforms import Compose
    np.random.seed(1)
    pipe = Compose(loading(clip_len=8, frame_interval=2))
    out = pipe(dict(frame_dir=data_path(*RAWFRAMES), start_index=1))
    assert out['total_frames'] == 10
    assert len(reads.calls) == 1
    requested = reads.calls[0][0]
    assert len(requested) == len(set(requested.tolist())) <= 10
    assert [np.shape(c) for c in out['imgs']] == [(8, 240, 320, 3)] * 2
    # The right frames, as views of the one decoded block (no copies).
    reader = video_readers.RawFrameReader(data_path(*RAWFRAMES))
    all_frames = reader.read(np.arange(10))
    base = np.asarray(out['imgs'][0][0]).base
    for clip, inds in zip(out['imgs'], out['frame_inds']):
        for t, index in enumerate(inds):
            np.testing.assert_array_equal(clip[t], all_frames[index])
            assert np.shares_memory(clip[t], base)


def test_rawframe_dataset(tmp_path):
    ann = tmp_path / 'frames.txt'
    ann.write_text('imgs 10 2\nimgs\nimgs 7\n')
    dataset = TwoViewRawframeDataset(
        str(ann),
        pipeline=full_pipeline(clip_len=4, size=32),
        data_prefix=dict(img=data_path(*RAWFRAMES[:-1])))
    infos = [dataset.get_data_info(i) for i in range(3)]
    assert [d['total_frames'] for d in infos] == [10, None, 7]
    assert [d['label'] for d in infos] == [2, -1, -1]
    assert infos[0]['filename_tmpl'] == 'img_{:05}.jpg'
    for idx in range(3):
        out = dataset[idx]
        assert out['inputs'].shape == (2, 3, 4, 32, 32)
        assert out['data_samples'].metainfo['filename'].endswith('imgs')
        assert out['data_samples'].clip_starts.max() < 10
    bad = tmp_path / 'bad.txt'
    bad.write_text('imgs ten\n')
    with pytest.raises(ValueError, match=r'bad\.txt:1'):
        TwoViewRawframeDataset(str(bad), pipeline=[])


def test_collate_gives_a_list_of_view_pairs(video_list):
    np.random.seed(2)
    dataset = TwoViewVideoDataset(
        video_list, pipeline=full_pipeline(clip_len=4, size=32))
    batch = pseudo_collate([dataset[0], dataset[1]])
    assert isinstance(batch['inputs'], list) and len(batch['inputs']) == 2
    assert all(x.shape == (2, 3, 4, 32, 32) for x in batch['inputs'])
    assert len(batch['data_samples']) == 2


def test_avi_and_other_lengths(tmp_path):
    ann = tmp_path / 'avi.txt'
    ann.write_text(f'{data_path(*TEST_AVI)}\n')
    dataset = TwoViewVideoDataset(
        str(ann), pipeline=full_pipeline(clip_len=16, size=48))
    out = dataset[0]
    assert out['inputs'].shape == (2, 3, 16, 48, 48)
    assert out['data_samples'].metainfo['keyframe_index'] == 8
