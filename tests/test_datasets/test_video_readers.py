# Copyright (c) constcl_mm authors. All rights reserved.
"""Frame readers on real clips and on every kind of bad file."""
import os.path as osp

import numpy as np
import pytest
from helpers.data import (RAWFRAMES, SHORT_MP4, TEST_AVI, TEST_MP4,
                          make_bad_files, remux_faststart)
from helpers.paths import data_path

from constcl_mm.datasets.transforms import (RawFrameReader, VideoDecodeError,
                                            open_video)

BACKENDS = ('decord', 'pyav', 'opencv')


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('parts,frames,shape', [
    (TEST_MP4, 300, (256, 340)),
    (TEST_AVI, 164, (240, 320)),
])
def test_backends_read_real_clips(backend, parts, frames, shape):
    inds = np.array([0, 2, 40, 41, frames - 1])
    with open_video(data_path(*parts), backend) as reader:
        assert reader.num_frames == frames
        assert reader.fps > 0
        out = reader.read(inds)
    assert out.shape == (5, ) + shape + (3, )
    assert out.dtype == np.uint8
    # Distinct frames of a moving video differ; a frame is not blank.
    assert out[0].std() > 5
    assert not np.array_equal(out[0], out[2])


def test_backends_agree_on_the_frames():
    inds = np.array([0, 15, 100, 299])
    frames = {
        b: open_video(data_path(*TEST_MP4), b).read(inds)
        for b in BACKENDS
    }
    for b in ('pyav', 'opencv'):
        diff = np.abs(frames[b].astype(int) - frames['decord'].astype(int))
        # Same frames, up to the YUV->RGB conversion of each library.
        assert diff.mean() < 3, b


def test_read_rejects_bad_indices():
    reader = open_video(data_path(*SHORT_MP4))
    with pytest.raises(ValueError, match='strictly increasing'):
        reader.read(np.array([3, 3]))
    with pytest.raises(ValueError, match='outside'):
        reader.read(np.array([0, 32]))
    with pytest.raises(ValueError, match='unknown video backend'):
        open_video(data_path(*SHORT_MP4), 'ffmpeg-cli')


def test_rawframe_reader_counts_and_reads():
    folder = data_path(*RAWFRAMES)
    reader = RawFrameReader(folder)  # counts img_*.jpg
    assert reader.num_frames == 10
    out = reader.read(np.array([0, 9]))
    assert out.shape == (2, 240, 320, 3)
    assert RawFrameReader(folder, total_frames=7).num_frames == 7
    # 'x_{:05}.jpg' frames exist 1..5 only
    assert RawFrameReader(folder, 'x_{:05}.jpg').num_frames == 5


# Expected failure kind per bad file and backend (where they differ).
EXPECTED = {
    'corrupt': 'unreadable',
    'truncated': 'unreadable',
    'empty': 'empty',
    'missing': 'missing',
    'text': 'unreadable',
    'image': 'not_video',
}


@pytest.mark.parametrize('backend', BACKENDS)
def test_every_bad_file_raises_a_named_error(tmp_path, backend):
    paths = make_bad_files(str(tmp_path))
    for kind, path in paths.items():
        with pytest.raises(VideoDecodeError) as info:
            reader = open_video(path, backend)
            reader.read(np.arange(0, 20, 2))
        err = info.value
        assert err.filename == path and path in str(err)
        if kind in EXPECTED:
            assert err.kind == EXPECTED[kind], (kind, err)
        else:  # the index opens (PyAV, OpenCV) or not (decord)
            assert err.kind in ('unreadable', 'decode_error'), (kind, err)


def test_truncated_stream_detected_by_sequential_backends(tmp_path):
    src = data_path(*TEST_MP4)
    faststart = str(tmp_path / 'fs.mp4')
    remux_faststart(src, faststart)
    half = str(tmp_path / 'half.mp4')
    with open(faststart, 'rb') as f:
        data = f.read()
    with open(half, 'wb') as f:
        f.write(data[:len(data) // 2])
    # OpenCV: the stream simply ends (~135 of 300 frames).
    reader = open_video(half, 'opencv')
    assert reader.num_frames == 300
    assert reader.read(np.array([0, 10])).shape[0] == 2  # head is fine
    with pytest.raises(VideoDecodeError) as info:
        open_video(half, 'opencv').read(np.array([0, 250]))
    assert info.value.kind == 'truncated'
    assert 'announced' in info.value.reason
    # PyAV reports the broken packet.
    with pytest.raises(VideoDecodeError) as info:
        open_video(half, 'pyav').read(np.array([0, 250]))
    assert info.value.kind == 'decode_error'
    # decord reads the whole index at open time.
    with pytest.raises(VideoDecodeError) as info:
        open_video(half, 'decord')
    assert info.value.kind == 'unreadable'


def test_bad_rawframe_folders(tmp_path):
    src = data_path(*RAWFRAMES)
    with pytest.raises(VideoDecodeError) as info:
        RawFrameReader(str(tmp_path / 'nope'))
    assert info.value.kind == 'missing'
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(VideoDecodeError) as info:
        RawFrameReader(str(empty))
    assert info.value.kind == 'no_frames'
    # A frame file announced by the list but absent, and a corrupt one.
    broken = tmp_path / 'broken'
    broken.mkdir()
    for i in (1, 2, 3):
        name = f'img_{i:05}.jpg'
        with open(osp.join(src, name), 'rb') as f:
            (broken / name).write_bytes(f.read())
    (broken / 'img_00004.jpg').write_bytes(b'not a jpeg')
    reader = RawFrameReader(str(broken), total_frames=6)
    with pytest.raises(VideoDecodeError) as info:
        reader.read(np.array([0, 3]))
    assert info.value.kind == 'decode_error'
    assert 'img_00004.jpg' in str(info.value)
    with pytest.raises(VideoDecodeError) as info:
        reader.read(np.array([0, 5]))
    assert info.value.kind == 'truncated'
    assert 'img_00006.jpg' in str(info.value)


def test_decode_error_survives_pickling():
    import pickle
    err = VideoDecodeError('/x/y.mp4', 'decode_error', 'bad packet')
    back = pickle.loads(pickle.dumps(err))
    assert (back.filename, back.kind,
            back.reason) == ('/x/y.mp4', 'decode_error', 'bad packet')
    with pytest.raises(ValueError, match='unknown failure kind'):
        VideoDecodeError('/x', 'weird', '')
