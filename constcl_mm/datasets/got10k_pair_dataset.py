# Copyright (c) constcl_mm authors. All rights reserved.
"""Exemplar/search frame pairs from a GOT-10k-format dataset (SiamFC)."""
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from mmaction.registry import DATASETS
from mmengine.dataset import BaseDataset, force_full_init
from mmengine.fileio import list_from_file
from mmengine.logging import print_log

from .otb_dataset import load_sot_bboxes, missing_frames


def _read_labels(path: str, length: int) -> Optional[np.ndarray]:
    """Integer per-frame labels (``absence.label``, ``cover.label``)."""
    if not osp.exists(path):
        return None
    values = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                values.append(int(float(line)))
            except ValueError:
                raise ValueError(f'{path}, line {lineno}: expected an '
                                 f'integer, got {line!r}')
    if len(values) != length:
        raise ValueError(f'{path} has {len(values)} labels for {length} '
                         'boxes in groundtruth.txt')
    return np.asarray(values)


@DATASETS.register_module()
class GOT10kPairDataset(BaseDataset):
    """SiamFC training pairs from sequences in the GOT-10k layout.

    Layout::

        <data_prefix.img_path>/<seq>/00000001.jpg ...
        <data_prefix.img_path>/<seq>/groundtruth.txt   x,y,w,h per frame
        <data_prefix.img_path>/<seq>/absence.label     optional, 1 = absent
        <data_prefix.img_path>/<seq>/cover.label       optional, 0 = hidden
        <ann_file> (list.txt)                           one <seq> per line

    Boxes are taken as 0-based continuous pixel coordinates
    (``x1 = x``, ``x2 = x + w``). A frame is valid when its box is finite
    with positive size and the labels (if present) say the target is
    visible. Every item draws a fresh pair in a sequence: an exemplar frame
    and a search frame, both valid, at most ``frame_range`` frames apart
    (distinct when the sequence allows). Each comes with ``num_neighbors``
    frames on each side (clamped to the sequence) for the video backbone.
    Sequences with fewer than two valid frames are skipped and counted in
    the log; malformed files raise, naming the file and line, and so do a
    missing frame file or a ground truth shorter than the frames (checked
    when the dataset is built, not when a pair first needs them).

    Args:
        ann_file (str): The sequence list, e.g. ``train/list.txt``.
        frame_range (int): Maximum frame distance of a pair.
            Defaults to 100 (SiamFC).
        num_neighbors (int): Context frames on each side. Defaults to 2.
        pairs_per_seq (int): Items per sequence and epoch. Defaults to 1.
        framename_template (str): Defaults to ``'%08d.jpg'`` (1-based).
        **kwargs: :class:`BaseDataset` arguments (``data_root``,
            ``data_prefix``, ``pipeline`` ...).
    """

    def __init__(self,
                 ann_file: str,
                 frame_range: int = 100,
                 num_neighbors: int = 2,
                 pairs_per_seq: int = 1,
                 framename_template: str = '%08d.jpg',
                 data_root: Optional[str] = '',
                 data_prefix: dict = dict(img_path=''),
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 **kwargs) -> None:
        if frame_range < 0 or num_neighbors < 0 or pairs_per_seq < 1:
            raise ValueError(
                'need frame_range >= 0, num_neighbors >= 0, pairs_per_seq '
                f'>= 1; got {frame_range}, {num_neighbors}, {pairs_per_seq}')
        self.frame_range = frame_range
        self.num_neighbors = num_neighbors
        self.pairs_per_seq = pairs_per_seq
        self.framename_template = framename_template
        self.num_skipped = 0
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            pipeline=list(pipeline),
            **kwargs)

    def load_data_list(self) -> List[dict]:
        root = self.data_prefix.get('img_path', '') or self.data_root or ''
        names = [n.strip() for n in list_from_file(self.ann_file) if n.strip()]
        if not names:
            raise ValueError(f'{self.ann_file} lists no sequence')
        data_list, skipped = [], []
        for name in names:
            seq_dir = osp.join(root, name)
            gt_file = osp.join(seq_dir, 'groundtruth.txt')
            if not osp.isfile(gt_file):
                raise FileNotFoundError(
                    f'sequence {name!r} listed in {self.ann_file} has no '
                    f'{gt_file}')
            boxes = load_sot_bboxes(gt_file)
            valid = np.isfinite(boxes).all(1) & (boxes[:, 2] > 0) & (
                boxes[:, 3] > 0)
            absence = _read_labels(
                osp.join(seq_dir, 'absence.label'), len(boxes))
            if absence is not None:
                valid &= absence == 0
            cover = _read_labels(osp.join(seq_dir, 'cover.label'), len(boxes))
            if cover is not None:
                valid &= cover > 0
            if valid.sum() < 2:
                skipped.append(name)
                continue
            problem = missing_frames(seq_dir, self.framename_template,
                                     range(1,
                                           len(boxes) + 1))
            if problem:
                raise FileNotFoundError(
                    f'sequence {name!r}: {gt_file} has {len(boxes)} boxes '
                    f'but {problem}')
            extra = osp.join(seq_dir,
                             self.framename_template % (len(boxes) + 1))
            if osp.isfile(extra):
                raise ValueError(
                    f'sequence {name!r}: {gt_file} has {len(boxes)} boxes '
                    f'but the folder has more frames ({extra} exists): the '
                    'ground truth is shorter than the sequence')
            bboxes = boxes.copy()
            bboxes[:, 2:] += bboxes[:, :2]
            data_list.append(
                dict(
                    video_name=name,
                    seq_dir=seq_dir,
                    gt_bboxes=bboxes.astype(np.float32),
                    valid_frames=np.flatnonzero(valid)))
        self.num_skipped = len(skipped)
        if skipped:
            print_log(
                f'{self.__class__.__name__}: skipped {len(skipped)} of '
                f'{len(names)} sequences with fewer than 2 valid frames '
                f'(e.g. {skipped[:5]})',
                logger='current')
        if not data_list:
            raise ValueError(f'no usable sequence in {self.ann_file}')
        return data_list

    @property
    @force_full_init
    def num_sequences(self) -> int:
        return super().__len__()

    @force_full_init
    def __len__(self) -> int:
        return self.num_sequences * self.pairs_per_seq

    def sample_pair(self, valid_frames: np.ndarray) -> tuple:
        """Two valid frame indices at most ``frame_range`` apart.

        Returns:
            tuple[int, int]: ``(exemplar, search)`` 0-based frame indices,
            distinct unless the only candidates are the frame itself.
        """
        i = int(np.random.choice(valid_frames))
        near = valid_frames[(np.abs(valid_frames - i) <= self.frame_range)
                            & (valid_frames != i)]
        j = int(np.random.choice(near)) if len(near) else i
        return i, j

    def _paths(self, seq: dict, frame: int) -> List[str]:
        length = len(seq['gt_bboxes'])
        ids = [
            min(max(frame + k, 0), length - 1)
            for k in range(-self.num_neighbors, self.num_neighbors + 1)
        ]
        return [
            osp.join(seq['seq_dir'], self.framename_template % (i + 1))
            for i in ids
        ]

    def get_pair_info(self, idx: int) -> dict:
        """Draws a pair from sequence ``idx % num_sequences``."""
        seq = self.get_data_info(idx % self.num_sequences)
        i, j = self.sample_pair(seq['valid_frames'])
        return dict(
            video_name=seq['video_name'],
            exemplar_frame_id=i,
            search_frame_id=j,
            exemplar_paths=self._paths(seq, i),
            search_paths=self._paths(seq, j),
            exemplar_bbox=seq['gt_bboxes'][i].copy(),
            search_bbox=seq['gt_bboxes'][j].copy())

    def prepare_data(self, idx: int) -> dict:
        return self.pipeline(self.get_pair_info(idx))
