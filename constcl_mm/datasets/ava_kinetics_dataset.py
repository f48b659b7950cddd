# Copyright (c) constcl_mm authors. All rights reserved.
"""AVA v2.2 and AVA-Kinetics keyframes for spatio-temporal action detection.

Supported annotation format (the AVA csv format, which AVA-Kinetics v1.0
extends): one row per (person box, action) of a keyframe::

    video_id,timestamp,x1,y1,x2,y2,action_id[,person_id]
    video_id,timestamp                      # keyframe without any action

* **AVA rows**: ``video_id`` is the movie's YouTube id, ``timestamp`` a whole
  second in 902-1798 (``0902``). Frames: ``<img root>/<video_id>/img_%05d.jpg``
  extracted at 30 fps from second 900 on (``img_00001`` is 900.0 s), as
  mmaction2's ``AVADataset`` reads them.
* **Kinetics rows** (``kinetics_{train,val}_v1.0.csv``): ``video_id`` is the
  YouTube id of a Kinetics-700 video and ``timestamp`` the keyframe's time in
  seconds *in that YouTube video*, possibly fractional (the official
  AVA-Kinetics evaluation keeps microseconds); the person id may be absent.
  One keyframe is annotated per 10-s Kinetics clip. Frames:
  ``<kinetics root>/<youtube_id>_<start:06d>_<end:06d>/img_%05d.jpg``
  extracted at 30 fps from the clip's first frame (``start`` and ``end`` are
  the clip's whole seconds in the YouTube video, the Kinetics file naming);
  frame ``k`` is at ``start + (k - 1) / 30`` s. The clip covering a keyframe
  is found from the folder names under the Kinetics root, or from
  ``kinetics_clip_list``. Rows whose video id already is such a clip name
  (mmaction2's ``tools/data/ava_kinetics`` rewrites the csv that way) are
  read as is.
* **Mixed files** (AVA and Kinetics rows in one csv): the source of each row
  follows :func:`~constcl_mm.datasets.ava_annotations.infer_source`; the
  metric uses the same rule.

Without a proposal file the ground-truth boxes are the proposals (training
on ground-truth person boxes, or testing "with GT boxes").
"""
import os
import os.path as osp
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmaction.datasets import AVADataset
from mmaction.registry import DATASETS
from mmengine.logging import MMLogger

from ..utils.errors import AnnotationError
from ..utils.safe_pickle import load_data_pickle
from ..utils.text_files import read_lines
from .ava_annotations import (AVA, KINETICS, SOURCES, ClipIndex, find_clip,
                              infer_source, keyframe_key, parse_ava_row,
                              parse_kinetics_clip_name, read_exclusions,
                              read_kinetics_clip_index, read_video_list)


@DATASETS.register_module()
class MixedAVAKineticsDataset(AVADataset):
    """AVA v2.2, the Kinetics part of AVA-Kinetics, or both.

    See the module docstring for the annotation and folder format. Each
    entry is one keyframe with its person boxes (``gt_bboxes`` normalised
    x1y1x2y2, ``gt_labels`` multi-hot over ``num_classes``), its ``source``
    ('ava' or 'kinetics') and ``img_key`` (the evaluation key). AVA entries
    are those of mmaction2's ``AVADataset``; Kinetics entries add
    ``keyframe_index`` and ``frame_range`` for
    :class:`SampleAVAKineticsFrames`.

    Keyframes are skipped, and counted in the log, when their Kinetics clip
    is not on disk, or when they have no box and there is nothing to run the
    model on (in training, or when testing on ground-truth boxes).

    Args:
        ann_file (str): csv of AVA rows, Kinetics rows or both.
        pipeline (list): Transforms; use :class:`SampleAVAKineticsFrames`
            when there are Kinetics rows.
        kinetics_ann_file (str, optional): A second csv whose rows are all
            Kinetics (``kinetics_{train,val}_v1.0.csv``).
        exclude_file (str, optional): AVA excluded keyframes.
        label_file (str, optional): Label map (needed for
            ``custom_classes``).
        proposal_file (str | list[str], optional): Person-detection pickles
            ``{img_key: array (n, 4 or 5)}`` (normalised boxes[, score]),
            merged. They are read with an allow-list (numpy arrays and
            plain Python types only, :func:`load_data_pickle`): a pickle
            naming any other type is refused, never executed. None: the
            ground-truth boxes are the proposals.
        ava_video_list (str, optional): AVA movie ids, to split a mixed csv
            exactly (see ``infer_source``).
        kinetics_clip_list (str, optional): Kinetics clips on disk (see
            :func:`read_kinetics_clip_index`); default: the folders under
            ``data_prefix['kinetics']``.
        data_prefix (dict): ``img``: AVA frame folders; ``kinetics``: Kinetics
            clip frame folders (defaults to ``img``).
        filename_tmpl (str): Frame file names. Defaults to 'img_{:05}.jpg'.
        fps (int): Frame rate of the extracted frames. Defaults to 30.
        **kwargs: Other :class:`AVADataset` arguments (``start_index``,
            ``person_det_score_thr``, ``num_max_proposals``,
            ``num_classes``, ``custom_classes``, ``timestamp_start``,
            ``timestamp_end``, ``test_mode`` ...).
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[dict, Callable]],
                 kinetics_ann_file: Optional[str] = None,
                 exclude_file: Optional[str] = None,
                 label_file: Optional[str] = None,
                 proposal_file: Optional[Union[str, Sequence[str]]] = None,
                 ava_video_list: Optional[str] = None,
                 kinetics_clip_list: Optional[str] = None,
                 data_prefix: dict = dict(img='', kinetics=None),
                 **kwargs) -> None:
        for key in ('use_frames', 'multilabel'):
            if not kwargs.pop(key, True):
                raise ValueError(f'MixedAVAKineticsDataset needs {key}=True')
        self.kinetics_ann_file = kinetics_ann_file
        self.ava_video_list = ava_video_list
        self.kinetics_clip_list = kinetics_clip_list
        self.proposal_files = [] if proposal_file is None else (
            [proposal_file]
            if isinstance(proposal_file, str) else list(proposal_file))
        self.use_gt_proposals = proposal_file is None
        self.skipped: Dict[str, Counter] = defaultdict(Counter)
        data_prefix = dict(data_prefix)
        if not data_prefix.get('kinetics'):
            data_prefix['kinetics'] = data_prefix.get('img', '')
        super().__init__(
            ann_file,
            pipeline,
            exclude_file=exclude_file,
            label_file=label_file,
            proposal_file=None,
            data_prefix=data_prefix,
            **kwargs)
        self.proposal_file = proposal_file
        self.proposals = self._load_proposals()
        self._check_pipeline()
        self._frame_counts: Dict[str, int] = {}

    # ------------------------------------------------------------------
    # annotations
    # ------------------------------------------------------------------
    def _read_rows(self, path: str, source: Optional[str], ava_ids):
        """Yields ``(source, video_id, timestamp, box, label, entity_id)``."""
        if not osp.isfile(path):
            raise FileNotFoundError(f'annotation file {path} does not exist')
        for lineno, line in enumerate(read_lines(path), 1):
            line = line.strip()
            if not line:
                continue
            fields = line.split(',')
            where = f'{path}:{lineno}'
            # finite, normalised boxes and action ids >= 1 checked there
            video_id, timestamp, box, label, _ = parse_ava_row(fields, where)
            if box is not None:
                y1, x1, y2, x2 = box
                if not 0 <= label < self.num_classes and \
                        self.custom_classes is None:
                    raise AnnotationError(
                        f'{where}: action id {label} is outside 1..'
                        f'{self.num_classes - 1} (num_classes)')
                box = np.array([x1, y1, x2, y2], dtype=np.float64)
            entity_id = int(fields[7]) if len(fields) == 8 and \
                fields[7].strip().lstrip('-').isdigit() else -1
            row_source = source or infer_source(video_id, timestamp, ava_ids)
            yield row_source, video_id, timestamp, box, label, entity_id

    def _group_boxes(self, rows) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Merges the rows of one keyframe into boxes with multi-hot labels
        (rows of the same box are one person)."""
        boxes, labels, entity_ids = [], [], []
        index = {}
        for box, label, entity_id in rows:
            if self.custom_classes is not None:
                if label not in self.custom_classes:
                    continue
                label = self.custom_classes.index(label)
            key = box.tobytes()
            if key not in index:
                index[key] = len(boxes)
                boxes.append(box)
                labels.append(np.zeros(self.num_classes, dtype=np.float32))
                entity_ids.append(entity_id)
            labels[index[key]][label] = 1.
        if not boxes:
            return (np.zeros(
                (0, 4), np.float64), np.zeros(
                    (0, self.num_classes), np.float32), np.zeros(0, np.int64))
        return np.stack(boxes), np.stack(labels), np.array(entity_ids)

    def _kinetics_clip(self, video_id: str, timestamp: Decimal,
                       clip_index: Optional[ClipIndex]):
        parsed = parse_kinetics_clip_name(video_id)
        if parsed is not None:
            return parsed[1], parsed[2], video_id
        return find_clip((clip_index or {}).get(video_id, ()), timestamp)

    def load_data_list(self) -> List[dict]:
        """Reads the csv file(s) into one entry per keyframe."""
        ava_ids = read_video_list(self.ava_video_list)
        files = [(self.ann_file, None)]
        if self.kinetics_ann_file is not None:
            files.append((self.kinetics_ann_file, KINETICS))
        keyframes = {}
        rows_of = defaultdict(list)
        for path, source in files:
            for row_source, video_id, ts, box, label, entity_id in \
                    self._read_rows(path, source, ava_ids):
                key = keyframe_key(video_id, ts)
                keyframes.setdefault(key, (row_source, video_id, ts))
                if box is not None:
                    rows_of[key].append((box, label, entity_id))
        clip_index = None
        if any(s == KINETICS and parse_kinetics_clip_name(v) is None
               for s, v, _ in keyframes.values()):
            clip_index = read_kinetics_clip_index(self.kinetics_clip_list,
                                                  self.data_prefix['kinetics'])
        data_list = []
        for key, (source, video_id, ts) in keyframes.items():
            bboxes, labels, entity_ids = self._group_boxes(rows_of[key])
            if len(bboxes) == 0 and (not self.test_mode
                                     or self.use_gt_proposals):
                self.skipped[source]['without boxes'] += 1
                continue
            info = dict(
                video_id=video_id,
                img_key=key,
                source=source,
                fps=self._FPS,
                ann=dict(
                    gt_bboxes=bboxes, gt_labels=labels, entity_ids=entity_ids))
            if source == AVA:
                info.update(
                    frame_dir=osp.join(self.data_prefix['img'], video_id),
                    timestamp=int(ts),
                    timestamp_start=self.timestamp_start,
                    timestamp_end=self.timestamp_end,
                    shot_info=(0, (self.timestamp_end - self.timestamp_start) *
                               self._FPS))
            else:
                clip = self._kinetics_clip(video_id, ts, clip_index)
                if clip is None:
                    self.skipped[source]['clip not on disk'] += 1
                    continue
                start, end, clip_name = clip
                info.update(
                    frame_dir=osp.join(self.data_prefix['kinetics'],
                                       clip_name),
                    timestamp=int(ts) if ts == int(ts) else float(ts),
                    timestamp_start=start,
                    timestamp_end=end,
                    keyframe_index=int(
                        ((ts - start) * self._FPS).to_integral_value()) + 1)
            data_list.append(info)
        return data_list

    def filter_data(self) -> List[dict]:
        """Drops the excluded keyframes and logs what was kept per source."""
        excluded = read_exclusions(self.exclude_file)
        data_list = []
        for info in self.data_list:
            if info['img_key'] in excluded:
                self.skipped[info['source']]['excluded'] += 1
            else:
                data_list.append(info)
        logger = MMLogger.get_current_instance()
        kept = Counter(info['source'] for info in data_list)
        for source in SOURCES:
            if not kept[source] and not self.skipped[source]:
                continue
            skipped = ', '.join(f'{n} {why}'
                                for why, n in self.skipped[source].items())
            logger.info(f'{type(self).__name__} ({self.ann_file}): '
                        f'{kept[source]} {source} keyframes' +
                        (f'; skipped {skipped}' if skipped else ''))
        if self.skipped[KINETICS]['clip not on disk']:
            logger.warning(
                f'{self.skipped[KINETICS]["clip not on disk"]} Kinetics '
                'keyframes have no clip folder <youtube_id>_<start:06d>_'
                f'<end:06d> under {self.data_prefix["kinetics"]} (or in '
                f'{self.kinetics_clip_list}) covering their timestamp')
        if not data_list:
            raise AnnotationError(f'no usable keyframe in {self.ann_file}' +
                                  (f' / {self.kinetics_ann_file}' if self.
                                   kinetics_ann_file else ''))
        return data_list

    # ------------------------------------------------------------------
    # proposals and frames
    # ------------------------------------------------------------------
    def _load_proposals(self) -> Optional[dict]:
        if self.use_gt_proposals:
            return None
        proposals = {}
        for path in self.proposal_files:
            if not osp.isfile(path):
                raise FileNotFoundError(f'proposal file {path} does not '
                                        'exist')
            proposals.update(
                self._checked_proposals(path, load_data_pickle(path)))
        infos = (self.get_data_info_raw(i) for i in range(len(self)))
        missing = Counter(info['source'] for info in infos
                          if self._proposal_key(info, proposals) is None)
        if missing:
            MMLogger.get_current_instance().warning(
                'no proposals for ' + ', '.join(f'{n} {s} keyframes'
                                                for s, n in missing.items()) +
                f' in {self.proposal_files}: they get one whole-frame box')
        empty = sum(1 for v in proposals.values() if len(v) == 0)
        if empty:
            MMLogger.get_current_instance().warning(
                f'{empty} keyframes of {self.proposal_files} have no '
                'proposal (a (0, 4|5) array): they get one whole-frame box')
        return proposals

    @staticmethod
    def _checked_proposals(path: str, content) -> Dict[str, np.ndarray]:
        """``{img_key: (n, 4|5) float64}`` of a proposal pickle, each entry
        checked (shape, finite values), errors naming the file and key."""
        if not isinstance(content, dict):
            raise AnnotationError(
                f'proposal file {path} holds a {type(content).__name__}; '
                'expected a dict "video_id,timestamp" -> (n, 4) or (n, 5) '
                'array of normalised x1,y1,x2,y2[,score]')
        checked = {}
        for key, value in content.items():
            try:
                arr = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise AnnotationError(
                    f'proposals of {key} in {path} are not a numeric '
                    'array') from None
            if arr.size == 0:
                arr = arr.reshape(0, arr.shape[-1] if arr.ndim == 2 else 4)
            if arr.ndim != 2 or arr.shape[1] not in (4, 5):
                raise AnnotationError(
                    f'proposals of {key} in {path} must be (n, 4) or '
                    f'(n, 5), got {arr.shape}')
            if not np.isfinite(arr).all():
                raise AnnotationError(
                    f'proposals of {key} in {path} hold NaN or infinite '
                    'values')
            checked[key] = arr
        return checked

    def get_data_info_raw(self, idx: int) -> dict:
        return super(AVADataset, self).get_data_info(idx)

    @staticmethod
    def _proposal_key(info: dict, proposals: dict) -> Optional[str]:
        """The key of an entry in a proposal pickle: its ``img_key``, or
        ``<youtube_id>,<int timestamp:04d>`` as mmaction2 writes Kinetics
        proposals."""
        key = info['img_key']
        if key in proposals:
            return key
        if info['source'] == KINETICS:
            parsed = parse_kinetics_clip_name(info['video_id'])
            ytid = parsed[0] if parsed else info['video_id']
            alt = f'{ytid},{int(info["timestamp"]):04d}'
            if alt in proposals:
                return alt
        return None

    def _set_proposals(self, info: dict) -> None:
        if self.proposals is None:
            info['proposals'] = info['gt_bboxes'].copy()
            info['scores'] = np.ones(len(info['gt_bboxes']))
            return
        key = self._proposal_key(info, self.proposals)
        if key is None:
            info['proposals'] = np.array([[0., 0., 1., 1.]])
            info['scores'] = np.array([1.])
            return
        proposals = self.proposals[key]  # checked by _checked_proposals
        if len(proposals) == 0:
            info['proposals'] = np.array([[0., 0., 1., 1.]])
            info['scores'] = np.array([1.])
            return
        if proposals.shape[1] == 5:
            thr = min(self.person_det_score_thr, proposals[:, 4].max())
            proposals = proposals[proposals[:, 4] >= thr]
        proposals = proposals[:self.num_max_proposals]
        if proposals[:, :4].min() < 0 or proposals[:, :4].max() > 1:
            raise AnnotationError(
                f'proposals of {key} in {self.proposal_files} are not '
                'normalised to [0, 1]')
        info['proposals'] = proposals[:, :4]
        info['scores'] = proposals[:, 4] if proposals.shape[1] == 5 else \
            np.ones(len(proposals))

    def _count_frames(self, frame_dir: str) -> int:
        if frame_dir not in self._frame_counts:
            if not osp.isdir(frame_dir):
                raise FileNotFoundError(
                    f'Kinetics clip frames {frame_dir} do not exist')
            self._frame_counts[frame_dir] = sum(
                1 for name in os.listdir(frame_dir)
                if name.endswith(('.jpg', '.jpeg', '.png')))
            if self._frame_counts[frame_dir] == 0:
                raise FileNotFoundError(f'no frame files in {frame_dir}')
        return self._frame_counts[frame_dir]

    def get_data_info(self, idx: int) -> dict:
        """One keyframe, ready for the pipeline."""
        info = self.get_data_info_raw(idx)
        info['filename_tmpl'] = self.filename_tmpl
        ann = info.pop('ann')
        info['gt_bboxes'] = ann['gt_bboxes']
        info['gt_labels'] = ann['gt_labels']
        info['entity_ids'] = ann['entity_ids']
        self._set_proposals(info)
        if 'keyframe_index' in info:
            num_frames = self._count_frames(info['frame_dir'])
            info['frame_range'] = (1, num_frames)
            info['keyframe_index'] = int(
                np.clip(info['keyframe_index'], 1, num_frames))
        return info

    def _check_pipeline(self) -> None:
        has_kinetics = any(
            self.get_data_info_raw(i)['source'] == KINETICS
            for i in range(len(self)))
        names = [type(t).__name__ for t in self.pipeline.transforms]
        if has_kinetics and 'SampleAVAFrames' in names:
            raise ValueError(
                'this dataset has Kinetics keyframes, which SampleAVAFrames '
                "cannot sample: use dict(type='SampleAVAKineticsFrames', "
                '...) in the pipeline')
