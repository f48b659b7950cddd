# Copyright (c) constcl_mm authors. All rights reserved.
import json
import os
import os.path as osp
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmaction.registry import METRICS
from mmengine.dist import (all_gather_object, broadcast_object_list,
                           is_main_process)
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement

from ..functional.sot_ope import IOU_THRS, PIXEL_THRS, eval_sot_ope


def _field(sample: Any, key: str) -> Any:
    """A field of a data sample or of its ``to_dict()`` form."""
    return sample.get(key)


def _as_box(value: Any) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64).reshape(-1, 4)[0]


def score_label(fraction: float) -> str:
    """The plot legend of a score in the units of the log: x100, as
    ``sot/success`` is logged (``0.06448`` -> ``'[6.4480]'``)."""
    return f'[{round(fraction * 100, 3):.4f}]'


@METRICS.register_module()
class SOTMetric(BaseMetric):
    """One-pass evaluation (OTB success / precision) of a tracker.

    Collects one predicted box per frame (``pred_track_instances``) with its
    ground truth (``gt_instances``), groups the frames by video, checks that
    every video is complete, and computes :func:`eval_sot_ope`: ``success``
    (AUC over 21 IoU thresholds), ``precision`` (at 20 px) and
    ``norm_precision`` (at 0.2), x100 and rounded to 3 decimals
    (mmtracking 1.x ``SOTMetric``).

    Plots (success and precision curves, PNG) go to ``out_dir``, or, without
    it, through the runner's visualizer (``<work_dir>/<time>/vis_data/
    vis_image/sot_*_plot_0.png`` with the default LocalVisBackend). With
    ``out_dir`` the per-sequence scores are also dumped to
    ``per_sequence.json`` and the predicted boxes to ``results/<video>.txt``
    (``x,y,w,h`` per frame, the OTB toolkit format). The per-sequence table
    is always logged.

    Frames of a video may arrive on different processes; the results are
    gathered whole (no ``collect_results`` truncation).

    Args:
        only_eval_visible (bool): Evaluate only frames whose ground truth
            is visible (denominators keep every frame). Defaults to False.
        out_dir (str, optional): Where plots and dumps go.
        plot (bool): Draw the plots. Defaults to True.
        tracker_name (str): Legend label. Defaults to 'SiamFC'.
        bbox_offset (float): Added to ``x, y`` of the dumped boxes; 1 turns
            the datasets' 0-based boxes into OTB's 1-based ones.
            Defaults to 1.
        collect_device (str): Unused ('cpu' or 'gpu'); kept for configs.
        prefix (str, optional): Metric name prefix. Defaults to 'sot'.
    """

    default_prefix: Optional[str] = 'sot'

    def __init__(self,
                 only_eval_visible: bool = False,
                 out_dir: Optional[str] = None,
                 plot: bool = True,
                 tracker_name: str = 'SiamFC',
                 bbox_offset: float = 1.,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.only_eval_visible = only_eval_visible
        self.out_dir = out_dir
        self.plot = plot
        self.tracker_name = tracker_name
        self.bbox_offset = bbox_offset

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        """Keeps one record per frame."""
        for sample in data_samples:
            pred = _field(sample, 'pred_track_instances')
            gt = _field(sample, 'gt_instances')
            if pred is None or gt is None:
                raise KeyError('SOTMetric needs pred_track_instances and '
                               'gt_instances in every data sample')
            meta = sample.metainfo if isinstance(sample,
                                                 BaseDataElement) else sample
            visible = gt.get('visible', None)
            visible = True if visible is None else bool(
                np.asarray(visible.cpu(
                ) if hasattr(visible, 'cpu') else visible).reshape(-1)[0])
            self.results.append(
                dict(
                    video_id=int(meta['video_id']),
                    video_name=str(
                        meta.get('video_name', f"video_{meta['video_id']}")),
                    frame_id=int(meta['frame_id']),
                    video_length=int(meta['video_length']),
                    pred=_as_box(pred['bboxes']),
                    gt=_as_box(gt['bboxes']),
                    visible=visible))

    def evaluate(self, size: int) -> dict:
        """Gathers every process's frames, then computes the metrics."""
        parts = all_gather_object(self.results)
        metrics = [None]
        if is_main_process():
            results = [r for part in parts for r in part]
            _metrics = self.compute_metrics(results)
            if self.prefix:
                _metrics = {
                    f'{self.prefix}/{k}': v
                    for k, v in _metrics.items()
                }
            metrics = [_metrics]
        broadcast_object_list(metrics)
        self.results.clear()
        return metrics[0]

    @staticmethod
    def group_videos(results: List[dict]) -> List[dict]:
        """Per video (sorted by id): name, preds, gts, visibility."""
        frames: Dict[int, Dict[int, dict]] = defaultdict(dict)
        for r in results:
            frames[r['video_id']][r['frame_id']] = r
        videos = []
        for video_id in sorted(frames):
            records = frames[video_id]
            length = next(iter(records.values()))['video_length']
            missing = sorted(set(range(length)) - set(records))
            if missing:
                name = next(iter(records.values()))['video_name']
                raise ValueError(
                    f'video {name} (id {video_id}) is incomplete: '
                    f'{len(missing)} of {length} frames missing (e.g. '
                    f'{missing[:5]})')
            ordered = [records[i] for i in range(length)]
            videos.append(
                dict(
                    video_id=video_id,
                    name=ordered[0]['video_name'],
                    pred=np.stack([r['pred'] for r in ordered]),
                    gt=np.stack([r['gt'] for r in ordered]),
                    visible=np.array([r['visible'] for r in ordered])))
        return videos

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if not results:
            raise ValueError('SOTMetric got no frame to evaluate')
        videos = self._scorable(self.group_videos(results))
        out = eval_sot_ope(
            [v['pred'] for v in videos], [v['gt'] for v in videos],
            [v['visible'] for v in videos] if self.only_eval_visible else None)
        self._log_table(videos, out['per_video'])
        if self.out_dir is not None:
            self._dump(videos, out['per_video'])
        if self.plot:
            self._save_plots(out)
        metrics = dict(
            success=round(out['success'] * 100, 3),
            norm_precision=round(out['norm_precision'] * 100, 3),
            precision=round(out['precision'] * 100, 3))
        failed = (self.dataset_meta or {}).get('failed_targets') or {}
        if failed:
            # the dataset left these out at build (missing frames, bad
            # first box); the figures above cover the others only
            print_log(
                f'OPE evaluated {len(videos)} sequences; {len(failed)} '
                'could not be tracked and are NOT in the figures: ' +
                '; '.join(f'{name}: {why}' for name, why in failed.items()),
                logger='current',
                level=30)
            metrics['failed_sequences'] = len(failed)
        invalid = (self.dataset_meta or {}).get('invalid_gt_frames') or {}
        if invalid:
            print_log(
                f'{sum(len(v) for v in invalid.values())} frames of '
                f'{len(invalid)} sequences have NaN or empty ground-truth '
                'boxes (listed when the dataset was built): they count in '
                'the denominator of every score and never succeed',
                logger='current',
                level=30)
        return metrics

    @staticmethod
    def _scorable(videos: List[dict]) -> List[dict]:
        """Leaves out (and names) one-frame videos: their only frame is the
        tracker's initialisation, so it would score itself."""
        short = [v['name'] for v in videos if len(v['gt']) < 2]
        if short:
            print_log(
                f'OPE leaves out {len(short)} one-frame sequences (the frame '
                'initialises the tracker; nothing is left to score): ' +
                ', '.join(short),
                logger='current',
                level=30)
        kept = [v for v in videos if len(v['gt']) >= 2]
        if not kept:
            raise ValueError('SOTMetric: every sequence has one frame only '
                             f'({", ".join(short)}); nothing to score')
        return kept

    # ------------------------------------------------------------------
    def _log_table(self, videos: List[dict], per_video: List[dict]) -> None:
        lines = [
            f"{'video':<16}{'frames':>8}{'success':>10}"
            f"{'precision':>11}{'norm_prec':>11}"
        ]
        for v, m in zip(videos, per_video):
            lines.append(f"{v['name']:<16}{len(v['gt']):>8}"
                         f"{m['success'] * 100:>10.2f}"
                         f"{m['precision'] * 100:>11.2f}"
                         f"{m['norm_precision'] * 100:>11.2f}")
        print_log('OPE per sequence:\n' + '\n'.join(lines), logger='current')

    def _dump(self, videos: List[dict], per_video: List[dict]) -> None:
        res_dir = osp.join(self.out_dir, 'results')
        os.makedirs(res_dir, exist_ok=True)
        rows = []
        for v, m in zip(videos, per_video):
            xywh = v['pred'].copy()
            xywh[:, 2:] -= xywh[:, :2]
            xywh[:, :2] += self.bbox_offset
            np.savetxt(
                osp.join(res_dir, f"{v['name']}.txt"),
                xywh,
                fmt='%.3f',
                delimiter=',')
            rows.append(
                dict(
                    video=v['name'],
                    frames=len(v['gt']),
                    success=m['success'] * 100,
                    precision=m['precision'] * 100,
                    norm_precision=m['norm_precision'] * 100,
                    success_curve=m['success_curve'].tolist(),
                    precision_curve=m['precision_curve'].tolist()))
        with open(osp.join(self.out_dir, 'per_sequence.json'), 'w') as f:
            json.dump(rows, f, indent=1)
        print_log(
            f'OPE per-sequence scores and boxes saved to {self.out_dir}',
            logger='current')

    def _save_plots(self, out: dict) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        plots = dict(
            success_plot=(IOU_THRS, out['success_curve'], 'Overlap threshold',
                          'Success rate', 'Success plots of OPE',
                          score_label(out['success'])),
            precision_plot=(PIXEL_THRS, out['precision_curve'],
                            'Location error threshold (pixels)', 'Precision',
                            'Precision plots of OPE',
                            score_label(out['precision'])))
        for name, (x, y, xlabel, ylabel, title, score) in plots.items():
            fig = Figure(figsize=(5, 4), dpi=100)
            canvas = FigureCanvasAgg(fig)
            ax = fig.add_subplot(1, 1, 1)
            ax.plot(x, y, linewidth=2, label=f'{self.tracker_name} {score}')
            ax.set(
                xlabel=xlabel,
                ylabel=ylabel,
                title=title,
                xlim=(x[0], x[-1]),
                ylim=(0, 1.05))
            ax.grid(True, alpha=0.3)
            ax.legend(
                loc='lower left' if name == 'success_plot' else 'lower right')
            fig.tight_layout()
            if self.out_dir is not None:
                os.makedirs(self.out_dir, exist_ok=True)
                path = osp.join(self.out_dir, f'{name}.png')
                fig.savefig(path)
                print_log(f'{name} saved to {path}', logger='current')
            else:
                self._to_visualizer(f'sot_{name}', canvas)

    @staticmethod
    def _to_visualizer(name: str, canvas) -> None:
        from mmengine.visualization import Visualizer
        try:
            visualizer = Visualizer.get_current_instance()
        except RuntimeError:
            print_log(
                f'no visualizer and no out_dir: {name} not saved',
                logger='current')
            return
        canvas.draw()
        image = np.asarray(canvas.buffer_rgba())[..., :3].copy()
        visualizer.add_image(name, image)
