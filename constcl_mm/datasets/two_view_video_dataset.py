# Copyright (c) constcl_mm authors. All rights reserved.
"""Two-view pretraining dataset over a Kinetics-style video list."""
import os.path as osp
from typing import Callable, List, Optional, Union

from mmaction.datasets import BaseActionDataset
from mmaction.registry import DATASETS
from mmaction.utils import ConfigType

from ..utils.errors import AnnotationError
from ..utils.text_files import read_lines
from .skip_bad_videos import SkipBadVideosMixin

#: Extensions that mark the end of a video path in a list line.
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.flv',
                    '.mpg', '.mpeg', '.3gp', '.ogv', '.wmv')


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_video_list(ann_file: str) -> List[tuple]:
    """Reads a ``path [label]`` list.

    Blank lines and lines starting with ``#`` are ignored. The label, when
    present, is the last whitespace-separated token and must be an integer;
    everything before it is the path (paths may contain spaces when the line
    has no label or ends with one). A line with a non-integer label
    (``clip.mp4 3.0``) or with columns after the path and label
    (``clip.mp4 3 extra``) raises :class:`AnnotationError` naming the file and
    line, instead of being read as a path that does not exist.

    Args:
        ann_file (str): The list file.

    Returns:
        list[tuple]: ``(path, label)`` pairs, ``label = -1`` when absent.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'video list {ann_file} does not exist')
    entries = []
    for lineno, line in enumerate(read_lines(ann_file), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        parts = line.rsplit(None, 1)
        tokens = line.split()
        if len(parts) == 2 and not _is_int(parts[1]) and \
                _is_number(parts[1]):
            raise AnnotationError(
                f'{ann_file}:{lineno}: {line!r}: the label {parts[1]!r} is '
                'not an integer; a video list line is `path [label]`')
        if len(parts) == 2 and not _is_int(parts[1]) and any(
                t.lower().endswith(VIDEO_EXTENSIONS) or _is_number(t)
                for t in tokens[:-1]):
            raise AnnotationError(
                f'{ann_file}:{lineno}: {line!r} has columns after the path '
                'and label; a video list line is `path [label]`')
        if len(parts) == 2 and _is_int(parts[1]):
            path, label = parts[0], int(parts[1])
            if ' ' in path and _is_int(path.split()[-1]):
                raise AnnotationError(
                    f'{ann_file}:{lineno}: {line!r} has several numeric '
                    'columns; a video list line is `path [label]` (rawframe '
                    'lists `dir total_frames label` go to '
                    'TwoViewRawframeDataset)')
        else:
            path, label = line, -1
        entries.append((path, label))
    if not entries:
        raise ValueError(f'video list {ann_file} lists no video')
    return entries


@DATASETS.register_module()
class TwoViewVideoDataset(SkipBadVideosMixin, BaseActionDataset):
    """Videos for two-view (ConST-CL / CVRL) pretraining.

    The list file has one video per line, ``path [label]``::

        abseiling/-3B32lodo2M_000059_000069.mp4 0
        air_drumming/-VtLx-mcPds_000012_000022.mp4 1
        unlabeled/clip.mp4

    Labels are optional (``-1`` when absent) and unused by pretraining.
    ``path`` is joined to ``data_prefix['video']``; the raw path is kept as
    ``video_key`` (used to look up detector proposals).

    The pipeline opens each video once (:class:`VideoReaderInit`), samples
    both clips (:class:`CVRLSampleFrames`) and decodes them in one call
    (:class:`MultiClipDecode`). Unreadable videos are skipped, counted and
    replaced (:class:`SkipBadVideosMixin`).

    Args:
        ann_file (str): The video list.
        pipeline (list[dict | callable]): The transforms.
        data_prefix (dict): ``dict(video=<root>)``. Defaults to
            ``dict(video='')``.
        max_consecutive_failures (int): Unreadable samples in a row before
            :class:`TooManyBadVideosError`. Defaults to 50.
        start_index (int): Frame index base (0 for videos). Defaults to 0.
        modality (str): Defaults to ``'RGB'``.
        test_mode (bool): Defaults to False.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`
            (``lazy_init``, ``serialize_data``, ``max_refetch``, ...).
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[ConfigType, Callable]],
                 data_prefix: ConfigType = dict(video=''),
                 **kwargs) -> None:
        super().__init__(
            ann_file, pipeline=pipeline, data_prefix=data_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Loads the video list."""
        prefix: Optional[str] = self.data_prefix.get('video')
        data_list = []
        for path, label in parse_video_list(self.ann_file):
            filename = osp.join(prefix, path) if prefix else path
            data_list.append(
                dict(filename=filename, label=label, video_key=path))
        return data_list
