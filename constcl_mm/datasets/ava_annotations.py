# Copyright (c) constcl_mm authors. All rights reserved.
"""Reading AVA v2.2 and AVA-Kinetics annotation files.

Shared by :class:`~constcl_mm.datasets.MixedAVAKineticsDataset`, the frame-mAP
of :mod:`constcl_mm.evaluation.functional.ava_kinetics` and the
``tools/data/ava`` scripts: csv rows and keyframe keys, label maps,
excluded keyframes, video lists, the source (AVA movie or Kinetics clip) of
a row, and the index of the extracted Kinetics clips.

Keyframe keys are ``"<video_id>,<timestamp>"`` with integer timestamps
written ``%04d`` (AVA's own ``0902`` form, so AVA proposal pickles match) and
fractional ones with 6 decimals, as the official AVA-Kinetics code does.
"""
import csv
import heapq
import io
import math
import os
import os.path as osp
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

from mmaction.evaluation.functional.ava_utils import read_labelmap

from ..utils.errors import AnnotationError
from ..utils.text_files import read_lines

AVA = 'ava'
KINETICS = 'kinetics'
SOURCES = (AVA, KINETICS)
# AVA keyframes are whole seconds of the 15th-30th minute of each movie.
AVA_TIME_RANGE = (900, 1800)
# mmaction2's AVA-Kinetics preparation names a Kinetics clip (and rewrites
# the csv video id as) <youtube_id>_<start:06d>_<end:06d>.
KINETICS_CLIP_RE = re.compile(r'^(?P<youtube_id>.+)_(?P<start>\d{6})_'
                              r'(?P<end>\d{6})$')

Box = List[float]  # [y1, x1, y2, x2], normalised, as the official code


def parse_timestamp(text: Union[str, int, float],
                    where: str = 'timestamp') -> Decimal:
    """A keyframe timestamp (seconds) as an exact decimal."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise AnnotationError(f'{where}: invalid timestamp {text!r}') from None
    if not value.is_finite():
        raise AnnotationError(f'{where}: invalid timestamp {text!r}')
    return value


def is_integral(value: Decimal) -> bool:
    return value == value.to_integral_value()


def keyframe_key(video_id: str, timestamp: Union[str, int, float,
                                                 Decimal]) -> str:
    """The identifier of a keyframe, shared by annotations and results.

    ``("0f39OWEqJ24", "0902") -> "0f39OWEqJ24,0902"`` (AVA, proposals use it)
    and ``("abcdefghijk", "12.5") -> "abcdefghijk,12.500000"``.
    """
    ts = timestamp if isinstance(timestamp, Decimal) else \
        parse_timestamp(timestamp)
    if is_integral(ts):
        return f'{video_id},{int(ts):04d}'
    return f'{video_id},{ts.quantize(Decimal("0.000001"))}'


def split_keyframe_key(key: str) -> Tuple[str, str]:
    """``"vid,0902" -> ("vid", "0902")`` (video ids never hold commas)."""
    video_id, _, timestamp = key.rpartition(',')
    return video_id, timestamp


def parse_kinetics_clip_name(name: str) -> Optional[Tuple[str, int, int]]:
    """``"<ytid>_000010_000020"`` -> ``("<ytid>", 10, 20)``, else None."""
    match = KINETICS_CLIP_RE.match(name)
    if match is None:
        return None
    return (match['youtube_id'], int(match['start']), int(match['end']))


def read_video_list(path: Optional[str]) -> Optional[Set[str]]:
    """Video ids, one a line (``ava_file_names_trainval_v2.1.txt`` works:
    file extensions are dropped)."""
    if path is None:
        return None
    if not osp.isfile(path):
        raise FileNotFoundError(f'video list {path} does not exist')
    ids = set()
    for line in read_lines(path):
        name = line.strip()
        if name:
            ids.add(osp.splitext(name)[0] if '.' in name else name)
    return ids


def infer_source(video_id: str,
                 timestamp: Decimal,
                 ava_video_ids: Optional[Set[str]] = None,
                 ava_time_range: Tuple[int, int] = AVA_TIME_RANGE) -> str:
    """Which dataset a row of a mixed AVA-Kinetics csv comes from.

    1. A video id of the form ``<ytid>_<start:06d>_<end:06d>`` names a
       Kinetics clip.
    2. With a list of the AVA movie ids, a row is AVA iff its id is listed.
    3. Otherwise a row is AVA iff its timestamp is a whole second within
       the AVA range (900-1800 s); Kinetics keyframes elsewhere in their
       YouTube video, or fractional, are Kinetics. A Kinetics keyframe at a
       whole second between 900 and 1800 s would be taken for AVA: pass the
       AVA id list (or the Kinetics rows in a file of their own) to rule that
       out.
    """
    if KINETICS_CLIP_RE.match(video_id):
        return KINETICS
    if ava_video_ids is not None:
        return AVA if video_id in ava_video_ids else KINETICS
    low, high = ava_time_range
    if is_integral(timestamp) and low <= timestamp <= high:
        return AVA
    return KINETICS


@dataclass
class KeyframeBoxes:
    """Boxes of one annotation or detection file, per keyframe key."""
    boxes: Dict[str, List[Box]] = field(default_factory=dict)
    labels: Dict[str, List[int]] = field(default_factory=dict)
    scores: Dict[str, List[float]] = field(default_factory=dict)
    # every keyframe listed, including those without any box
    sources: Dict[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> Set[str]:
        return set(self.sources)

    def update(self, other: 'KeyframeBoxes') -> None:
        for key in other.sources:
            if key in self.sources and self.boxes.get(key) and \
                    other.boxes.get(key):
                raise AnnotationError(
                    f'keyframe {key} appears in two annotation files')
            self.sources[key] = other.sources[key]
            if key in other.boxes:
                self.boxes[key] = other.boxes[key]
                self.labels[key] = other.labels[key]
                self.scores[key] = other.scores[key]


Row = Tuple[str, Decimal, Optional[Box], Optional[int], float]


def parse_ava_row(row: Sequence[str],
                  where: str,
                  score_column: bool = False) -> Row:
    """One csv row: ``video_id,timestamp[,x1,y1,x2,y2,action_id[,extra]]``.

    Box coordinates and scores must be finite and action ids >= 1 (AVA
    numbers its classes from 1); ground-truth boxes (``score_column=False``)
    must be normalised ``0 <= x1 < x2 <= 1``, ``0 <= y1 < y2 <= 1`` (a
    zero-area box is refused).

    Args:
        row (Sequence[str]): The fields.
        where (str): ``"file:line"`` for error messages.
        score_column (bool): The 8th field is a detection score (results)
            rather than a person id (ground truth).

    Returns:
        tuple: ``(video_id, timestamp, box [y1, x1, y2, x2] or None,
        action_id or None, score)``.
    """
    if len(row) not in (2, 7, 8):
        raise AnnotationError(
            f'{where}: expected 2 (video_id,timestamp), 7 or 8 fields, got '
            f'{len(row)}: {",".join(row)!r}')
    video_id = row[0].strip()
    if not video_id:
        raise AnnotationError(f'{where}: empty video id')
    timestamp = parse_timestamp(row[1], where)
    if len(row) == 2:
        return video_id, timestamp, None, None, 1.0
    try:
        x1, y1, x2, y2 = (float(v) for v in row[2:6])
    except ValueError:
        raise AnnotationError(
            f'{where}: box fields x1,y1,x2,y2 must be numbers, got '
            f'{row[2:6]}') from None
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        raise AnnotationError(
            f'{where}: box {x1},{y1},{x2},{y2} is not finite')
    if not score_column and not (0 <= x1 <= x2 <= 1 and 0 <= y1 <= y2 <= 1):
        raise AnnotationError(
            f'{where}: ground-truth box {x1},{y1},{x2},{y2} is not a '
            'normalised x1,y1,x2,y2 box within [0, 1]')
    if not score_column and (x1 == x2 or y1 == y2):
        raise AnnotationError(
            f'{where}: ground-truth box {x1},{y1},{x2},{y2} has zero area '
            '(x1 = x2 or y1 = y2): it could never be matched (IoU 0); fix '
            'or remove the row')
    try:
        action_id = int(row[6])
    except ValueError:
        raise AnnotationError(
            f'{where}: action id must be an integer, got {row[6]!r}') from None
    if action_id < 1:
        raise AnnotationError(
            f'{where}: action id {action_id}: AVA action ids start at 1')
    score = 1.0
    if len(row) == 8 and score_column:
        try:
            score = float(row[7])
        except ValueError:
            raise AnnotationError(
                f'{where}: score must be a number, got {row[7]!r}') from None
        if not math.isfinite(score):
            raise AnnotationError(f'{where}: score {row[7]!r} is not finite')
    return video_id, timestamp, [y1, x1, y2, x2], action_id, score


def collect_keyframes(
        rows: Iterable[Row],
        class_whitelist: Optional[Set[int]] = None,
        capacity: int = 0,
        source: Optional[str] = None,
        ava_video_ids: Optional[Set[str]] = None) -> KeyframeBoxes:
    """Groups rows by keyframe as the official ``read_csv`` does.

    Boxes of classes outside ``class_whitelist`` are dropped; with
    ``capacity > 0`` only the ``capacity`` highest-scoring boxes of a
    keyframe are kept (official: 50 for detections). Boxes come out sorted by
    descending score.
    """
    if source is not None and source not in SOURCES:
        raise ValueError(f'source must be one of {SOURCES}, got {source!r}')
    entries = defaultdict(list)
    out = KeyframeBoxes()
    for video_id, timestamp, box, action_id, score in rows:
        key = keyframe_key(video_id, timestamp)
        out.sources[key] = source or infer_source(video_id, timestamp,
                                                  ava_video_ids)
        if box is None:
            continue
        if class_whitelist and action_id not in class_whitelist:
            continue
        item = (score, action_id, *box)
        heap = entries[key]
        if capacity < 1 or len(heap) < capacity:
            heapq.heappush(heap, item)
        elif score > heap[0][0]:
            heapq.heapreplace(heap, item)
    for key, heap in entries.items():
        items = sorted(heap, key=lambda tup: -tup[0])
        out.scores[key] = [it[0] for it in items]
        out.labels[key] = [it[1] for it in items]
        out.boxes[key] = [list(it[2:]) for it in items]
    return out


def read_ava_csv(path: str,
                 class_whitelist: Optional[Set[int]] = None,
                 capacity: int = 0,
                 source: Optional[str] = None,
                 ava_video_ids: Optional[Set[str]] = None,
                 score_column: bool = False) -> KeyframeBoxes:
    """Reads an AVA / AVA-Kinetics csv (ground truth or results).

    Args:
        path (str): The csv.
        class_whitelist (set[int], optional): Classes to keep.
        capacity (int): Boxes kept per keyframe (0: all).
        source (str, optional): 'ava' or 'kinetics' for every row; None
            infers it per row (:func:`infer_source`).
        ava_video_ids (set[str], optional): See :func:`infer_source`.
        score_column (bool): Read the 8th field as a score (results files).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'annotation file {path} does not exist')

    def rows():
        for lineno, line in enumerate(read_lines(path), 1):
            row = next(csv.reader([line]), [])
            if not row or not ''.join(row).strip():
                continue
            yield parse_ava_row(row, f'{path}:{lineno}', score_column)

    return collect_keyframes(rows(), class_whitelist, capacity, source,
                             ava_video_ids)


def read_exclusions(path: Optional[str]) -> Set[str]:
    """Keys of the excluded keyframes (``video_id,timestamp`` per line)."""
    excluded = set()
    if path is None:
        return excluded
    if not osp.isfile(path):
        raise FileNotFoundError(f'exclusion file {path} does not exist')
    for lineno, line in enumerate(read_lines(path), 1):
        row = next(csv.reader([line]), [])
        if not row:
            continue
        if len(row) != 2:
            raise AnnotationError(
                f'{path}:{lineno}: expected video_id,timestamp, got '
                f'{",".join(row)!r}')
        excluded.add(
            keyframe_key(row[0].strip(),
                         parse_timestamp(row[1], f'{path}:{lineno}')))
    return excluded


def read_label_file(path: str) -> Tuple[List[dict], Set[int]]:
    """``(categories, class_ids)`` of a pbtxt label map (mmaction2's
    parser of the official format)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'label file {path} does not exist')
    categories, class_ids = read_labelmap(
        io.StringIO('\n'.join(read_lines(path)) + '\n'))
    if not class_ids:
        raise AnnotationError(f'{path}: no "id:" entries (is it a pbtxt '
                              'label map?)')
    return categories, set(class_ids)


ClipIndex = Dict[str, List[Tuple[int, int, str]]]


def read_kinetics_clip_index(path: Optional[str] = None,
                             frame_root: Optional[str] = None) -> ClipIndex:
    """YouTube id -> [(start, end, clip folder name)] of the Kinetics clips.

    Args:
        path (str, optional): A list of clips, one a line: a folder name
            ``<ytid>_<start:06d>_<end:06d>`` or ``youtube_id,start,end``
            (a header line starting with ``youtube_id`` is skipped).
        frame_root (str, optional): Without ``path``, the clip folders under
            this directory are listed.

    Returns:
        dict: The clips of every YouTube id, sorted by start.
    """
    index = defaultdict(list)
    if path is not None:
        if not osp.isfile(path):
            raise FileNotFoundError(f'Kinetics clip list {path} does not '
                                    'exist')
        for lineno, line in enumerate(read_lines(path), 1):
            line = line.strip()
            if not line or line.startswith('youtube_id'):
                continue
            fields = [v.strip() for v in line.split(',')]
            if len(fields) == 1:
                parsed = parse_kinetics_clip_name(
                    osp.basename(fields[0].rstrip('/')))
            elif len(fields) == 3:
                try:
                    parsed = (fields[0], int(float(fields[1])),
                              int(float(fields[2])))
                except ValueError:
                    parsed = None
            else:
                parsed = None
            if parsed is None:
                raise AnnotationError(
                    f'{path}:{lineno}: expected a clip folder name '
                    '<youtube_id>_<start:06d>_<end:06d> or '
                    f'youtube_id,start,end, got {line!r}')
            ytid, start, end = parsed
            index[ytid].append((start, end, f'{ytid}_{start:06d}_{end:06d}'))
    elif frame_root is not None and osp.isdir(frame_root):
        with os.scandir(frame_root) as entries:
            for entry in entries:
                parsed = parse_kinetics_clip_name(entry.name)
                if parsed is not None and entry.is_dir():
                    index[parsed[0]].append((parsed[1], parsed[2], entry.name))
    for clips in index.values():
        clips.sort()
    return dict(index)


def find_clip(clips: Sequence[Tuple[int, int, str]],
              timestamp: Decimal) -> Optional[Tuple[int, int, str]]:
    """The clip containing ``timestamp``, the most central one if several."""
    covering = [c for c in clips if c[0] <= timestamp <= c[1]]
    if not covering:
        return None
    return min(
        covering, key=lambda c: abs(Decimal(c[0] + c[1]) / 2 - timestamp))
