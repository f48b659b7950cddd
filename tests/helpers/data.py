# Copyright (c) constcl_mm authors. All rights reserved.
"""Small pipelines, bad files and helpers shared by the dataset tests."""
import os.path as osp
import shutil
from typing import Dict, List, Optional

import numpy as np
from helpers.paths import data_path
from mmcv.transforms import Compose

#: Real clips of tests/data (mmaction2's test data; all 256x340 except where
#: noted).
TEST_MP4 = ('mmaction2', 'tests', 'data', 'test.mp4')  # 300 frames
DEMO_MP4 = ('mmaction2', 'demo', 'demo.mp4')  # 280 frames
SHORT_MP4 = ('mmaction2', 'tests', 'data', 'rawvideo_dataset', 'part_0.mp4'
             )  # 32 frames
TEST_AVI = ('mmaction2', 'tests', 'data', 'test.avi')  # 164 frames, 240x320
RAWFRAMES = ('mmaction2', 'tests', 'data', 'imgs')  # img_00001..10.jpg


def loading(backend: str = 'decord',
            clip_len: int = 4,
            frame_interval: int = 2) -> List[dict]:
    """Open, sample and decode steps of a small two-clip pipeline."""
    return [
        dict(type='VideoReaderInit', backend=backend),
        dict(
            type='CVRLSampleFrames',
            clip_len=clip_len,
            frame_interval=frame_interval),
        dict(type='MultiClipDecode'),
    ]


def full_pipeline(backend: str = 'decord',
                  clip_len: int = 4,
                  frame_interval: int = 2,
                  size: int = 64,
                  boxes: Optional[dict] = None) -> List[dict]:
    """The pretraining pipeline at test resolution."""
    boxes = boxes or dict(type='GenerateRegionBoxes', box_type='random')
    return loading(backend, clip_len, frame_interval) + [
        dict(type='MultiViewRandomResizedCrop', scale=size),
        dict(type='MultiViewFlip', flip_ratio=0.5),
        boxes,
        dict(type='MultiViewColorJitter', prob=0.8),
        dict(type='MultiViewGrayscale', prob=0.2),
        dict(type='MultiViewGaussianBlur', prob=(1.0, 0.1), kernel_size=None),
        dict(type='MultiViewSolarize', prob=(0.0, 0.2)),
        dict(type='PackConSTCLInputs'),
    ]


def run(pipeline: List[dict], sample: Dict) -> Dict:
    """Runs ``pipeline`` (configs) on a copy of ``sample``."""
    return Compose(pipeline)(dict(sample))


def decoded_sample(*parts: str,
                   clip_len: int = 4,
                   frame_interval: int = 2) -> Dict:
    """A real video decoded into two clips, stacked ``(2, T, H, W, 3)``."""
    results = run(
        loading(clip_len=clip_len, frame_interval=frame_interval),
        dict(filename=data_path(*parts)))
    results['imgs'] = np.stack(results['imgs'])
    return results


def make_bad_files(folder: str) -> Dict[str, str]:
    """One file of every bad kind, named by kind, inside ``folder``.

    Returns:
        dict: kind -> path. ``missing`` does not exist.
    """
    src = data_path(*TEST_MP4)
    with open(src, 'rb') as f:
        data = f.read()
    rng = np.random.default_rng(0)
    paths = dict(
        corrupt=osp.join(folder, 'corrupt.mp4'),
        corrupt_stream=osp.join(folder, 'corrupt_stream.mp4'),
        truncated=osp.join(folder, 'truncated.mp4'),
        truncated_indexed=osp.join(folder, 'truncated_indexed.mp4'),
        empty=osp.join(folder, 'empty.mp4'),
        missing=osp.join(folder, 'missing.mp4'),
        text=osp.join(folder, 'notes.mp4'),
        image=osp.join(folder, 'frame.mp4'),
    )
    with open(paths['corrupt'], 'wb') as f:  # random bytes
        f.write(rng.integers(0, 256, 100_000, dtype=np.uint8).tobytes())
    # A valid container (index at the end) whose video data is garbage.
    moov = data.rfind(b'moov')
    garbled = bytearray(data)
    garbled[64:moov - 16] = rng.integers(
        0, 256, moov - 80, dtype=np.uint8).tobytes()
    with open(paths['corrupt_stream'], 'wb') as f:
        f.write(bytes(garbled))
    with open(paths['truncated'], 'wb') as f:  # first third: index lost
        f.write(data[:len(data) // 3])
    # Index first ("faststart"), then cut a few KB into the video data: the
    # header announces 300 frames, the file holds almost none.
    faststart = osp.join(folder, 'faststart.mp4')
    remux_faststart(src, faststart)
    with open(faststart, 'rb') as f:
        fs_data = f.read()
    with open(paths['truncated_indexed'], 'wb') as f:
        f.write(fs_data[:fs_data.find(b'mdat') + 3000])
    open(paths['empty'], 'wb').close()
    with open(paths['text'], 'w') as f:
        f.write('this is a text file, not a video\n' * 50)
    shutil.copy(
        data_path('mmaction2', 'tests', 'data', 'test.jpg'),
        paths['image'])  # a JPEG renamed .mp4
    return paths


def remux_faststart(src: str, dst: str) -> None:
    """Copies the video stream of ``src`` into an mp4 with the index first."""
    import av
    with av.open(src) as inp, av.open(
            dst, 'w', options={'movflags': 'faststart'}) as out:
        stream = inp.streams.video[0]
        ostream = out.add_stream_from_template(stream)
        for packet in inp.demux(stream):
            if packet.dts is None:
                continue
            packet.stream = ostream
            out.mux(packet)
