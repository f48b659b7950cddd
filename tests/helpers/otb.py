# Copyright (c) constcl_mm authors. All rights reserved.
"""An OTB-2015 sequence generated at test time, in place of the benchmark's
"Crossing" (whose frames and ground truth have no licence that allows
redistribution).

Same layout and shape as the real one: ``Crossing/img/0001.jpg`` ..
``0120.jpg`` (360x240 RGB JPEG) and a TAB-separated ``groundtruth_rect.txt``
(OTB's 1-based ``x,y,w,h``). The boxes are the committed
``tests/data/synthetic_crossing/groundtruth_rect.txt``; the frames are a
slowly panning natural image (scikit-image's ``coffee``) with a textured
17x50 "pedestrian" drawn at each box.
"""
import atexit
import functools
import os
import os.path as osp
import shutil
import tempfile

import cv2
import numpy as np
from helpers.paths import data_path

NUM_FRAMES = 120
HEIGHT, WIDTH = 240, 360


def crossing_boxes_file() -> str:
    return data_path('synthetic_crossing', 'groundtruth_rect.txt')


def _render(gt: np.ndarray) -> np.ndarray:
    """``(T, 240, 360, 3)`` uint8 RGB frames with the target at ``gt``."""
    import skimage.data
    background = cv2.resize(
        skimage.data.coffee(), (WIDTH + 60, HEIGHT + 20),
        interpolation=cv2.INTER_AREA)
    rng = np.random.RandomState(0)
    texture = rng.randint(20, 90, (50, 17, 3)).astype(np.uint8)
    texture[:12] = (200, 160, 120)  # a head
    frames = []
    for t, (x, y, w, h) in enumerate(gt.astype(int)):
        dx = t // 4  # the camera pans by a pixel every 4 frames
        frame = background[10:10 + HEIGHT, dx:dx + WIDTH].copy()
        x0, y0 = x - 1, y - 1  # OTB boxes are 1-based
        frame[y0:y0 + h, x0:x0 + w] = cv2.resize(texture, (w, h))
        frames.append(frame)
    return np.stack(frames)


@functools.lru_cache(maxsize=None)
def crossing_dir() -> str:
    """The generated ``Crossing`` folder (written once per process)."""
    gt = np.loadtxt(crossing_boxes_file(), delimiter='\t')
    assert gt.shape == (NUM_FRAMES, 4), gt.shape
    root = tempfile.mkdtemp(prefix='constcl_otb_')
    atexit.register(shutil.rmtree, root, True)
    seq = osp.join(root, 'Crossing')
    os.makedirs(osp.join(seq, 'img'))
    for i, frame in enumerate(_render(gt), 1):
        cv2.imwrite(
            osp.join(seq, 'img', f'{i:04d}.jpg'), frame[..., ::-1],
            [cv2.IMWRITE_JPEG_QUALITY, 90])
    shutil.copy(crossing_boxes_file(), osp.join(seq, 'groundtruth_rect.txt'))
    return seq
