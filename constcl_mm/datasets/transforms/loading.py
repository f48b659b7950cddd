# Copyright (c) constcl_mm authors. All rights reserved.
"""Open a video once and decode the frames of all its clips in one pass."""
from typing import Dict, List, Optional, Union

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from .video_readers import VIDEO_BACKENDS, RawFrameReader, open_video


@TRANSFORMS.register_module()
class VideoReaderInit(BaseTransform):
    """Opens the video (or rawframe folder) of a sample, once for all clips.

    Samples with a ``frame_dir`` key are read as rawframe folders; all other
    samples are video files read with ``backend``.

    Required Keys:

        - filename (videos), or frame_dir, filename_tmpl (optional),
          start_index (optional), total_frames (optional) (rawframes)

    Added Keys:

        - video_reader (:class:`BaseFrameReader`)
        - total_frames
        - avg_fps

    Args:
        backend (str): Video decoding backend, ``'decord'``, ``'pyav'`` or
            ``'opencv'``. Defaults to ``'decord'``.
        num_threads (int): Decoding threads (decord and PyAV). Defaults to 1.
        backend_args (dict, optional): mmengine file backend arguments for
            remote storage; ``None`` reads local files by path.
        max_missing_frames (int): How many frames a sequential backend
            (PyAV, OpenCV) may find fewer than the header announces before
            the file counts as truncated. Defaults to 3.

    Raises:
        VideoDecodeError: From the reader, for missing, empty, non-video or
            unreadable files.
    """

    def __init__(self,
                 backend: str = 'decord',
                 num_threads: int = 1,
                 backend_args: Optional[dict] = None,
                 max_missing_frames: int = 3) -> None:
        if backend not in VIDEO_BACKENDS:
            raise ValueError(f'unknown video backend {backend!r}; choose one '
                             f'of {sorted(VIDEO_BACKENDS)}')
        self.backend = backend
        self.num_threads = num_threads
        self.backend_args = backend_args
        self.max_missing_frames = max_missing_frames

    def transform(self, results: Dict) -> Dict:
        """Opens the reader.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict with the opened reader.
        """
        if 'frame_dir' in results:
            total = results.get('total_frames')
            reader = RawFrameReader(
                results['frame_dir'],
                filename_tmpl=results.get('filename_tmpl', 'img_{:05}.jpg'),
                start_index=results.get('start_index', 1),
                total_frames=None if total is None else int(total),
                backend_args=self.backend_args,
                max_missing_frames=self.max_missing_frames)
        else:
            if 'filename' not in results:
                raise KeyError('VideoReaderInit needs a `filename` (video) or '
                               '`frame_dir` (rawframes) key in the sample')
            kwargs = dict(
                backend_args=self.backend_args,
                max_missing_frames=self.max_missing_frames)
            if self.backend in ('decord', 'pyav', 'pyav_indexed'):
                kwargs['num_threads'] = self.num_threads
            reader = open_video(results['filename'], self.backend, **kwargs)
        results['video_reader'] = reader
        results['total_frames'] = reader.num_frames
        results['avg_fps'] = reader.fps
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(backend={self.backend!r}, '
                f'num_threads={self.num_threads})')


@TRANSFORMS.register_module()
class MultiClipDecode(BaseTransform):
    """Decodes the frames of every clip of a sample in a single reader call.

    The frame positions of all clips are merged (duplicates, e.g. from
    overlapping clips, are decoded once), read with one
    :meth:`BaseFrameReader.read` call, and cut back into clips. The reader is
    closed afterwards.

    Required Keys:

        - video_reader
        - frame_inds: ``(num_clips, clip_len)`` 0-based frame positions

    Added Keys:

        - imgs: list of ``num_clips`` ``uint8`` RGB clips, each a
          ``(clip_len, H, W, 3)`` view into the decoded block (or a list of
          ``clip_len`` frame views when its frames are not evenly spaced in
          the block): no full-resolution frame is copied.
          :class:`MultiViewRandomResizedCrop` turns them into one
          ``(num_clips, clip_len, S, S, 3)`` array
        - original_shape, img_shape: ``(H, W)``

    Removed Keys:

        - video_reader
    """

    def transform(self, results: Dict) -> Dict:
        """Decodes the clips.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict with ``imgs``.
        """
        reader = results.pop('video_reader')
        inds = np.asarray(results['frame_inds'], dtype=np.int64)
        if inds.ndim != 2:
            raise ValueError('MultiClipDecode expects `frame_inds` of shape '
                             f'(num_clips, clip_len), got {inds.shape}')
        try:
            unique, inverse = np.unique(inds.ravel(), return_inverse=True)
            frames = reader.read(unique)
        finally:
            reader.close()
        positions = inverse.reshape(inds.shape)
        results['imgs'] = [self._cut(frames, p) for p in positions]
        results['original_shape'] = frames.shape[1:3]
        results['img_shape'] = frames.shape[1:3]
        return results

    @staticmethod
    def _cut(frames: np.ndarray,
             positions: np.ndarray) -> Union[np.ndarray, List[np.ndarray]]:
        """Frames at ``positions`` without copying any of them.

        Returns:
            np.ndarray | list[np.ndarray]: A strided view ``(T, H, W, 3)``
            when the positions are evenly spaced, else a list of ``T`` frame
            views (overlapping clips, wrapped short videos).
        """
        if positions.size == 1:
            return frames[positions[0]:positions[0] + 1]
        step = int(positions[1] - positions[0])
        if step > 0 and np.all(np.diff(positions) == step):
            return frames[positions[0]:positions[-1] + 1:step]
        return [frames[p] for p in positions]
