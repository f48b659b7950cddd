# Copyright (c) constcl_mm authors. All rights reserved.
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mmaction.registry import METRICS
from mmaction.structures import bbox2result
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from ...datasets.ava_annotations import (KINETICS, SOURCES, collect_keyframes,
                                         keyframe_key, parse_timestamp,
                                         read_ava_csv, read_exclusions,
                                         read_label_file, read_video_list,
                                         split_keyframe_key)
from ...utils.errors import AnnotationError
from ..functional.ava_kinetics import ava_kinetics_eval, write_ava_results

EVAL_KEYS = ('all', 'processed')


@METRICS.register_module()
class AVAKineticsMetric(BaseMetric):
    """Frame-mAP on AVA v2.2 and AVA-Kinetics, overall and split by source.

    Computes the official ActivityNet AVA / AVA-Kinetics frame-mAP
    (:mod:`constcl_mm.evaluation.functional.ava_kinetics`): IoU 0.5, at most
    ``capacity`` detections per keyframe, negative keyframes (``video_id,
    timestamp`` rows) scored, fractional Kinetics timestamps kept. Besides
    ``overall`` it reports ``ava`` and ``kinetics``: the same metric restricted
    to the keyframes of AVA movies and of Kinetics clips (each source present
    in the ground truth gets its key).

    Results are keyed by the data sample's ``img_key`` (set by
    :class:`MixedAVAKineticsDataset`), or by ``video_id`` and ``timestamp``.

    Args:
        ann_file (str): Ground-truth csv: AVA, Kinetics or both mixed
            (sources inferred per row, see
            :func:`~constcl_mm.datasets.ava_annotations.infer_source`).
        label_file (str): pbtxt label map of the evaluated classes
            (``ava_action_list_v2.2_for_activitynet_2019.pbtxt``, 60).
        exclude_file (str, optional): AVA excluded keyframes.
        kinetics_ann_file (str, optional): A second ground-truth csv whose
            rows are all Kinetics (``kinetics_val_v1.0.csv``).
        ava_video_list (str, optional): AVA movie ids, to split a mixed csv
            exactly (``ava_file_names_trainval_v2.1.txt``).
        action_thr (float): Scores below are dropped. Defaults to 0.002
            (mmaction2's ``AVAMetric``).
        capacity (int): Detections kept per keyframe, the highest-scoring
            (official 50; 0 keeps all, as mmaction2's ``AVAMetric``).
        num_classes (int): Classes of the model incl. background.
            Defaults to 81.
        custom_classes (list[int], optional): AVA ids of the model's classes
            1..n when it was trained on a subset.
        iou_thr (float): Defaults to 0.5.
        eval_keys (str): 'all' ground-truth keyframes (the benchmark), or
            only those 'processed' by the model (e.g. when some Kinetics clips
            could not be downloaded). Defaults to 'all'.
        out_file (str, optional): Also write the detections in the official
            submission csv format.
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to 'mAP'.
    """
    default_prefix: Optional[str] = 'mAP'

    def __init__(self,
                 ann_file: str,
                 label_file: str,
                 exclude_file: Optional[str] = None,
                 kinetics_ann_file: Optional[str] = None,
                 ava_video_list: Optional[str] = None,
                 action_thr: float = 0.002,
                 capacity: int = 50,
                 num_classes: int = 81,
                 custom_classes: Optional[List[int]] = None,
                 iou_thr: float = 0.5,
                 eval_keys: str = 'all',
                 out_file: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if eval_keys not in EVAL_KEYS:
            raise ValueError(
                f'eval_keys must be one of {EVAL_KEYS}, got {eval_keys!r}')
        if capacity < 0:
            raise ValueError(f'capacity must be >= 0, got {capacity}')
        self.ann_file = ann_file
        self.label_file = label_file
        self.exclude_file = exclude_file
        self.kinetics_ann_file = kinetics_ann_file
        self.ava_video_list = ava_video_list
        self.action_thr = action_thr
        self.capacity = capacity
        self.num_classes = num_classes
        self.custom_classes = custom_classes
        if custom_classes is not None:
            if len(custom_classes) != num_classes - 1:
                raise ValueError(
                    f'num_classes ({num_classes}) must be len(custom_classes)'
                    f' + 1 ({len(custom_classes) + 1})')
            self.custom_classes = [0] + list(custom_classes)
        self.iou_thr = iou_thr
        self.eval_keys = eval_keys
        self.out_file = out_file

    def _action_id(self, index: int) -> int:
        """AVA action id of the model's class ``index + 1``."""
        if self.custom_classes is not None:
            return self.custom_classes[index + 1]
        return index + 1

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Keeps each keyframe's detections above ``action_thr``.

        Args:
            data_batch (Any): Unused.
            data_samples (Sequence[dict]): Outputs of the model with
                ``pred_instances`` (``bboxes`` normalised x1y1x2y2,
                ``scores`` ``(n, num_classes)``) and the keyframe meta.
        """
        for data_sample in data_samples:
            key = data_sample.get('img_key')
            if key is None:
                key = keyframe_key(data_sample['video_id'],
                                   data_sample['timestamp'])
            pred = data_sample['pred_instances']
            width = pred['scores'].shape[-1] if pred['scores'].ndim == 2 \
                else None
            if width != self.num_classes:
                raise ValueError(
                    f'AVAKineticsMetric(num_classes={self.num_classes}) got '
                    f'scores of shape {tuple(pred["scores"].shape)} for '
                    f'keyframe {key}: the metric\'s num_classes must equal '
                    'the model\'s (roi_head.bbox_head.num_classes, '
                    'background included)')
            per_class = bbox2result(
                pred['bboxes'],
                pred['scores'],
                num_classes=self.num_classes,
                thr=self.action_thr)
            rows = [(tuple(float(v) for v in det[:4]), self._action_id(i),
                     float(det[4])) for i, dets in enumerate(per_class)
                    for det in dets]
            self.results.append(dict(key=key, rows=rows))

    def _groundtruth(self, class_ids):
        ava_ids = read_video_list(self.ava_video_list)
        gt = read_ava_csv(self.ann_file, class_ids, ava_video_ids=ava_ids)
        if self.kinetics_ann_file is not None:
            gt.update(
                read_ava_csv(
                    self.kinetics_ann_file, class_ids, source=KINETICS))
        return gt

    def _detections(self, results: List[dict], class_ids):

        def rows():
            for result in results:
                video_id, timestamp = split_keyframe_key(result['key'])
                timestamp = parse_timestamp(timestamp, result['key'])
                for (x1, y1, x2, y2), action_id, score in result['rows']:
                    yield video_id, timestamp, [y1, x1, y2, x2], action_id, \
                        score
                # a keyframe without detections is still "processed"
                yield video_id, timestamp, None, None, 1.0

        return collect_keyframes(rows(), class_ids, self.capacity)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Evaluates the gathered detections.

        Args:
            results (list[dict]): ``key`` and ``rows`` per keyframe.

        Returns:
            dict[str, float]: ``overall`` and ``ava`` / ``kinetics`` mAP.
        """
        logger = MMLogger.get_current_instance()
        _, class_ids = read_label_file(self.label_file)
        if self.custom_classes is not None:
            unknown = set(self.custom_classes[1:]) - class_ids
            if unknown:
                raise AnnotationError(
                    f'custom_classes {sorted(unknown)} are not in '
                    f'{self.label_file}')
            class_ids = set(self.custom_classes[1:])
        gt = self._groundtruth(class_ids)
        detections = self._detections(results, class_ids)
        excluded = read_exclusions(self.exclude_file)
        processed = detections.keys
        self._log_coverage(logger, gt, processed, excluded)
        keys = processed if self.eval_keys == 'processed' else None
        out = ava_kinetics_eval(gt, detections, class_ids, excluded, keys,
                                self.iou_thr)
        if out['num_ignored_detection_keyframes']:
            logger.warning(
                f'{out["num_ignored_detection_keyframes"]} evaluated '
                f'keyframes are not in the ground truth ({self.ann_file}' +
                (f', {self.kinetics_ann_file}' if self.
                 kinetics_ann_file else '') +
                '); their detections are ignored')
        for split, aps in out['per_class'].items():
            logger.info(
                f'AVA frame-AP ({split}, {out["num_keyframes"][split]} '
                'keyframes): ' + ', '.join(f'{k}: {v:.4f}'
                                           for k, v in sorted(aps.items())))
        if self.out_file is not None:
            write_ava_results(self._result_rows(results), self.out_file)
            logger.info(f'detections written to {self.out_file}')
        return {
            name: out[name]
            for name in ('overall', ) + SOURCES if name in out
        }

    def _log_coverage(self, logger, gt, processed, excluded) -> None:
        """Logs, per source, how many ground-truth keyframes were run."""
        for source in SOURCES:
            wanted = {k
                      for k, s in gt.sources.items() if s == source} - excluded
            if not wanted:
                continue
            missing = len(wanted - processed)
            msg = (f'{source}: {len(wanted) - missing} of {len(wanted)} '
                   'ground-truth keyframes evaluated by the model')
            if missing and self.eval_keys == 'all':
                logger.warning(msg + f'; the {missing} others count as '
                               "misses (eval_keys='processed' skips them)")
            else:
                logger.info(msg)

    @staticmethod
    def _result_rows(
        results: List[dict]
    ) -> List[Tuple[str, Tuple[float, ...], int, float]]:
        return [(result['key'], box, action_id, score) for result in results
                for box, action_id, score in result['rows']]
