# Copyright (c) constcl_mm authors. All rights reserved.
"""Draws the losses, accuracies and learning rate of runs into one PNG.

Reads mmengine's ``<work_dir>/<timestamp>/vis_data/scalars.json`` (one JSON
object per logged step; mmaction2's ``analyze_logs.py`` reads the older
``log.json`` instead)::

    python tools/analysis/plot_curves.py work_dirs/demo --out curves.png
    python tools/analysis/plot_curves.py a/scalars.json b/ --keys loss lr
    python tools/analysis/plot_curves.py work_dirs/demo --keys local_ \
        --prefix

A work directory stands for all its ``<timestamp>/vis_data/scalars.json``
(one per start of the run: a resumed run adds one), joined by step; where a
resume repeats steps, the later run's values are kept. ``--keys`` names
keys exactly (``local_pos_sim`` is not ``local_pos_sim_min``); with
``--prefix`` each is a prefix. Panels: one per group (losses, accuracies,
learning rate), each key a line, each run a style; the legends sit below
the panels, off the curves.
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


def find_scalars(path: str) -> List[str]:
    """``[path]`` for a file, or every ``*/vis_data/scalars.json`` under a
    work directory, oldest first (timestamp folders sort by time).

    Raises:
        FileNotFoundError: none found, naming the folder.
    """
    if osp.isfile(path):
        return [path]
    found = sorted(glob.glob(osp.join(
        path, '*', 'vis_data', 'scalars.json'))) + sorted(
            glob.glob(osp.join(path, 'vis_data', 'scalars.json')))
    if not found:
        raise FileNotFoundError(
            f'no scalars.json under {path} (expected '
            f'{path}/<timestamp>/vis_data/scalars.json, written by '
            f"mmengine's LocalVisBackend)")
    return found


def join_runs(parts: Sequence[Series]) -> Series:
    """The series of consecutive runs of one work directory (oldest first)
    joined by step; a step logged again (after a resume from an earlier
    checkpoint) keeps the later value."""
    merged: Dict[str, Dict[float, float]] = defaultdict(dict)
    for series in parts:
        for key, (steps, values) in series.items():
            merged[key].update(zip(steps, values))
    out: Series = {}
    for key, points in merged.items():
        steps = sorted(points)
        out[key] = (steps, [points[s] for s in steps])
    return out


def load_run(path: str) -> Series:
    """A ``scalars.json`` file, or all of a work directory's, joined."""
    return join_runs([load_scalars(p) for p in find_scalars(path)])


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


def key_selected(key: str,
                 keys: Optional[Sequence[str]],
                 prefix: bool = False) -> bool:
    """Whether ``key`` is asked for: all keys without ``keys``, else an
    exact name of ``keys`` (or, with ``prefix``, one starting with it)."""
    if not keys:
        return True
    if prefix:
        return any(key.startswith(k) for k in keys)
    return key in keys


def plot_runs(runs: Sequence[Tuple[str, Series]],
              out: str,
              keys: Optional[Sequence[str]] = None,
              prefix: bool = False) -> List[str]:
    """Draws the runs and saves ``out``.

    Args:
        runs: ``(label, series)`` per run.
        out (str): PNG path.
        keys (Sequence[str], optional): Only these keys (exact names);
            those outside the loss / accuracy / lr groups get an ``other``
            panel.
        prefix (bool): ``keys`` are prefixes of the keys to draw.

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
            if not key_selected(key, keys, prefix):
                continue
            group = group_of(key)
            if group is None and keys:
                group = OTHER  # asked for by name, e.g. local_pos_sim
            if group is not None:
                panels[group].append((label, key, data))
    order = [g for g, _ in GROUPS if g in panels] + \
        ([OTHER] if OTHER in panels else [])
    if not order:
        raise ValueError(f'no loss, accuracy or lr keys to draw'
                         f'{" among " + str(list(keys)) if keys else ""}; '
                         f'found {sorted(found)}')
    missing = [
        k for k in keys or ()
        if not any(key_selected(f, [k], prefix) for f in found)
    ]
    if missing:
        print(f'not in any run: {missing} (found {sorted(found)})')
    rows = max(len(panels[g]) for g in order)
    fig, axes = plt.subplots(
        1,
        len(order),
        figsize=(4.2 * len(order), 3.0 + 0.16 * rows),
        squeeze=False)
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
        # below the panel, off the curves
        ax.legend(
            fontsize=7,
            loc='upper center',
            bbox_to_anchor=(0.5, -0.2),
            frameon=False)
    fig.tight_layout()
    fig.savefig(out, dpi=80, bbox_inches='tight')
    plt.close(fig)
    return order


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'runs', nargs='+', help='scalars.json files or work directories')
    parser.add_argument('--out', default='curves.png', help='PNG to write')
    parser.add_argument(
        '--keys', nargs='+', help='only these keys (exact names)')
    parser.add_argument(
        '--prefix',
        action='store_true',
        help='--keys are prefixes (local_ draws local_pos_sim, '
        'local_pos_sim_min, ...)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    runs = [(osp.basename(osp.normpath(run)), load_run(run))
            for run in args.runs]
    panels = plot_runs(runs, args.out, args.keys, args.prefix)
    print(f'wrote {args.out} ({", ".join(panels)})')


if __name__ == '__main__':
    main()
