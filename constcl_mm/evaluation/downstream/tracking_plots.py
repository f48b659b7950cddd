# Copyright (c) constcl_mm authors. All rights reserved.
"""Figures of the tracking evaluation: OPE curves and readout training."""
import math
import os
import os.path as osp
from typing import Dict, List, Mapping, Sequence, Union

import numpy as np

from ..functional.sot_ope import IOU_THRS, PIXEL_THRS, PRECISION_PIXELS

#: A tracker's result: the dict of an ``evaluate_*`` function (its
#: ``per_sequence``) or that list itself.
TrackerResult = Union[Mapping, Sequence[Mapping]]


def mean_curves(result: TrackerResult) -> Dict[str, np.ndarray]:
    """Success and precision curves averaged over sequences.

    Args:
        result: An ``evaluate_*`` result or its ``per_sequence`` list (each
            with ``success_curve`` (21) and ``precision_curve`` (51), the
            fractions of :func:`eval_sot_ope_video`).

    Returns:
        dict: ``success_curve``, ``precision_curve``, and the scores as the
        log reports them (x100): ``success`` (AUC, the success curve's
        mean) and ``precision`` (the curve at 20 px).
    """
    per_sequence = result.get('per_sequence') if isinstance(
        result, Mapping) else result
    if not per_sequence:
        raise ValueError('no per-sequence curves: pass the dict an '
                         'evaluate_* function returned (key per_sequence) '
                         'or that list')
    success = np.mean([np.asarray(s['success_curve']) for s in per_sequence],
                      axis=0)
    precision = np.mean(
        [np.asarray(s['precision_curve']) for s in per_sequence], axis=0)
    if success.shape != IOU_THRS.shape or precision.shape != PIXEL_THRS.shape:
        raise ValueError(
            f'curves of {success.shape[0]} / {precision.shape[0]} points, '
            f'expected {len(IOU_THRS)} IoU and {len(PIXEL_THRS)} pixel '
            'thresholds')
    return dict(
        success_curve=success,
        precision_curve=precision,
        success=float(success.mean() * 100),
        precision=float(precision[PRECISION_PIXELS] * 100))


def plot_tracking_curves(results: Mapping[str, TrackerResult],
                         path: str,
                         title: str = 'OPE') -> str:
    """Success and precision plots of several trackers in one PNG.

    The OTB toolkit's two plots side by side; every tracker is a line, its
    legend the score in the units of the log (x100): ``AUC 45.40`` for
    success, ``P@20 45.40`` for precision. Lines are sorted by score.

    Args:
        results (Mapping[str, dict | list]): ``{name: result}``, each an
            ``evaluate_*`` result (:func:`evaluate_tracking`,
            :func:`evaluate_static_tracker`, :func:`evaluate_ncc_tracker`)
            or its ``per_sequence`` list.
        path (str): PNG to write (folders are created).
        title (str): Title prefix. Defaults to 'OPE'.

    Returns:
        str: ``path``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    if not results:
        raise ValueError('no tracker to plot')
    curves = {name: mean_curves(r) for name, r in results.items()}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    panels = (('success', IOU_THRS, 'Overlap threshold', 'Success rate',
               'AUC'),
              ('precision', PIXEL_THRS, 'Location error threshold (pixels)',
               'Precision', 'P@20'))
    for ax, (key, x, xlabel, ylabel, tag) in zip(axes, panels):
        order = sorted(curves, key=lambda n: -curves[n][key])
        for i, name in enumerate(order):
            c = curves[name]
            ax.plot(
                x,
                c[f'{key}_curve'],
                linewidth=2,
                linestyle=('-', '--', '-.', ':')[i // 10 % 4],
                label=f'{name} [{tag} {c[key]:.2f}]')
        ax.set(
            xlabel=xlabel,
            ylabel=ylabel,
            title=f'{key.capitalize()} plots of {title}',
            xlim=(x[0], x[-1]),
            ylim=(0, 1.05))
        ax.grid(True, alpha=0.3)
        ax.legend(
            loc='lower left' if key == 'success' else 'lower right',
            fontsize=7)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_training_loss(curves: Mapping[str, List[float]],
                       path: str,
                       chance: float = math.log(2),
                       smooth: int = 10) -> str:
    """SiamFC readout training losses, with the chance level ln 2.

    Args:
        curves (Mapping[str, list[float]]): ``{name: per-iteration loss}``
            (``evaluate_tracking``'s ``train_loss``).
        path (str): PNG to write.
        chance (float): Dashed line: the balanced loss at zero logits.
        smooth (int): Running-mean window drawn over the raw (faint) curve.

    Returns:
        str: ``path``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for i, (name, losses) in enumerate(curves.items()):
        values = np.asarray(losses, dtype=np.float64)
        steps = np.arange(1, len(values) + 1)
        ax.plot(steps, values, color=f'C{i}', alpha=0.25, linewidth=0.8)
        k = max(1, min(smooth, len(values)))
        mean = np.convolve(values, np.ones(k) / k, mode='valid')
        ax.plot(steps[k - 1:], mean, color=f'C{i}', label=name)
    ax.axhline(chance, color='k', linestyle='--', linewidth=1, label='ln 2')
    ax.set(
        xlabel='iteration',
        ylabel='balanced logistic loss',
        title='SiamFC readout training')
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
