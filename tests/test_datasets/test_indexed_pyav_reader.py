# Copyright (c) constcl_mm authors. All rights reserved.
"""The indexed PyAV reader returns the frames of a sequential decode."""
import av
import numpy as np
import pytest
from helpers.data import DEMO_MP4, TEST_AVI, TEST_MP4, make_bad_files
from helpers.paths import data_path, package_clip

from constcl_mm.datasets.transforms import (CVRLSampleFrames, VideoDecodeError,
                                            open_video)
from constcl_mm.datasets.transforms.indexed_pyav_reader import (
    IndexedPyAVReader, decode_runs)


def sequential_frames(path: str) -> np.ndarray:
    """Every frame of a video, decoded from the first one (ground truth)."""
    with av.open(path) as container:
        return np.stack(
            [f.to_ndarray(format='rgb24') for f in container.decode(video=0)])


CLIPS = [
    pytest.param(lambda: data_path(*TEST_MP4), id='test.mp4'),  # B-frames
    pytest.param(lambda: data_path(*DEMO_MP4), id='demo.mp4'),  # 4 GOPs
    pytest.param(lambda: data_path(*TEST_AVI), id='test.avi'),  # AVI, mpeg4
    pytest.param(lambda: package_clip('bikes.mp4'), id='bikes.mp4'),
]


@pytest.mark.parametrize('clip', CLIPS)
def test_frames_equal_a_sequential_decode(clip):
    path = clip()
    truth = sequential_frames(path)
    sampler = CVRLSampleFrames(16, 2)
    np.random.seed(0)
    with open_video(path, 'pyav_indexed') as reader:
        assert reader.num_frames == len(truth)
        assert reader.frame_size == truth.shape[1:3]
        for _ in range(6):
            inds = sampler(dict(total_frames=reader.num_frames))['frame_inds']
            inds = np.unique(inds)
            np.testing.assert_array_equal(reader.read(inds), truth[inds])
        # the first and last frames, and one frame alone
        for inds in ([0], [len(truth) - 1], [0, len(truth) - 1]):
            inds = np.array(inds)
            np.testing.assert_array_equal(reader.read(inds), truth[inds])


def test_same_frames_as_decord_where_decord_is_exact():
    """The default backend (decord) decodes test.mp4 exactly too."""
    path = data_path(*TEST_MP4)
    inds = np.array([0, 15, 100, 101, 299])
    ours = open_video(path, 'pyav_indexed').read(inds)
    np.testing.assert_array_equal(ours, open_video(path, 'decord').read(inds))


def test_only_the_needed_groups_of_pictures_are_decoded():
    path = data_path(*DEMO_MP4)  # 280 frames, keyframes at 0/75/150/225
    reader = IndexedPyAVReader(path)
    keyframes = np.flatnonzero(reader._clean)
    assert keyframes.size >= 3
    # a frame just after the third keyframe: one run from that keyframe
    target = int(keyframes[2]) + 3
    runs = decode_runs(np.array([target]), reader._decode_pos, reader._starts)
    assert runs[0][0] == keyframes[2]
    assert runs[0][1] - runs[0][0] < 10


def test_decode_runs_with_b_frames():
    # decode order I0 P3 B1 B2 P6 B4 B5 | I7 (a second clean keyframe)
    stamps = np.array([0, 3, 1, 2, 6, 4, 5, 7])
    decode_pos = np.argsort(stamps, kind='stable')  # position -> packet
    starts = np.array([0, 0, 0, 0, 0, 0, 0, 7])
    # position 3 needs I0 and P3 and both B-frames shown before it
    assert decode_runs(np.array([3]), decode_pos, starts) == [(0, 3)]
    # position 4 (B4, packet 5) needs P6 (packet 4) as well
    assert decode_runs(np.array([4]), decode_pos, starts) == [(0, 5)]
    # frames in two groups: two runs, the packets between them skipped
    assert decode_runs(np.array([1, 7]), decode_pos, starts) == [(0, 2),
                                                                 (7, 7)]
    assert decode_runs(np.array([1]), decode_pos, starts, margin=4) == [(0, 6)]


EXPECTED = dict(
    corrupt='unreadable',
    truncated='unreadable',
    empty='empty',
    missing='missing',
    text='unreadable',
    image='not_video')


def test_bad_files_raise_named_errors(tmp_path):
    for kind, path in make_bad_files(str(tmp_path)).items():
        with pytest.raises(VideoDecodeError) as info:
            reader = open_video(path, 'pyav_indexed')
            # the index counts the packets really there
            reader.read(np.arange(0, min(20, reader.num_frames), 2))
        err = info.value
        assert err.filename == path and path in str(err)
        if kind in EXPECTED:
            assert err.kind == EXPECTED[kind], (kind, err)
        else:  # the container opens, its video data is garbage or cut
            assert err.kind in ('no_frames', 'decode_error'), (kind, err)


def test_unreferenced_pictures_that_no_clip_uses_are_not_decoded():
    """test.mp4 (x264 B-frames): about half of its pictures are H.264
    non-reference pictures; reading every other frame leaves the
    unreferenced ones in between out of the decode and still gives the
    sequential decode's pictures."""
    path = data_path(*TEST_MP4)
    truth = sequential_frames(path)
    reader = IndexedPyAVReader(path)
    assert 0.3 < reader._droppable.mean() < 0.7
    needed = np.zeros(reader.num_frames, dtype=bool)
    needed[0:64:2] = True
    last = int(reader._decode_pos[:63].max())
    decoded = dict(reader._run(0, last, needed))
    # every needed position is decoded, unreferenced odd ones are not
    assert needed.nonzero()[0].tolist() == sorted(p for p in decoded
                                                  if needed[p])
    skipped = [p for p in range(63) if p not in decoded]
    assert len(skipped) >= 10
    assert all(reader._droppable[reader._decode_pos[p]] for p in skipped)
    for pos, frame in decoded.items():
        np.testing.assert_array_equal(
            frame.to_ndarray(format='rgb24'), truth[pos])
    # containers whose timestamps do not order the pictures drop nothing
    assert not IndexedPyAVReader(data_path(*TEST_AVI))._droppable.any()
