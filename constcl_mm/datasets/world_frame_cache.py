# Copyright (c) constcl_mm authors. All rights reserved.
"""Frames of synthetic-world videos rendered once into an ``.npy`` file.

Training on the synthetic world reads the same videos many times (2,000
steps of 32 videos read each of 1,024 videos about 60 times). Rendering a
frame costs far more than slicing a memory-mapped array, so
:class:`~.synthetic_video_dataset.SyntheticVideoDataset` can render its
videos once (``cache_dir=...``) and then serve frames from the file, exactly
the frames the renderer gives.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Dict

import numpy as np
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from ..utils.atomic_io import atomic_write

__all__ = ['world_cache_path', 'load_or_render_cache']


def world_cache_path(cache_dir: str, world_cfg: Dict, first_index: int,
                     num_videos: int) -> str:
    """The cache file of a range of videos of a world.

    The name holds a digest of the world's settings and the range, so any
    change of the world renders anew.
    """
    key = json.dumps(
        dict(world=world_cfg, first=int(first_index), n=int(num_videos)),
        sort_keys=True,
        default=list)
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    return osp.join(cache_dir, f'world_{digest}.npy')


def _render(world, first_index: int, num_videos: int, path: str) -> None:
    height, width = world.frame_size
    shape = (num_videos, world.num_frames, height, width, 3)
    print_log(
        f'rendering {num_videos} synthetic videos once into {path} '
        f'({np.prod(shape) / 2**20:.0f} MB)',
        logger='current')
    frames = range(world.num_frames)

    def write(tmp: str) -> None:
        out = np.lib.format.open_memmap(
            tmp, mode='w+', dtype=np.uint8, shape=shape)
        bar = ProgressBar(num_videos)
        for i in range(num_videos):
            out[i] = world.video(first_index + i).render(frames)[0]
            bar.update()
        out.flush()
        del out

    atomic_write(path, write)


def load_or_render_cache(world, first_index: int, num_videos: int,
                         cache_dir: str) -> np.ndarray:
    """Memory-maps the cached frames, rendering them first if missing.

    Args:
        world: A :class:`~.synthetic_world.SyntheticWorld` or
            :class:`~.object_world.ObjectWorld`.
        first_index (int): First video of the range.
        num_videos (int): Videos in the range.
        cache_dir (str): Folder of the cache files (created if missing).

    Returns:
        np.ndarray: Read-only ``uint8`` ``(N, L, H, W, 3)`` memory map.
    """
    os.makedirs(cache_dir, exist_ok=True)
    path = world_cache_path(cache_dir, world.config(), first_index, num_videos)
    if not osp.isfile(path):
        _render(world, first_index, num_videos, path)
    frames = np.load(path, mmap_mode='r', allow_pickle=False)
    height, width = world.frame_size
    expected = (num_videos, world.num_frames, height, width, 3)
    if frames.shape != expected or frames.dtype != np.uint8:
        raise ValueError(f'{path} holds {frames.dtype} {frames.shape}, '
                         f'expected uint8 {expected}: delete it to render '
                         'the videos again')
    return frames
