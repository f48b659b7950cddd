# Copyright (c) constcl_mm authors. All rights reserved.
"""CVRL two-clip temporal sampling (official_implementation.md §5.1)."""
import math
from typing import Dict

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from ..short_videos import note_short_video
from .video_readers import VideoDecodeError


def cvrl_offset_cdf(k: float, max_offset: float, power: float = 1.0) -> float:
    """CDF of CVRL's inter-clip offset, ``p(d) ∝ 1 - (d / m) ** power``.

    For ``power = 1`` this is ``2k/m - (k/m)^2``, the linearly decreasing
    density of CVRL.

    Args:
        k (float): Offset in frames.
        max_offset (float): ``m``, the support is ``[0, m)``.
        power (float): Shape of the density. Defaults to 1.

    Returns:
        float: ``P(d <= k)``.
    """
    m = float(max_offset)
    return (-math.pow(k, power + 1) / (power * math.pow(m, power + 1)) + k *
            (power + 1) / (power * m))


def cvrl_sample_offset(max_offset: int, u: float, power: float = 1.0) -> int:
    """Inverse-CDF binary search of the CVRL offset, as the official code.

    Args:
        max_offset (int): ``m`` (>= 1).
        u (float): A uniform draw in ``[0, 1)``.
        power (float): See :func:`cvrl_offset_cdf`.

    Returns:
        int: The offset ``d`` in ``[0, m - 1]``, with
        ``P(d = k) = cdf(k + 1) - cdf(k)``.
    """
    k_low, k_up = 0.0, float(max_offset)
    k = float(max_offset // 2)
    while abs(k_up - k_low) > 1.0:
        if cvrl_offset_cdf(k, max_offset, power) > u:
            k_up, k = k, math.floor((k + k_low) / 2.0)
        else:
            k_low, k = k, math.floor((k_up + k) / 2.0)
    return min(int(k), max_offset - 1)


@TRANSFORMS.register_module()
class CVRLSampleFrames(BaseTransform):
    """Samples two clips of one video with CVRL's temporal offsets.

    With ``L`` frames and ``span = (clip_len - 1) * frame_interval``:

    * if ``L > span``: ``m = L - span``; the offset ``d`` between the clip
      starts follows the linearly decreasing density ``p(d) ∝ 1 - d/m`` on
      ``[0, m)`` (:func:`cvrl_sample_offset`), ``start1 ~ U{0..m-d-1}`` and
      ``start2 = start1 + d``;
    * otherwise the two starts are independent ``U{0..L-1}``.

    The pair is then swapped with probability 0.5, and each clip takes the
    frames ``start + frame_interval * k`` (k < clip_len) modulo ``L``, i.e.
    short videos (``L <= span``) wrap around. Each such video is logged
    once per file (and listed once in the run's totals by
    ``BadVideoCountHook``); videos with fewer than ``min_frames`` frames
    raise :class:`VideoDecodeError` of kind ``'too_short'``, which the
    datasets count and skip like unreadable videos.

    Required Keys:

        - total_frames

    Added Keys:

        - frame_inds: ``int64`` array ``(2, clip_len)``, 0-based positions
        - clip_starts: ``int64`` array ``(2,)``, 0-based start positions
        - clip_offset: the sampled offset ``d`` (``|start2 - start1|`` of the
          unswapped pair)
        - clip_len, frame_interval, num_clips (= 2)
        - keyframe_index: ``clip_len // 2`` (the region-box frame)

    Args:
        clip_len (int): Frames per clip. Defaults to 16.
        frame_interval (int): Temporal stride. Defaults to 2.
        random_swap (bool): Swap the pair with probability 0.5. Defaults to
            True.
        power (float): Shape of the offset density (1 = CVRL's linear
            decrease). Defaults to 1.0.
        min_frames (int): Videos with fewer frames are skipped
            (``'too_short'``). Defaults to 2: a one-frame video would give
            two identical still clips. ``span + 1`` skips every video whose
            clips would wrap around.
    """

    def __init__(self,
                 clip_len: int = 16,
                 frame_interval: int = 2,
                 random_swap: bool = True,
                 power: float = 1.0,
                 min_frames: int = 2) -> None:
        if int(clip_len) < 1 or int(frame_interval) < 1:
            raise ValueError('clip_len and frame_interval must be >= 1, got '
                             f'{clip_len} and {frame_interval}')
        if power <= 0:
            raise ValueError(f'power must be > 0, got {power}')
        self.clip_len = int(clip_len)
        self.frame_interval = int(frame_interval)
        self.random_swap = random_swap
        self.power = float(power)
        if int(min_frames) < 1:
            raise ValueError(f'min_frames must be >= 1, got {min_frames}')
        self.min_frames = int(min_frames)

    @property
    def needed_frames(self) -> int:
        """Frames one clip spans (``(clip_len - 1) * frame_interval + 1``)."""
        return (self.clip_len - 1) * self.frame_interval + 1

    def _check_length(self, results: Dict, total: int) -> None:
        """Skips videos below ``min_frames``; notes those that wrap."""
        name = str(
            results.get('filename', results.get('frame_dir', '<sample>')))
        if total < self.min_frames:
            reader = results.pop('video_reader', None)
            if reader is not None:
                reader.close()
            raise VideoDecodeError(
                name, 'too_short',
                f'{total} frame(s), fewer than min_frames={self.min_frames} '
                'of CVRLSampleFrames')
        if total < self.needed_frames:
            note_short_video(
                name, total, self.needed_frames,
                f'CVRLSampleFrames(min_frames={self.needed_frames}) skips '
                'such videos')

    def sample_starts(self, total_frames: int) -> np.ndarray:
        """Draws the two clip starts.

        Args:
            total_frames (int): Frames in the video.

        Returns:
            np.ndarray: ``(start1, start2, offset)``, before the swap.
        """
        span = (self.clip_len - 1) * self.frame_interval
        if total_frames > span:
            max_offset = total_frames - span
            delta = cvrl_sample_offset(max_offset, np.random.rand(),
                                       self.power)
            start1 = np.random.randint(0, max_offset - delta)
            start2 = start1 + delta
        else:
            start1 = np.random.randint(0, total_frames)
            start2 = np.random.randint(0, total_frames)
            delta = abs(start2 - start1)
        return np.array([start1, start2, delta], dtype=np.int64)

    def transform(self, results: Dict) -> Dict:
        """Samples the two clips.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict.
        """
        total = int(results['total_frames'])
        if total < 1:
            raise ValueError(
                f'{results.get("filename", results.get("frame_dir"))} has '
                f'total_frames={total}; CVRLSampleFrames needs at least 1')
        self._check_length(results, total)
        start1, start2, delta = self.sample_starts(total)
        starts = np.array([start1, start2], dtype=np.int64)
        if self.random_swap and np.random.rand() < 0.5:
            starts = starts[::-1].copy()
        steps = np.arange(self.clip_len, dtype=np.int64) * self.frame_interval
        results['frame_inds'] = (starts[:, None] + steps[None]) % total
        results['clip_starts'] = starts
        results['clip_offset'] = int(delta)
        results['clip_len'] = self.clip_len
        results['frame_interval'] = self.frame_interval
        results['num_clips'] = 2
        results['keyframe_index'] = self.clip_len // 2
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(clip_len={self.clip_len}, '
                f'frame_interval={self.frame_interval}, '
                f'random_swap={self.random_swap}, power={self.power}, '
                f'min_frames={self.min_frames})')
