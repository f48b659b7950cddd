# Copyright (c) constcl_mm authors. All rights reserved.
"""The fused decode + resized crop equals today's two steps, bit for bit."""
import cv2
import numpy as np
import pytest
from helpers.data import DEMO_MP4, TEST_AVI, TEST_MP4
from helpers.paths import data_path, package_clip
from mmengine.dataset import Compose

from constcl_mm.datasets.transforms import linear_taps


@pytest.mark.parametrize('seed', range(3))
def test_linear_taps_are_the_pixels_cv2_resize_reads(seed):
    """Pixels outside the taps do not change ``cv2.resize``'s output."""
    rng = np.random.RandomState(seed)
    sizes = [(448, 448, 224), (224, 224, 224), (1080, 1920, 224),
             (100, 70, 224), (225, 223, 224)]
    sizes += [(rng.randint(8, 1100), rng.randint(8, 1900),
               int(rng.choice([224, 112, 64, 37]))) for _ in range(40)]
    for height, width, size in sizes:
        img = rng.randint(0, 256, (height, width, 3), np.uint8)
        ref = cv2.resize(img, (size, size), interpolation=cv2.INTER_LINEAR)
        rows, cols = linear_taps(height, size), linear_taps(width, size)
        poisoned = rng.randint(0, 256, img.shape, np.uint8)
        poisoned[np.ix_(rows, cols)] = img[np.ix_(rows, cols)]
        out = cv2.resize(
            poisoned, (size, size), interpolation=cv2.INTER_LINEAR)
        np.testing.assert_array_equal(
            out, ref, err_msg=str((height, width, size)))
        if height > 2 * size:  # downscaling reads at most 2 rows per output
            assert rows.size <= 2 * size


def today(backend='decord', size=224):
    return Compose([
        dict(type='VideoReaderInit', backend=backend),
        dict(type='CVRLSampleFrames', clip_len=16, frame_interval=2),
        dict(type='MultiClipDecode'),
        dict(type='MultiViewRandomResizedCrop', scale=size),
        dict(type='MultiViewFlip', flip_ratio=0.5),
    ])


def fused(backend='pyav_indexed', size=224):
    return Compose([
        dict(type='VideoReaderInit', backend=backend),
        dict(type='CVRLSampleFrames', clip_len=16, frame_interval=2),
        dict(type='MultiClipDecodeResizedCrop', scale=size),
        dict(type='MultiViewFlip', flip_ratio=0.5),
    ])


@pytest.mark.parametrize('clip', [
    pytest.param(lambda: data_path(*TEST_MP4), id='test.mp4'),
    pytest.param(lambda: data_path(*DEMO_MP4), id='demo.mp4'),
    pytest.param(lambda: data_path(*TEST_AVI), id='test.avi'),
    pytest.param(lambda: package_clip('bikes.mp4'), id='bikes.mp4'),
    pytest.param(
        lambda: package_clip('bigbuckbunny.mp4'), id='bigbuckbunny-720p'),
])
def test_fused_equals_decode_then_crop(clip):
    """Same draws, same pixels as today's decord pipeline (decord decodes
    these clips exactly, see test_indexed_pyav_reader.py)."""
    path = clip()
    for seed in range(3):
        np.random.seed(seed)
        ref = today()(dict(filename=path, start_index=0))
        np.random.seed(seed)
        out = fused()(dict(filename=path, start_index=0))
        np.testing.assert_array_equal(out['imgs'], ref['imgs'])
        np.testing.assert_array_equal(out['crop_bboxes'], ref['crop_bboxes'])
        np.testing.assert_array_equal(out['frame_inds'], ref['frame_inds'])
        np.testing.assert_array_equal(out['flip'], ref['flip'])
        assert out['img_shape'] == ref['img_shape'] == (224, 224)
        assert out['original_shape'] == tuple(ref['original_shape'])
        assert 'video_reader' not in out


def test_other_readers_and_interpolations_fall_back():
    path = data_path(*TEST_MP4)
    for backend in ('decord', 'pyav'):
        np.random.seed(1)
        ref = today(backend)(dict(filename=path, start_index=0))
        np.random.seed(1)
        out = fused(backend)(dict(filename=path, start_index=0))
        np.testing.assert_array_equal(out['imgs'], ref['imgs'])
    steps = [
        dict(type='VideoReaderInit', backend='pyav_indexed'),
        dict(type='CVRLSampleFrames', clip_len=4, frame_interval=2),
        dict(
            type='MultiClipDecodeResizedCrop', scale=32, interpolation='area'),
    ]
    np.random.seed(2)
    out = Compose(steps)(dict(filename=path, start_index=0))
    steps[2] = dict(type='MultiClipDecode')
    np.random.seed(2)
    ref = Compose(steps + [
        dict(
            type='MultiViewRandomResizedCrop', scale=32, interpolation='area')
    ])(
        dict(filename=path, start_index=0))
    np.testing.assert_array_equal(out['imgs'], ref['imgs'])


def encode_clip(path: str, pix_fmt: str, size=(360, 640), frames=40) -> str:
    """An H.264 clip with B-frames in ``pix_fmt``, of moving gradients (the
    chroma differs from row to row and from column to column)."""
    import av
    height, width = size
    yy, xx = np.mgrid[0:height, 0:width]
    with av.open(path, 'w') as out:
        stream = out.add_stream('libx264', rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.options = {'bf': '2', 'g': '12', 'crf': '18'}
        for t in range(frames):
            rgb = np.stack([(xx * 3 + t * 7) % 256, (yy * 5 + t * 3) % 256,
                            (xx + yy + t * 11) % 256], -1).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format='rgb24')
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.mark.parametrize('pix_fmt', ['yuv422p', 'yuv444p', 'yuvj420p'])
def test_fused_converts_few_rows_of_other_planar_formats(
        tmp_path, monkeypatch, pix_fmt):
    """4:2:2, 4:4:4 and full-range pictures take the compact conversion
    too, with the same pixels as whole-frame conversion."""
    from constcl_mm.datasets.transforms import cropped_decode
    path = encode_clip(str(tmp_path / f'{pix_fmt}.mp4'), pix_fmt)
    calls = []
    convert = cropped_decode._CompactConverter.__call__

    def counted(self, frame, into):
        calls.append(frame.format.name)
        convert(self, frame, into)

    monkeypatch.setattr(cropped_decode._CompactConverter, '__call__', counted)
    for seed in range(3):
        np.random.seed(seed)
        ref = today('pyav_indexed', 112)(dict(filename=path, start_index=0))
        np.random.seed(seed)
        out = fused(size=112)(dict(filename=path, start_index=0))
        np.testing.assert_array_equal(out['imgs'], ref['imgs'])
    assert calls and set(calls) == {pix_fmt}
