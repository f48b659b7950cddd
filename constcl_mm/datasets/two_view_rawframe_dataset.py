# Copyright (c) constcl_mm authors. All rights reserved.
"""Two-view pretraining dataset over folders of extracted frames."""
import os.path as osp
from typing import Callable, List, Optional, Union

from mmaction.datasets import BaseActionDataset
from mmaction.registry import DATASETS
from mmaction.utils import ConfigType

from ..utils.text_files import read_lines
from .skip_bad_videos import SkipBadVideosMixin


def parse_rawframe_list(ann_file: str) -> List[tuple]:
    """Reads a ``frame_dir [total_frames [label]]`` list.

    Blank lines and lines starting with ``#`` are ignored.

    Args:
        ann_file (str): The list file.

    Returns:
        list[tuple]: ``(frame_dir, total_frames or None, label or -1)``.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'rawframe list {ann_file} does not exist')
    entries = []
    for lineno, line in enumerate(read_lines(ann_file), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        parts = line.split()
        if len(parts) > 3:
            raise ValueError(f'{ann_file}:{lineno}: {line!r}: expected '
                             '`frame_dir [total_frames [label]]`')
        try:
            numbers = [int(p) for p in parts[1:]]
        except ValueError:
            raise ValueError(
                f'{ann_file}:{lineno}: {line!r}: total_frames and label '
                'must be integers') from None
        total = numbers[0] if numbers else None
        label = numbers[1] if len(numbers) > 1 else -1
        entries.append((parts[0], total, label))
    if not entries:
        raise ValueError(f'rawframe list {ann_file} lists no folder')
    return entries


@DATASETS.register_module()
class TwoViewRawframeDataset(SkipBadVideosMixin, BaseActionDataset):
    """Rawframe folders for two-view (ConST-CL / CVRL) pretraining.

    The list file has one folder per line,
    ``frame_dir [total_frames [label]]`` (mmaction2's rawframe list with
    optional columns)::

        abseiling/-3B32lodo2M_000059_000069 300 0
        air_drumming/-VtLx-mcPds_000012_000022 250
        unlabeled/clip

    Without ``total_frames`` the frames are counted (files matching
    ``filename_tmpl``) when the folder is opened. ``frame_dir`` is joined to
    ``data_prefix['img']``; the raw value is kept as ``video_key``.

    The pipeline is the video one (:class:`VideoReaderInit` reads rawframe
    samples from their folder): both clips' frames are read once each.
    Missing folders or frame files and undecodable images are skipped,
    counted and replaced (:class:`SkipBadVideosMixin`).

    Args:
        ann_file (str): The rawframe list.
        pipeline (list[dict | callable]): The transforms.
        data_prefix (dict): ``dict(img=<root>)``. Defaults to
            ``dict(img='')``.
        filename_tmpl (str): Frame file name template. Defaults to
            ``'img_{:05}.jpg'``.
        start_index (int): Index of the first frame file. Defaults to 1.
        max_consecutive_failures (int): Unreadable samples in a row before
            :class:`TooManyBadVideosError`. Defaults to 50.
        modality (str): Only ``'RGB'``. Defaults to ``'RGB'``.
        test_mode (bool): Defaults to False.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[ConfigType, Callable]],
                 data_prefix: ConfigType = dict(img=''),
                 filename_tmpl: str = 'img_{:05}.jpg',
                 start_index: int = 1,
                 modality: str = 'RGB',
                 **kwargs) -> None:
        if modality != 'RGB':
            raise ValueError('TwoViewRawframeDataset reads RGB frames only, '
                             f'got modality={modality!r}')
        self.filename_tmpl = filename_tmpl
        super().__init__(
            ann_file,
            pipeline=pipeline,
            data_prefix=data_prefix,
            start_index=start_index,
            modality=modality,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Loads the rawframe list."""
        prefix: Optional[str] = self.data_prefix.get('img')
        data_list = []
        for frame_dir, total, label in parse_rawframe_list(self.ann_file):
            path = osp.join(prefix, frame_dir) if prefix else frame_dir
            data_list.append(
                dict(
                    frame_dir=path,
                    total_frames=total,
                    label=label,
                    video_key=frame_dir))
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """Sample ``idx`` with the frame name template."""
        info = super().get_data_info(idx)
        info['filename_tmpl'] = self.filename_tmpl
        return info
