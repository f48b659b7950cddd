# Copyright (c) constcl_mm authors. All rights reserved.
"""OTB-2015 (OTB-100, TB-100) for one-pass evaluation of a tracker.

The layout is the benchmark's own: ``<root>/<Seq>/img/%04d.jpg`` and
``<root>/<Seq>/groundtruth_rect*.txt``. The 100 targets (98 folders: Jogging
and Skating2 hold two targets each) and their special cases are in
:data:`OTB100_TARGETS`, written from the public OTB-2015 benchmark
description (``configSeqs100.m`` of the OTB toolkit).
"""
import bisect
import logging
import os
import os.path as osp
import re
from typing import (Callable, Dict, Iterable, List, NamedTuple, Optional,
                    Sequence, Tuple, Union)

import numpy as np
from mmaction.registry import DATASETS
from mmengine.dataset import BaseDataset, force_full_init
from mmengine.fileio import get_local_path, list_from_file
from mmengine.logging import print_log

__all__ = [
    'OTBTarget', 'OTB100_TARGETS', 'OTB100Dataset', 'load_sot_bboxes',
    'parse_otb_infos'
]


class OTBTarget(NamedTuple):
    """One OTB-2015 target (a row of the benchmark's ``configSeqs100.m``).

    ``img_dir`` and ``ann_path`` are relative to the dataset root;
    ``start``/``end`` are 1-based frame numbers (image file names),
    inclusive.
    """
    name: str
    img_dir: str
    ann_path: str
    start: int
    end: int
    framename_template: str = '%04d.jpg'

    @property
    def folder(self) -> str:
        return self.img_dir.replace('\\', '/').split('/')[0]


#: The 100 targets of ``configSeqs100.m``: ``name last_frame`` with the
#: special cases as ``key=value``: David starts at frame 300, Tiger1 at 6
#: (its ground truth starts at frame 1), BlurCar1/3/4 at 247/3/18; Board has
#: 5-digit frame names; Jogging and Skating2 hold two targets each
#: (groundtruth_rect.1/.2.txt); Human4 uses groundtruth_rect.2.txt.
_OTB100_TABLE = """
Basketball 725; Biker 142; Bird1 408; Bird2 99; BlurBody 334
BlurCar1 988 start=247; BlurCar2 585; BlurCar3 359 start=3
BlurCar4 397 start=18; BlurFace 493; BlurOwl 631; Board 698 digits=5
Bolt 350; Bolt2 293; Box 1161; Boy 602; Car1 1020; Car2 913; Car24 3059
Car4 659; CarDark 393; CarScale 252; ClifBar 472; Coke 291; Couple 140
Coupon 327; Crossing 120; Crowds 347; Dancer 225; Dancer2 150
David 770 start=300; David2 537; David3 252; Deer 71; Diving 215; Dog 127
Dog1 1350; Doll 3872; DragonBaby 113; Dudek 1145; FaceOcc1 892
FaceOcc2 812; Fish 476; FleetFace 707; Football 362; Football1 74
Freeman1 326; Freeman3 460; Freeman4 283; Girl 500; Girl2 1500; Gym 767
Human2 1128; Human3 1698; Human4 667 gt=groundtruth_rect.2.txt; Human5 713
Human6 792; Human7 250; Human8 128; Human9 305; Ironman 166
Jogging-1 307 folder=Jogging gt=groundtruth_rect.1.txt
Jogging-2 307 folder=Jogging gt=groundtruth_rect.2.txt; Jump 122
Jumping 313; KiteSurf 84; Lemming 1336; Liquor 1741; Man 134; Matrix 100
Mhyang 1490; MotorRolling 164; MountainBike 228; Panda 1000; RedTeam 1918
Rubik 1997; Shaking 365; Singer1 351; Singer2 366; Skater 160; Skater2 435
Skating1 400; Skating2-1 473 folder=Skating2 gt=groundtruth_rect.1.txt
Skating2-2 473 folder=Skating2 gt=groundtruth_rect.2.txt; Skiing 81
Soccer 392; Subway 175; Surfer 376; Suv 945; Sylvester 1345
Tiger1 354 start=6; Tiger2 365; Toy 271; Trans 124; Trellis 569
Twinnings 472; Vase 271; Walking 412; Walking2 500; Woman 597
"""


def _parse_target(row: str) -> OTBTarget:
    """One ``name last [start=N] [folder=F] [gt=FILE] [digits=D]`` row."""
    name, end, *options = row.split()
    opts = dict(option.split('=', 1) for option in options)
    folder = opts.get('folder', name)
    gt_file = opts.get('gt', 'groundtruth_rect.txt')
    return OTBTarget(name, f'{folder}/img', f'{folder}/{gt_file}',
                     int(opts.get('start', 1)), int(end),
                     f"%0{opts.get('digits', 4)}d.jpg")


OTB100_TARGETS: Tuple[OTBTarget, ...] = tuple(
    _parse_target(row) for line in _OTB100_TABLE.strip().splitlines()
    for row in line.split(';'))

_NUMBER = r'[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?nan|[-+]?inf'
_BOX_LINE = re.compile(
    rf'^\s*({_NUMBER})[,\s]+({_NUMBER})[,\s]+'
    rf'({_NUMBER})[,\s]+({_NUMBER})[,\s]*$', re.IGNORECASE)


def load_sot_bboxes(path: str) -> np.ndarray:
    """Reads ``x,y,w,h`` boxes, one per line, comma/tab/space separated.

    Args:
        path (str): The ground-truth file.

    Returns:
        ndarray: ``(N, 4)`` float64 ``(x, y, w, h)`` as written in the file.

    Raises:
        ValueError: A line is not four numbers (names the file and line), or
            a blank line sits between boxes. Trailing blank lines are fine.
    """
    with get_local_path(path) as local:
        with open(local) as f:
            lines = f.read().splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    boxes = []
    for lineno, line in enumerate(lines, 1):
        match = _BOX_LINE.match(line)
        if match is None:
            raise ValueError(f'{path}, line {lineno}: expected 4 numbers '
                             f'x,y,w,h separated by commas, tabs or spaces, '
                             f'got {line!r}')
        boxes.append([float(v) for v in match.groups()])
    if not boxes:
        raise ValueError(f'{path} holds no box')
    return np.asarray(boxes, dtype=np.float64)


def missing_frames(img_dir: str, template: str,
                   frame_ids: Iterable[int]) -> Optional[str]:
    """What is missing among the frame files ``template % i`` of
    ``img_dir``, or None when all exist."""
    if not osp.isdir(img_dir):
        return f'frame folder {img_dir} does not exist'
    present = set(os.listdir(img_dir))
    missing = [template % i for i in frame_ids if template % i not in present]
    if not missing:
        return None
    more = f' and {len(missing) - 3} more' if len(missing) > 3 else ''
    return (f'{len(missing)} frame file(s) missing in {img_dir}: '
            f'{", ".join(missing[:3])}{more}')


def invalid_first_box(box: np.ndarray, ann_path: str) -> Optional[str]:
    """Why the first ``x, y, w, h`` box cannot start a tracker, or None."""
    if np.isfinite(box).all() and box[2] > 0 and box[3] > 0:
        return None
    return (f'the first box {box.tolist()} of {ann_path} (line 1) is not a '
            'valid initial box (NaN or empty): the tracker cannot start')


def too_short(boxes: np.ndarray, ann_path: str) -> Optional[str]:
    """Why a one-frame target cannot be scored, or None."""
    if len(boxes) > 1:
        return None
    return (f'{ann_path} has one frame only: it initialises the tracker, '
            'so OPE would score the given box against itself (success 95.2, '
            'precision 100); a target needs at least 2 frames')


#: How OPE scores a frame whose ground truth is not a valid box.
INVALID_GT_RULE = ('such frames count in the denominator of every score but '
                   'never succeed (a miss, as in the OTB toolkit)')


def invalid_later_boxes(boxes: np.ndarray,
                        ann_path: str,
                        first_line: int = 1) -> List[str]:
    """``file:line (x,y,w,h)`` of the boxes after the first that are NaN,
    infinite or of zero or negative width or height."""
    finite = np.isfinite(boxes).all(axis=1)
    sized = np.where(finite[:, None], boxes[:, 2:], 0) > 0
    bad = np.flatnonzero(~(finite & sized.all(axis=1)))
    return [
        f'{ann_path}:{i + first_line} '
        f'({",".join(f"{v:g}" for v in boxes[i])})' for i in bad if i > 0
    ]


def _target_by_path() -> Dict[Tuple[str, str], OTBTarget]:
    return {(t.img_dir, t.ann_path): t for t in OTB100_TARGETS}


def parse_otb_infos(ann_file: str) -> List[OTBTarget]:
    """Reads an OTB info file.

    Two formats, one target per line, ``#`` lines are comments:

    * ours (``tools/data/otb/gen_otb100_infos.py``):
      ``name,video_path,ann_path,start_frame_id,end_frame_id,template``,
      e.g. ``Board,Board/img,Board/groundtruth_rect.txt,1,698,%05d.jpg``;
    * mmtracking's ``otb100_infos.txt``:
      ``video_path,ann_path,start_frame_id,end_frame_id`` after a first
      line of prose; names come from :data:`OTB100_TARGETS` (else the
      folder name) and Board gets 5-digit frame names, as in mmtracking.

    Returns:
        list[OTBTarget]: ``img_dir`` = ``video_path`` and ``ann_path``, both
        relative to the dataset root.
    """
    known = _target_by_path()
    targets = []
    lines = list_from_file(ann_file)
    for lineno, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        fields = [f.strip() for f in line.split(',')]
        try:
            if len(fields) == 6:
                name, img_dir, ann_path = fields[:3]
                start, end = int(fields[3]), int(fields[4])
                template = fields[5]
                try:
                    template % start
                except TypeError:
                    raise ValueError(f'bad frame name template {template!r}')
            elif len(fields) == 4:
                img_dir, ann_path = fields[:2]
                start, end = int(fields[2]), int(fields[3])
                row = known.get(
                    (img_dir.replace('\\', '/'), ann_path.replace('\\', '/')))
                folder = img_dir.replace('\\', '/').split('/')[0]
                name = row.name if row is not None else folder
                template = '%05d.jpg' if folder == 'Board' else '%04d.jpg'
            else:
                raise ValueError(f'expected 6 (or mmtracking\'s 4) '
                                 f'comma-separated fields, got {len(fields)}')
        except ValueError as e:
            if lineno == 1 and 'format' in line.lower():
                continue  # mmtracking's first line describes the format
            raise ValueError(f'{ann_file}, line {lineno}: {e}: {line!r}')
        if start < 0 or end < start:
            raise ValueError(f'{ann_file}, line {lineno}: frame range '
                             f'{start}-{end} is empty')
        targets.append(
            OTBTarget(name, img_dir, ann_path, start, end, template))
    return targets


@DATASETS.register_module()
class OTB100Dataset(BaseDataset):
    """OTB-2015 for one-pass evaluation (mmtracking 1.x ``OTB100Dataset``).

    Each item is one frame of one target, in order; ``len(dataset)`` is the
    total number of frames. Use it with :class:`VideoSampler` (a target's
    frames in order on one process) and batch size 1.

    Ground truth ``x,y,w,h`` (1-based pixels, OTB) becomes ``gt_bboxes``
    ``(1, 4)`` ``(x1, y1, x2, y2)`` in 0-based continuous pixel coordinates
    (pixel ``i`` covers ``[i, i + 1)``): ``x1 = x - 1``, ``x2 = x1 + w``.
    ``bbox_offset`` changes the ``-1``.

    For the paper's tracker each frame comes with ``num_neighbors`` frames on
    each side (clamped at the ends of the target's range): ``img_paths``
    lists the ``2 * num_neighbors + 1`` paths, the centre one is the frame.

    Ground-truth files longer than the frame range are accepted only when
    they start at frame 1 (Tiger1: 354 boxes for frames 6-354); the first
    ``start - 1`` boxes are then dropped. Any other mismatch raises.

    Args:
        ann_file (str): Info file (see :func:`parse_otb_infos`), relative to
            ``data_root``. Empty (the default): all targets of
            :data:`OTB100_TARGETS` in the standard layout under
            ``data_prefix['img_path']``.
        targets (Sequence[str], optional): Keep only these target names.
        num_neighbors (int): Frames on each side of every frame.
            Defaults to 2.
        bbox_offset (float): Added to ``x, y`` of the ground truth.
            Defaults to -1 (OTB is 1-based).
        check_frames (bool): Check at build that every frame file of each
            target exists (one directory listing per target); targets with
            missing frames are left out and listed. Defaults to True.
        data_prefix (dict): ``img_path`` is the root the video and
            annotation paths are relative to. Defaults to ``data_root``.
        test_mode (bool): Defaults to True (OPE has no training split).
        **kwargs: Other :class:`BaseDataset` arguments.
    """

    METAINFO = dict(dataset_type='OTB100')

    def __init__(self,
                 ann_file: str = '',
                 targets: Optional[Sequence[str]] = None,
                 num_neighbors: int = 2,
                 bbox_offset: float = -1.,
                 check_frames: bool = True,
                 data_root: Optional[str] = '',
                 data_prefix: dict = dict(img_path=''),
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = True,
                 **kwargs) -> None:
        if num_neighbors < 0:
            raise ValueError(f'num_neighbors must be >= 0, got '
                             f'{num_neighbors}')
        self.targets = None if targets is None else list(targets)
        self.num_neighbors = num_neighbors
        self.bbox_offset = bbox_offset
        self.check_frames = check_frames
        self._frame_offsets: List[int] = []
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            pipeline=list(pipeline),
            test_mode=test_mode,
            **kwargs)

    def _target_rows(self) -> list:
        if self.ann_file and not osp.isdir(self.ann_file):
            rows = parse_otb_infos(self.ann_file)
            source = self.ann_file
        else:
            rows = list(OTB100_TARGETS)
            source = 'OTB100_TARGETS'
        if self.targets is not None:
            names = {r.name for r in rows}
            unknown = [t for t in self.targets if t not in names]
            if unknown:
                raise KeyError(f'targets {unknown} are not in {source}')
            rows = [r for r in rows if r.name in set(self.targets)]
        if not rows:
            raise ValueError(f'no target selected from {source}')
        return rows

    def load_data_list(self) -> List[dict]:
        """One dict per target: paths, frame range and ground truth.

        Targets whose frame files are missing, whose first box cannot
        start a tracker (NaN or empty), or that have one frame only (nothing
        to score after the initialisation), are left out with a warning
        naming them and the reason; the others are evaluated, and
        ``metainfo['failed_targets']`` (``{name: reason}``) lists them for
        :class:`~constcl_mm.evaluation.SOTMetric`. Later boxes that are NaN
        or have no positive width and height are counted and named
        (``file:line``) in a warning and in
        ``metainfo['invalid_gt_frames']`` (``{name: [file:line (box)]}``):
        OPE scores those frames as misses (:data:`INVALID_GT_RULE`).
        """
        root = self.data_prefix.get('img_path', '') or self.data_root or ''
        data_list, failed, invalid_gt = [], {}, {}
        for row in self._target_rows():
            ann_path = osp.join(root, row.ann_path)
            boxes = load_sot_bboxes(ann_path)
            length = row.end - row.start + 1
            first_line = 1
            if len(boxes) == row.end and row.start > 1:
                boxes = boxes[row.start - 1:]  # Tiger1
                first_line = row.start
            elif len(boxes) != length:
                raise ValueError(
                    f'{ann_path} has {len(boxes)} boxes but target '
                    f'{row.name} spans frames {row.start}-{row.end} '
                    f'({length} frames)')
            img_dir = osp.join(root, row.img_dir)
            problem = (self.check_frames and missing_frames(
                img_dir, row.framename_template, range(
                    row.start, row.end + 1))) or invalid_first_box(
                        boxes[0], ann_path) or too_short(boxes, ann_path)
            if problem:
                failed[row.name] = problem
                print_log(
                    f'OTB target {row.name} is left out: {problem}',
                    logger='current',
                    level=logging.WARNING)
                continue
            invalid = invalid_later_boxes(boxes, ann_path, first_line)
            if invalid:
                invalid_gt[row.name] = invalid
                more = len(invalid) - 5
                print_log(
                    f'OTB target {row.name}: {len(invalid)} of {len(boxes)} '
                    'ground-truth boxes are NaN or have no positive width '
                    f'and height: {", ".join(invalid[:5])}' +
                    (f' and {more} more' if more > 0 else '') +
                    f'; {INVALID_GT_RULE}',
                    logger='current',
                    level=logging.WARNING)
            bboxes = boxes.copy()
            bboxes[:, :2] += self.bbox_offset
            bboxes[:, 2:] += bboxes[:, :2]
            data_list.append(
                dict(
                    video_id=len(data_list),
                    video_name=row.name,
                    img_dir=img_dir,
                    ann_path=ann_path,
                    start_frame_id=row.start,
                    end_frame_id=row.end,
                    framename_template=row.framename_template,
                    gt_bboxes=bboxes.astype(np.float32)))
        self._metainfo['failed_targets'] = failed
        self._metainfo['invalid_gt_frames'] = invalid_gt
        if not data_list:
            raise ValueError('no OTB target can be evaluated: ' +
                             '; '.join(f'{name}: {why}'
                                       for name, why in failed.items()))
        return data_list

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        super().full_init()
        lengths = [
            self.get_data_info(i)['end_frame_id'] -
            self.get_data_info(i)['start_frame_id'] + 1
            for i in range(self.num_videos)
        ]
        self._frame_offsets = np.cumsum([0] + lengths).tolist()

    @property
    @force_full_init
    def num_videos(self) -> int:
        return super().__len__()

    @property
    @force_full_init
    def num_frames_per_video(self) -> List[int]:
        offsets = self._frame_offsets
        return [offsets[i + 1] - offsets[i] for i in range(len(offsets) - 1)]

    @force_full_init
    def __len__(self) -> int:
        return self._frame_offsets[-1]

    def frame_index(self, video_idx: int, frame_idx: int) -> int:
        """Global index of frame ``frame_idx`` (0-based) of a video."""
        return self._frame_offsets[video_idx] + frame_idx

    def _locate(self, idx: Union[int, Tuple[int, int]]) -> Tuple[int, int]:
        if isinstance(idx, (tuple, list)):
            video_idx, frame_idx = (int(i) for i in idx)
        else:
            idx = int(idx)
            if not 0 <= idx < len(self):
                raise IndexError(f'frame {idx} out of range ({len(self)})')
            video_idx = bisect.bisect_right(self._frame_offsets, idx) - 1
            frame_idx = idx - self._frame_offsets[video_idx]
        length = self.num_frames_per_video[video_idx]
        if not 0 <= frame_idx < length:
            raise IndexError(f'frame {frame_idx} out of range for video '
                             f'{video_idx} ({length} frames)')
        return video_idx, frame_idx

    def get_frame_info(self, idx: Union[int, Tuple[int, int]]) -> dict:
        """The un-transformed dict of one frame.

        Args:
            idx (int | tuple[int, int]): Global frame index, or
                ``(video_idx, frame_idx)``.

        Returns:
            dict: ``img_path``, ``img_paths`` (the frame and its
            neighbours), ``frame_id`` (0-based within the target),
            ``video_id``, ``video_name``, ``video_length``,
            ``gt_bboxes`` ``(1, 4)`` and ``visible`` ``(1, )``.
        """
        video_idx, frame_idx = self._locate(idx)
        video = self.get_data_info(video_idx)
        length = self.num_frames_per_video[video_idx]
        start = video['start_frame_id']

        def path(i: int) -> str:
            return osp.join(video['img_dir'],
                            video['framename_template'] % (start + i))

        neighbours = [
            min(max(frame_idx + k, 0), length - 1)
            for k in range(-self.num_neighbors, self.num_neighbors + 1)
        ]
        bbox = video['gt_bboxes'][frame_idx:frame_idx + 1]
        w, h = bbox[0, 2] - bbox[0, 0], bbox[0, 3] - bbox[0, 1]
        return dict(
            img_path=path(frame_idx),
            img_paths=[path(i) for i in neighbours],
            frame_id=frame_idx,
            video_id=video['video_id'],
            video_name=video['video_name'],
            video_length=length,
            gt_bboxes=bbox.copy(),
            visible=np.array(
                [bool(np.isfinite(bbox).all() and w > 0 and h > 0)]))

    def prepare_data(self, idx: Union[int, Tuple[int, int]]) -> dict:
        return self.pipeline(self.get_frame_info(idx))
