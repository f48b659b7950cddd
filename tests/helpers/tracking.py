# Copyright (c) constcl_mm authors. All rights reserved.
"""Helpers: a pixel backbone (the tracker's geometry without learning), a
synthetic moving-pattern sequence, a GOT-10k fixture from OTB frames."""
import os
import os.path as osp

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS


@MODELS.register_module(force=True)
class PixelStride8Backbone(nn.Module):
    """Space-to-depth "features": every 8x8 cell's pixels as 192 channels.

    Same padding as a ResNet (4 px), so 127 -> 16 and 255 -> 32 cells and
    the SiamFC response is 17x17 at total stride 8, like ResNet3dY's
    tracking variant. Per frame: ``(N, 3, T, H, W) -> (N, 192, T, h, w)``.
    """

    def __init__(self) -> None:
        super().__init__()
        weight = torch.eye(192).reshape(192, 3, 8, 8)
        self.register_buffer('weight', weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, t, h, w = x.shape
        frames = x.transpose(1, 2).reshape(n * t, c, h, w)
        feat = F.conv2d(frames, self.weight, stride=8, padding=4)
        return feat.reshape(n, t, *feat.shape[1:]).transpose(1, 2)


def pixel_tracker(**test_cfg) -> nn.Module:
    """A SiamFC on :class:`PixelStride8Backbone` (no adjust layer)."""
    cfg = dict(total_stride=8)
    cfg.update(test_cfg)
    return MODELS.build(
        dict(
            type='SiamFC',
            num_frames=5,
            backbone=dict(type='PixelStride8Backbone'),
            head=dict(
                type='SiamFCHead', in_channels=192, adjust_channels=None),
            test_cfg=cfg)).eval()


def moving_pattern(length: int = 12,
                   size: int = 200,
                   target: int = 24,
                   seed: int = 0):
    """A smooth textured square moving (4, 2) px per frame over noise.

    Returns:
        tuple: frames ``(L, H, W, 3)`` uint8 RGB and boxes ``(L, 4)`` xyxy.
    """
    rng = np.random.default_rng(seed)
    patch = cv2.resize(
        rng.integers(0, 256, (4, 4, 3)).astype(np.uint8), (target, target),
        interpolation=cv2.INTER_CUBIC)
    frames, boxes = [], []
    for t in range(length):
        x, y = 60 + 4 * t, 70 + 2 * t
        frame = rng.integers(118, 138, (size, size, 3)).astype(np.uint8)
        frame[y:y + target, x:x + target] = patch
        frames.append(frame)
        boxes.append([x, y, x + target, y + target])
    return np.stack(frames), np.asarray(boxes, np.float32)


def make_got10k_fixture(root: str, crossing_dir: str) -> str:
    """GOT-10k-format sequences cut from an OTB Crossing folder.

    * ``crossing_a``: frames 1-60;
    * ``crossing_b``: frames 61-120, target marked absent in its first 10;
    * ``crossing_gone``: 4 frames, absent in 3 (fewer than 2 valid frames:
      the dataset skips it).

    Boxes are OTB's 1-based x,y,w,h moved to 0-based. Frames are symlinks.

    Returns:
        str: The ``list.txt`` path.
    """
    gt = np.loadtxt(osp.join(crossing_dir, 'groundtruth_rect.txt'))
    gt[:, :2] -= 1
    seqs = dict(
        crossing_a=(range(1, 61), None),
        crossing_b=(range(61, 121), [1] * 10 + [0] * 50),
        crossing_gone=(range(1, 5), [1, 1, 0, 1]))
    for name, (frames, absence) in seqs.items():
        seq_dir = osp.join(root, name)
        os.makedirs(seq_dir, exist_ok=True)
        for i, frame in enumerate(frames, 1):
            os.symlink(
                osp.join(crossing_dir, 'img', f'{frame:04d}.jpg'),
                osp.join(seq_dir, f'{i:08d}.jpg'))
        np.savetxt(
            osp.join(seq_dir, 'groundtruth.txt'),
            gt[[f - 1 for f in frames]],
            fmt='%.4f',
            delimiter=',')
        if absence is not None:
            with open(osp.join(seq_dir, 'absence.label'), 'w') as f:
                f.write('\n'.join(str(a) for a in absence) + '\n')
    list_file = osp.join(root, 'list.txt')
    with open(list_file, 'w') as f:
        f.write('\n'.join(seqs) + '\n')
    return list_file
