# Copyright (c) constcl_mm authors. All rights reserved.
"""Draws the losses, accuracies and learning rate of runs into one PNG.

Reads mmengine's ``<work_dir>/<timestamp>/vis_data/scalars.json`` (one JSON
object per logged step; mmaction2's ``analyze_logs.py`` reads the older
``log.json`` instead)::

    python tools/analysis/plot_curves.py work_dirs/demo --out curves.png
    python tools/analysis/plot_curves.py a/scalars.json b/ --keys loss acc

A work directory stands for its latest ``scalars.json``. Panels: one per
group (losses, accuracies, learning rate), each key a line, each run a style.
"""
import argparse
import glob
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

#: panel -> substrings of the keys it draws (first match wins)
GROUPS = (('loss', ('loss', )),
          ('accuracy', ('acc', 'top', 'map', 'auc', 'precision', 'recall',
                        'success')), ('learning rate', ('lr', )))
#: panel of the keys named in ``--keys`` that fit no group above
OTHER = 'other'
SKIP = ('step', 'epoch', 'iter', 'time', 'data_time', 'memory', 'eta')

Series = Dict[str, Tuple[List[float], List[float]]]


def find_scalars(path: str) -> str:
    """``path`` itself, or the newest ``*/vis_data/scalars.json`` under a
    work directory.

    Raises:
        FileNotFoundError: none found, naming the folder.
    """
    if osp.isfile(path):
        return path
    found = sorted(
        glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')) +
        glob.glob(osp.join(path, 'vis_data', 'scalars.json')))
    if not found:
        raise FileNotFoundError(
            f'no scalars.json under {path} (expected '
            f'{path}/<timestamp>/vis_data/scalars.json, written by '
            f"mmengine's LocalVisBackend)")
    return found[-1]


def load_scalars(path: str) -> Series:
    """Reads ``scalars.json`` into ``{key: (steps, values)}``.

    Raises:
        ValueError: a line that is not a JSON object, naming file and line.
    """
    series: Series = defaultdict(lambda: ([], []))
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f'{path}:{lineno}: not JSON ({e})') from e
            if not isinstance(row, dict):
                raise ValueError(f'{path}:{lineno}: expected a JSON object')
            step = row.get('step', lineno)
            for key, value in row.items():
                if key in SKIP or not isinstance(value, (int, float)):
                    continue
                series[key][0].append(step)
                series[key][1].append(float(value))
    return dict(series)


def group_of(key: str) -> Optional[str]:
    name = key.lower().rsplit('/', 1)[-1]
    for group, parts in GROUPS:
        if group == 'learning rate':
            if name == 'lr' or name.endswith('_lr') or name == 'base_lr':
                return group
        elif any(p in name for p in parts):
            return group
    return None


def plot_runs(runs: Sequence[Tuple[str, Series]],
              out: str,
              keys: Optional[Sequence[str]] = None) -> List[str]:
    """Draws the runs and saves ``out``.

    Args:
        runs: ``(label, series)`` per run.
        out (str): PNG path.
        keys (Sequence[str], optional): Only keys containing one of these;
            those outside the loss / accuracy / lr groups get an ``other``
            panel.

    Returns:
        list[str]: The panels drawn.

    Raises:
        ValueError: nothing to draw (naming the keys found).
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    panels: Dict[str, List[Tuple[str, str, Tuple]]] = defaultdict(list)
    found = set()
    for label, series in runs:
        for key, data in sorted(series.items()):
            found.add(key)
            if keys and not any(k in key for k in keys):
                continue
            group = group_of(key)
            if group is None and keys:
                group = OTHER  # asked for by name, e.g. local_pos_sim
            if group is not None:
                panels[group].append((label, key, data))
    order = [g for g, _ in GROUPS if g in panels] + \
        ([OTHER] if OTHER in panels else [])
    if not order:
        raise ValueError(f'no loss, accuracy or lr keys to draw; found '
                         f'{sorted(found)}')
    fig, axes = plt.subplots(
        1, len(order), figsize=(4.2 * len(order), 3.2), squeeze=False)
    styles = ('-', '--', ':', '-.')
    labels = [label for label, _ in runs]
    for ax, group in zip(axes[0], order):
        for label, key, (steps, values) in panels[group]:
            name = key if len(runs) == 1 else f'{label}: {key}'
            ax.plot(
                steps,
                values,
                styles[labels.index(label) % 4],
                label=name,
                linewidth=1.2)
        ax.set_title(group)
        ax.set_xlabel('step')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return order


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'runs', nargs='+', help='scalars.json files or work directories')
    parser.add_argument('--out', default='curves.png', help='PNG to write')
    parser.add_argument(
        '--keys', nargs='+', help='only keys containing one of these')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    runs = []
    for run in args.runs:
        path = find_scalars(run)
        runs.append((osp.basename(osp.normpath(run)), load_scalars(path)))
    panels = plot_runs(runs, args.out, args.keys)
    print(f'wrote {args.out} ({", ".join(panels)})')


if __name__ == '__main__':
    main()
