# Copyright (c) constcl_mm authors. All rights reserved.
"""Region boxes read from a detector proposals file."""
import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmaction.registry import TRANSFORMS

from ...utils.safe_pickle import load_data_file
from .region_boxes import BaseRegionBoxes, mirror_boxes


def _describe(data) -> str:
    """What a proposals file holds instead of ``{video: {frame: boxes}}``."""
    if not isinstance(data, dict):
        return f'a {type(data).__name__}'
    key = next(k for k, v in data.items() if not isinstance(v, dict))
    return (f'a dict whose entry {key!r} is a '
            f'{type(data[key]).__name__}, not a {{frame: boxes}} dict')


@TRANSFORMS.register_module()
class ProposalRegionBoxes(BaseRegionBoxes):
    """Detector proposals of the keyframe, mapped through crop and flip.

    **Proposals file format.** A pickle (``.pkl``) or JSON (``.json``) file
    holding one dict (a pickle may hold only numpy arrays and plain Python
    types: it is read with an allow-list, never executed)::

        {
            '<video key>': {
                <frame>: [[x1, y1, x2, y2, score], ...],   # or 4 columns
                ...
            },
            ...
        }

    * ``<video key>``: the video's path as written in the list file (e.g.
      ``'abseiling/-3B32lodo2M_000059_000069.mp4'``; for rawframe lists the
      frame folder). Keys equal to that path's basename without extension
      (``'-3B32lodo2M_000059_000069'``) are also accepted.
    * ``<frame>``: 0-based position of the frame in the decoded video (an
      int; in JSON the same int written as a string). For rawframe folders
      position ``i`` is the file with index ``start_index + i``. Frames may
      be sparse (e.g. one detection pass per second): the keyframe uses the
      nearest listed frame (within ``max_frame_distance``).
    * boxes: ``[x1, y1, x2, y2]`` in the full decoded frame, normalised to
      ``[0, 1]`` (``normalized=True``, default) or in pixels
      (``normalized=False``), optionally followed by a detector score
      (higher is better; without it the file order is the ranking).

    Each view's keyframe boxes are mapped into the view's crop
    (``crop_bboxes``), clipped to ``[0, 1]``, dropped when narrower or lower
    than ``min_size`` (normalised to the crop) or scored below
    ``min_score``, mirrored when the view is flipped, and the
    ``num_boxes`` best are kept.

    Required Keys:

        - imgs, frame_inds, original_shape, crop_bboxes (optional: whole
          frame), flip (optional), video_key (or filename / frame_dir)

    Args:
        proposal_file (str): The proposals file.
        num_boxes (int): Boxes per view. Defaults to 8.
        normalized (bool): Coordinates are normalised (True) or pixels.
            Defaults to True.
        min_score (float): Minimum detector score (5-column boxes only).
            Defaults to 0.
        min_size (float): Minimum width and height after cropping, as a
            fraction of the crop. Defaults to 0.02.
        max_frame_distance (int, optional): How far (in frames) the nearest
            listed frame may be from the keyframe; ``None`` for any.
        on_missing (str): A video absent from the file gets only padded
            boxes (``'pad'``, default) or raises a ``KeyError``
            (``'error'``).
    """

    box_type = 'proposals'

    def __init__(self,
                 proposal_file: str,
                 num_boxes: int = 8,
                 normalized: bool = True,
                 min_score: float = 0.0,
                 min_size: float = 0.02,
                 max_frame_distance: Optional[int] = None,
                 on_missing: str = 'pad') -> None:
        super().__init__(num_boxes)
        if on_missing not in ('pad', 'error'):
            raise ValueError(
                f"on_missing must be 'pad' or 'error', got {on_missing!r}")
        if not osp.isfile(proposal_file):
            raise FileNotFoundError(
                f'proposal_file {proposal_file} does not exist')
        data = load_data_file(proposal_file)
        if not isinstance(data, dict) or not all(
                isinstance(v, dict) for v in data.values()):
            raise ValueError(
                f'{proposal_file}: expected a dict {{video key: {{frame: '
                f'boxes}}}}, got {_describe(data)}; see the '
                'ProposalRegionBoxes docstring')
        self.proposal_file = proposal_file
        self.normalized = normalized
        self.min_score = float(min_score)
        self.min_size = float(min_size)
        self.max_frame_distance = max_frame_distance
        self.on_missing = on_missing
        self._raw = data
        self._stems = {}
        for key in data:
            self._stems.setdefault(osp.splitext(osp.basename(key))[0], key)
        self._cache: Dict[str, Tuple[np.ndarray, List[np.ndarray]]] = {}
        self.missing_videos = 0

    def _video(self, results: Dict) -> Optional[str]:
        """The file key of the sample's video, or None."""
        candidates = [
            results.get('video_key'),
            results.get('filename'),
            results.get('frame_dir')
        ]
        for name in candidates:
            if name is None:
                continue
            if name in self._raw:
                return name
            stem = osp.splitext(osp.basename(str(name).rstrip('/')))[0]
            if stem in self._stems:
                return self._stems[stem]
        return None

    def _frames(self, key: str) -> Tuple[np.ndarray, List[np.ndarray]]:
        """Sorted frame positions and ``(K, 4|5)`` boxes of one video."""
        if key not in self._cache:
            frames, boxes = [], []
            for frame, value in self._raw[key].items():
                arr = np.asarray(value, dtype=np.float32)
                if arr.size == 0:
                    arr = np.zeros((0, 4), dtype=np.float32)
                if arr.ndim != 2 or arr.shape[1] not in (4, 5):
                    raise ValueError(
                        f'{self.proposal_file}: boxes of video {key!r} frame '
                        f'{frame!r} have shape {arr.shape}; expected (K, 4) '
                        'or (K, 5)')
                try:
                    frames.append(int(frame))
                except (TypeError, ValueError):
                    raise ValueError(
                        f'{self.proposal_file}: video {key!r} has a frame key '
                        f'{frame!r} that is not an integer') from None
                boxes.append(arr)
            order = np.argsort(frames)
            self._cache[key] = (np.asarray(frames, np.int64)[order],
                                [boxes[i] for i in order])
        return self._cache[key]

    def generate(self, results: Dict, view: int,
                 keyframe_index: int) -> np.ndarray:
        """Proposals of one view's keyframe in its final crop."""
        key = self._video(results)
        if key is None:
            if self.on_missing == 'error':
                name = results.get('video_key', results.get('filename'))
                raise KeyError(f'video {name!r} is not in the proposals file '
                               f'{self.proposal_file}')
            if view == 0:
                self.missing_videos += 1
            return np.zeros((0, 4), dtype=np.float32)
        frames, boxes = self._frames(key)
        if len(frames) == 0:
            return np.zeros((0, 4), dtype=np.float32)
        position = int(np.asarray(results['frame_inds'])[view, keyframe_index])
        nearest = int(np.argmin(np.abs(frames - position)))
        if (self.max_frame_distance is not None
                and abs(frames[nearest] - position) > self.max_frame_distance):
            return np.zeros((0, 4), dtype=np.float32)
        props = boxes[nearest]
        height, width = results['original_shape'][:2]
        xyxy = props[:, :4].astype(np.float64)
        if self.normalized:
            xyxy = xyxy * np.array([width, height, width, height])
        crop = results.get('crop_bboxes')
        if crop is None:
            x0, y0, x1, y1 = 0, 0, width, height
        else:
            x0, y0, x1, y1 = (float(c) for c in crop[view])
        scale = np.array([x1 - x0, y1 - y0, x1 - x0, y1 - y0])
        mapped = (xyxy - np.array([x0, y0, x0, y0])) / scale
        mapped = np.clip(mapped, 0.0, 1.0)
        keep = ((mapped[:, 2] - mapped[:, 0] >= self.min_size)
                & (mapped[:, 3] - mapped[:, 1] >= self.min_size))
        if props.shape[1] == 5:
            keep &= props[:, 4] >= self.min_score
            order = np.argsort(-props[keep, 4], kind='stable')
            mapped = mapped[keep][order]
        else:  # no score: the file order is the ranking
            mapped = mapped[keep]
        mapped = mapped.astype(np.float32)
        flips = results.get('flip')
        if flips is not None and bool(flips[view]):
            mapped = mirror_boxes(mapped)
        return mapped

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(proposal_file='
                f'{self.proposal_file!r}, num_boxes={self.num_boxes}, '
                f'min_score={self.min_score}, min_size={self.min_size})')
