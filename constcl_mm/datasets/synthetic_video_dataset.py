# Copyright (c) constcl_mm authors. All rights reserved.
"""The synthetic video world as a dataset for the real pipelines."""
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmaction.registry import DATASETS
from mmengine.dataset import BaseDataset

from .synthetic_world import SyntheticVideo, build_world
from .transforms.video_readers import BaseFrameReader


class SyntheticFrameReader(BaseFrameReader):
    """A frame reader that renders a :class:`SyntheticVideo` on request.

    It stands where a decoder stands (after :class:`VideoReaderInit`), so
    :class:`CVRLSampleFrames`, :class:`MultiClipDecode` and every later
    transform run unchanged.

    Args:
        video (SyntheticVideo): The video.
        filename (str): Its name in messages and metainfo.
    """

    def __init__(self, video: SyntheticVideo, filename: str) -> None:
        super().__init__(filename)
        self.video = video
        self.num_frames = video.num_frames
        self.fps = video.fps

    def _read(self, inds: np.ndarray) -> np.ndarray:
        return self.video.render(inds)[0]


class CachedFrameReader(BaseFrameReader):
    """A frame reader over the rendered frames of one video (an
    ``(L, H, W, 3)`` slice of :func:`load_or_render_cache`'s array).

    Args:
        frames (np.ndarray): ``uint8`` ``(L, H, W, 3)``.
        filename (str): Its name in messages and metainfo.
        fps (float): Frame rate.
    """

    def __init__(self, frames: np.ndarray, filename: str, fps: float) -> None:
        super().__init__(filename)
        self.frames = frames
        self.num_frames = int(frames.shape[0])
        self.fps = fps

    def _read(self, inds: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(self.frames[np.asarray(inds)])


@DATASETS.register_module()
class SyntheticVideoDataset(BaseDataset):
    """Videos of a :class:`SyntheticWorld`, generated in memory.

    Each sample carries an open ``video_reader`` (a
    :class:`SyntheticFrameReader`), ``total_frames``, ``avg_fps``, the
    video-level ``label`` (the hero object's texture class) and a
    ``filename`` of the form ``synthetic://<seed>/<index>``. Use it with the
    pretraining pipeline minus its first step (:class:`VideoReaderInit`):
    the reader is already open.

    Args:
        num_videos (int): Videos ``0 .. num_videos - 1`` of the world.
        pipeline (list[dict | callable]): The transforms.
        world (dict, optional): :class:`SyntheticWorld` arguments (``seed``,
            ``num_frames``, ``frame_size``, ``num_objects``, ``fps``).
        first_index (int): Index of the first video, so that splits of one
            world can be disjoint. Defaults to 0.
        cache_dir (str, optional): Render the videos once into an ``.npy``
            file in this folder and read frames from it
            (:func:`~.world_frame_cache.load_or_render_cache`); the frames
            are those the renderer gives. Defaults to None (render every
            read).
        test_mode (bool): Defaults to False.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self,
                 num_videos: int,
                 pipeline: Sequence[Union[dict, Callable]],
                 world: Optional[Dict] = None,
                 first_index: int = 0,
                 cache_dir: Optional[str] = None,
                 test_mode: bool = False,
                 **kwargs) -> None:
        if int(num_videos) < 1:
            raise ValueError(f'num_videos must be >= 1, got {num_videos}')
        if int(first_index) < 0:
            raise ValueError(f'first_index must be >= 0, got {first_index}')
        self.world = build_world(world)
        self.num_videos = int(num_videos)
        self.first_index = int(first_index)
        self.cache_dir = cache_dir
        self._frames = None
        super().__init__(
            ann_file='',
            metainfo=dict(classes=self.world.classes),
            pipeline=list(pipeline),
            test_mode=test_mode,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """One entry per video: its index and label."""
        return [
            dict(video_index=i, label=self.world.video(i).label)
            for i in range(self.first_index, self.first_index +
                           self.num_videos)
        ]

    def cached_frames(self) -> np.ndarray:
        """The memory-mapped frames of every video (rendered on first
        use)."""
        if self._frames is None:
            from .world_frame_cache import load_or_render_cache
            self._frames = load_or_render_cache(self.world, self.first_index,
                                                self.num_videos,
                                                self.cache_dir)
        return self._frames

    def get_data_info(self, idx: int) -> dict:
        """The entry with an open reader of the video."""
        info = super().get_data_info(idx)
        index = info['video_index']
        filename = f'synthetic://{self.world.seed}/{index}'
        if self.cache_dir is None:
            reader = SyntheticFrameReader(self.world.video(index), filename)
        else:
            reader = CachedFrameReader(
                self.cached_frames()[index - self.first_index], filename,
                self.world.fps)
        info.update(
            filename=filename,
            video_key=filename,
            video_reader=reader,
            total_frames=reader.num_frames,
            avg_fps=reader.fps)
        return info
