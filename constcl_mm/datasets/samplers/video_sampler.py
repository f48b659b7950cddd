# Copyright (c) constcl_mm authors. All rights reserved.
from typing import Iterator, List, Sized

from mmaction.registry import DATA_SAMPLERS
from mmengine.dist import get_dist_info
from torch.utils.data import Sampler


@DATA_SAMPLERS.register_module()
class VideoSampler(Sampler):
    """Whole videos per process, every video's frames in order.

    One-pass evaluation tracks a target frame after frame from its first
    frame, so a video must not be split over processes nor shuffled. Videos
    go to the process with the fewest frames so far (longest first), and
    each process runs its videos in dataset order. Nothing is padded: the
    processes may get different numbers of frames (``SOTMetric`` gathers
    them without ``collect_results``' truncation).

    The dataset must expose ``num_frames_per_video`` and
    ``frame_index(video_idx, frame_idx)`` (see :class:`OTB100Dataset`).

    Args:
        dataset (Sized): A video dataset indexed by frame.
        seed (int, optional): Unused; accepted for config compatibility.
    """

    def __init__(self, dataset: Sized, seed=None) -> None:
        for attr in ('num_frames_per_video', 'frame_index'):
            if not hasattr(dataset, attr):
                raise TypeError(f'VideoSampler needs a dataset with `{attr}`; '
                                f'{type(dataset).__name__} has none')
        self.dataset = dataset
        self.rank, self.world_size = get_dist_info()
        self.videos = self.split_videos(
            list(dataset.num_frames_per_video), self.world_size)[self.rank]
        self.num_samples = sum(dataset.num_frames_per_video[v]
                               for v in self.videos)

    @staticmethod
    def split_videos(lengths: List[int], world_size: int) -> List[List[int]]:
        """Balances whole videos over ``world_size`` processes.

        Args:
            lengths (list[int]): Frames per video.
            world_size (int): Number of processes.

        Returns:
            list[list[int]]: Sorted video indices of every process.
        """
        loads = [0] * world_size
        parts: List[List[int]] = [[] for _ in range(world_size)]
        for video in sorted(range(len(lengths)), key=lambda v: -lengths[v]):
            rank = min(range(world_size), key=lambda r: (loads[r], r))
            parts[rank].append(video)
            loads[rank] += lengths[video]
        return [sorted(p) for p in parts]

    def __iter__(self) -> Iterator[int]:
        lengths = self.dataset.num_frames_per_video
        for video in self.videos:
            for frame in range(lengths[video]):
                yield self.dataset.frame_index(video, frame)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Order never changes; kept for ``DistSamplerSeedHook``."""
