# Copyright (c) constcl_mm authors. All rights reserved.
"""The learning proof: pretrain and evaluate on the synthetic video world.

    python tools/mini_experiment.py [--seeds 0 1 2] [--iters 400]
        [--work-dir work_dirs/mini_experiment] [--models ...]

For every seed, pretrains the mini CVRL, ConST-CL context 0 and ConST-CL
context 5 configs of ``configs/mini/`` with equal budgets on the synthetic
world (constcl_mm/datasets/synthetic_world.py), then evaluates them and a
randomly initialised network on held-out videos, each through the project's
own downstream code:

* region correspondence: ground-truth object boxes on a keyframe of two
  clips of one video, local-branch region features pooled as in pretraining,
  argmax-cosine matching (top-1 accuracy against chance);
* tracking: SiamFC one-pass evaluation (frozen backbone, identity adjust
  layer for every model) on exported OTB-layout sequences, with the
  project's tracker, OTB dataset and metric (success AUC, precision @20 px);
* linear probe: the project's linear-probe head and recognition pipeline on
  exported mp4 lists, top-1 on the video labels.

Prints a table (mean and std over seeds), writes ``results.json``,
``results.md``, ``scores.png`` (the three scores per model), ``curves.png``
(training curves) and ``region_matches.png`` (matches on one video), and
the wall time. The evaluation videos come from other world seeds than the
pretraining videos and are never used to choose any setting.
"""
import argparse
import json
import math
import os
import os.path as osp
import time
from typing import Dict, List, Optional

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MINI = osp.join(ROOT, 'configs', 'mini')
CONFIGS = {
    'cvrl':
    osp.join(MINI, 'cvrl_r3d50-w16_1xb8-16x2x2-400it_synthetic.py'),
    'constcl_ctx0':
    osp.join(MINI,
             'constcl_r3d50y-w16_1xb8-16x2x2-400it_synthetic_context0.py'),
    'constcl_ctx5':
    osp.join(MINI, 'constcl_r3d50y-w16_1xb8-16x2x2-400it_synthetic.py'),
    'constcl_ctx5_fh':
    osp.join(
        MINI, 'constcl_r3d50y-w16_1xb8-16x2x2-400it_synthetic'
        '_boxes-felzenszwalb.py'),
    'constcl_ctx5_w01':
    osp.join(MINI,
             'constcl_r3d50y-w16_1xb8-16x2x2-400it_synthetic_localw0.01.py'),
}
LABELS = {
    'random': 'random init',
    'cvrl': 'CVRL',
    'constcl_ctx0': 'ConST-CL context 0',
    'constcl_ctx5': 'ConST-CL context 5',
    'constcl_ctx5_fh': 'ConST-CL context 5, segment boxes',
    'constcl_ctx5_w01': 'ConST-CL context 5, local weight 0.01',
}
#: The experiment's models (the default set) ...
MODELS = ('random', 'cvrl', 'constcl_ctx0', 'constcl_ctx5')
#: ... and the ablations that can be added with --models
ABLATIONS = ('constcl_ctx5_fh', 'constcl_ctx5_w01')
METRICS = (('corr_acc', 'region corr. top-1'), ('track_success',
                                                'tracking success AUC'),
           ('track_precision',
            'tracking precision@20'), ('probe_top1', 'linear probe top-1'))
#: World seeds: pretraining videos come from world 0 (the mini configs);
#: the probe trains on world 2 and everything is evaluated on world 1.
EVAL_WORLD, PROBE_TRAIN_WORLD = 1, 2
#: Videos 0 .. PRETRAIN_VIDEOS - 1 of world 0 are the pretraining set.
PRETRAIN_VIDEOS = 2000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--models',
        nargs='+',
        default=list(MODELS),
        choices=MODELS + ABLATIONS)
    parser.add_argument(
        '--iters',
        type=int,
        default=None,
        help='pretraining iterations (default: the configs)')
    parser.add_argument(
        '--work-dir', default=osp.join('work_dirs', 'mini_experiment'))
    parser.add_argument(
        '--corr-videos',
        type=int,
        default=96,
        help='held-out videos for region correspondence')
    parser.add_argument(
        '--track-videos',
        type=int,
        default=16,
        help='held-out videos exported as OTB sequences')
    parser.add_argument('--probe-train-videos', type=int, default=240)
    parser.add_argument('--probe-test-videos', type=int, default=120)
    parser.add_argument(
        '--skip-export',
        action='store_true',
        help='reuse the exported videos of --work-dir')
    parser.add_argument(
        '--reuse-pretraining',
        action='store_true',
        help='reuse the checkpoints and curves of an earlier run in '
        '--work-dir (re-evaluate only)')
    parser.add_argument(
        '--tracking',
        choices=('trained-adjust', 'identity'),
        default='trained-adjust',
        help='SiamFC adjust layer: trained on pretraining-world pairs for '
        'every model alike (default), or fixed to the identity')
    parser.add_argument(
        '--track-train-videos',
        type=int,
        default=48,
        help='pretraining-world videos exported as GOT-10k pairs for the '
        'adjust layer')
    return parser.parse_args()


def pretrain(name: str, seed: int, iters: Optional[int],
             work_dir: str) -> Dict:
    """Runs one pretraining; returns its checkpoint and training curves."""
    from mmengine.config import Config

    from constcl_mm.utils import adapt_cfg_to_machine, build_runner
    cfg = Config.fromfile(CONFIGS[name])
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    if iters is not None:
        cfg.train_cfg.max_iters = iters
        cfg.train_cfg.val_interval = iters
        cfg.default_hooks.checkpoint.interval = iters
    cfg.log_level = 'WARNING'
    adapt_cfg_to_machine(cfg)
    runner = build_runner(cfg)
    start = time.time()
    runner.train()
    hub = runner.message_hub

    def history(key: str) -> List[float]:
        buf = hub.log_scalars.get(f'train/{key}')
        return [float(v) for v in buf.data[0]] if buf is not None else []

    local_weight = cfg.model.get('local_head') or {}
    weight = local_weight.get('loss_weight', 1.0) if local_weight else 1.0
    curves = dict(
        loss_global=history('loss_global'),
        global_acc=history('global_acc'),
        # unweighted, comparable with its chance level
        loss_local=[v / weight for v in history('loss_local')])
    run = dict(
        checkpoint=osp.join(work_dir, f'iter_{runner.iter}.pth'),
        curves=curves,
        seconds=time.time() - start,
        batch_size=int(cfg.train_dataloader.batch_size),
        num_boxes=8)
    with open(osp.join(work_dir, 'pretraining.json'), 'w') as f:
        json.dump(run, f)
    return run


def load_pretraining(work_dir: str) -> Dict:
    """The record :func:`pretrain` left in ``work_dir``."""
    path = osp.join(work_dir, 'pretraining.json')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} is missing: --reuse-pretraining needs a finished run '
            'of this script in the same --work-dir')
    with open(path) as f:
        run = json.load(f)
    if not osp.isfile(run['checkpoint']):
        raise FileNotFoundError(f'{run["checkpoint"]} (listed in {path}) '
                                'is missing')
    return run


def build_model(name: str, seed: int, checkpoint: Optional[str]):
    """The pretraining model of ``name`` (random init from ``seed``)."""
    import torch
    from mmaction.registry import MODELS as REGISTRY
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint
    config = CONFIGS['constcl_ctx5' if name == 'random' else name]
    cfg = Config.fromfile(config)
    torch.manual_seed(seed)
    model = REGISTRY.build(cfg.model)
    model.init_weights()
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    return model, cfg


def evaluate(name: str, seed: int, checkpoint: Optional[str], data: Dict,
             work_dir: str) -> Dict:
    """The three evaluations of one model."""
    from constcl_mm.evaluation.downstream import (
        evaluate_linear_probe, evaluate_region_correspondence,
        evaluate_tracking)
    model, cfg = build_model(name, seed, checkpoint)
    corr = evaluate_region_correspondence(
        model, data['clips'], return_matches=True)
    features = corr.pop('features')
    backbone = cfg.model.backbone
    track = evaluate_tracking(
        data['otb_root'],
        checkpoint=checkpoint,
        backbone=backbone,
        train_root=data['got10k_root'],
        config=data['track_config'],
        work_dir=osp.join(work_dir, 'tracking'),
        seed=seed)
    probe = evaluate_linear_probe(
        data['probe_train'],
        data['probe_test'],
        checkpoint=checkpoint,
        backbone=backbone,
        work_dir=osp.join(work_dir, 'probe'),
        seed=seed)
    return dict(
        corr_acc=corr['accuracy'],
        corr_chance=corr['chance'],
        track_success=track['success'],
        track_precision=track['precision'],
        probe_top1=probe['top1'],
        probe_chance=probe.get('chance', 1 / 6),
        features=features)


def export_data(args: argparse.Namespace, world_cfg: Dict) -> Dict:
    """Held-out evaluation data, exported once for every model.

    World 1 (never trained on) gives disjoint sets of videos: the tracking
    sequences, then the probe's test videos, then the correspondence clips;
    the probe trains on world 2.
    """
    from constcl_mm.datasets.synthetic_export import export_world
    from constcl_mm.evaluation.downstream import (TRACKING_CONFIG,
                                                  TRACKING_TRAIN_CONFIG,
                                                  CorrespondenceClips)
    root = osp.join(args.work_dir, 'data')
    eval_world = dict(world_cfg, seed=EVAL_WORLD)
    sets = dict(
        track=dict(
            world=eval_world,
            first_index=0,
            num_videos=args.track_videos,
            layouts=('otb', )),
        probe_test=dict(
            world=eval_world,
            first_index=args.track_videos,
            num_videos=args.probe_test_videos,
            layouts=('videos', )),
        probe_train=dict(
            world=dict(world_cfg, seed=PROBE_TRAIN_WORLD),
            first_index=0,
            num_videos=args.probe_train_videos,
            layouts=('videos', )))
    if args.tracking == 'trained-adjust':
        # pretraining-world videos after the ones the mini configs train on
        sets['track_train'] = dict(
            world=dict(world_cfg, seed=0),
            first_index=PRETRAIN_VIDEOS,
            num_videos=args.track_train_videos,
            layouts=('got10k', ))
    summaries = {}
    for name, kwargs in sets.items():
        out_dir = osp.join(root, name)
        summary_file = osp.join(out_dir, 'export.json')
        if args.skip_export and osp.isfile(summary_file):
            with open(summary_file) as f:
                summaries[name] = json.load(f)
            continue
        summaries[name] = export_world(kwargs.pop('world'), out_dir, **kwargs)
    clips = CorrespondenceClips(
        world=eval_world,
        num_videos=args.corr_videos,
        first_index=args.track_videos + args.probe_test_videos)
    trained = args.tracking == 'trained-adjust'
    return dict(
        clips=clips,
        track_config=TRACKING_TRAIN_CONFIG if trained else TRACKING_CONFIG,
        got10k_root=summaries['track_train']['got10k_root']
        if trained else None,
        otb_root=summaries['track']['otb_root'],
        probe_train=summaries['probe_train']['video_list'],
        probe_test=summaries['probe_test']['video_list'])


def summarize(results: Dict[str, List[Dict]]) -> Dict[str, Dict]:
    """Mean and std over seeds of every metric of every model."""
    table = {}
    for name, runs in results.items():
        row = {}
        for key in ('corr_acc', 'corr_chance', 'track_success',
                    'track_precision', 'probe_top1', 'probe_chance'):
            values = np.array([r[key] for r in runs], dtype=float)
            row[key] = (float(values.mean()), float(values.std()))
        table[name] = row
    return table


def markdown_table(table: Dict[str, Dict], num_seeds: int) -> str:
    chance_corr = np.mean([row['corr_chance'][0] for row in table.values()])
    chance_probe = np.mean([row['probe_chance'][0] for row in table.values()])
    lines = [
        f'| model (mean ± std over {num_seeds} seeds) | '
        f'region corr. top-1 (chance {chance_corr:.3f}) | '
        'tracking success AUC | tracking precision@20px | '
        f'linear probe top-1 (chance {chance_probe:.3f}) |',
        '|---|---|---|---|---|'
    ]
    for name, row in table.items():
        cells = [
            f'{row[k][0]:.3f} ± {row[k][1]:.3f}'
            for k in ('corr_acc', 'track_success', 'track_precision',
                      'probe_top1')
        ]
        lines.append(f'| {LABELS[name]} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot_scores(table: Dict[str, Dict], path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    names = list(table)
    for ax, (key, title) in zip(axes, METRICS):
        means = [table[n][key][0] for n in names]
        stds = [table[n][key][1] for n in names]
        ax.bar(
            range(len(names)),
            means,
            yerr=stds,
            capsize=4,
            color=['0.6', 'C0', 'C1', 'C2', 'C3', 'C4'][:len(names)])
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels([LABELS[n] for n in names], rotation=20, fontsize=8)
        ax.set_title(title)
        if key == 'corr_acc':
            ax.axhline(
                np.mean([table[n]['corr_chance'][0] for n in names]),
                color='k',
                ls='--',
                lw=1,
                label='chance')
            ax.legend(fontsize=8)
        if key == 'probe_top1':
            ax.axhline(
                np.mean([table[n]['probe_chance'][0] for n in names]),
                color='k',
                ls='--',
                lw=1,
                label='chance')
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def smooth(values: List[float], window: int = 10) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.size < window:
        return values
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode='valid')


def plot_curves(curves: Dict[str, List[Dict]], chances: Dict[str, float],
                path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.6))
    keys = (('loss_global', 'global loss (NT-Xent)'),
            ('global_acc', 'global contrastive accuracy'),
            ('loss_local', 'local loss (unweighted)'))
    for ax, (key, title) in zip(axes, keys):
        for i, (name, runs) in enumerate(curves.items()):
            for j, run in enumerate(runs):
                if not run.get(key):
                    continue
                ax.plot(
                    smooth(run[key]),
                    color=f'C{i}',
                    alpha=0.8,
                    label=LABELS[name] if j == 0 else None)
        if key in chances:
            ax.axhline(chances[key], color='k', ls='--', lw=1, label='chance')
        ax.set_title(title)
        ax.set_xlabel('iteration')
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def save_matches(clips,
                 features: Dict[str, tuple],
                 path: str,
                 video: int = 0) -> None:
    """Region matches of one held-out video, one row per model."""
    import cv2

    from constcl_mm.evaluation.downstream import draw_region_matches
    rows = []
    for name, (fa, fb, _, _) in features.items():
        img = draw_region_matches(clips, video, fa[video], fb[video])
        cv2.putText(img, LABELS[name], (6, img.shape[0] - 8),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
        rows.append(img)
    cv2.imwrite(path, cv2.cvtColor(np.concatenate(rows), cv2.COLOR_RGB2BGR))


def main() -> None:
    args = parse_args()
    start = time.time()
    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    import constcl_mm  # noqa: F401
    if DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance('mini_experiment', scope_name='mmaction')
    torch.set_num_threads(min(2, torch.get_num_threads()))
    os.makedirs(args.work_dir, exist_ok=True)
    world_cfg = dict(Config.fromfile(CONFIGS['constcl_ctx5']).world)
    data = export_data(args, world_cfg)
    print(
        f'[mini] evaluation data ready ({time.time() - start:.0f} s): '
        f'{len(data["clips"])} correspondence videos',
        flush=True)

    results = {m: [] for m in args.models}
    curves = {m: [] for m in args.models if m != 'random'}
    features = {}
    for seed in args.seeds:
        for name in args.models:
            run_dir = osp.join(args.work_dir, f'seed{seed}', name)
            checkpoint = None
            if name != 'random':
                run = load_pretraining(run_dir) if args.reuse_pretraining \
                    else pretrain(name, seed, args.iters, run_dir)
                checkpoint = run['checkpoint']
                curves[name].append(run['curves'])
                batch, boxes = run['batch_size'], run['num_boxes']
                print(
                    f'[mini] seed {seed} {name}: pretrained in '
                    f'{run["seconds"]:.0f} s',
                    flush=True)
            scores = evaluate(name, seed, checkpoint, data, run_dir)
            if seed == args.seeds[0]:
                features[name] = scores['features']
            scores.pop('features')
            results[name].append(scores)
            print(
                f'[mini] seed {seed} {name}: ' +
                ', '.join(f'{k} {v:.3f}' for k, v in scores.items()),
                flush=True)

    table = summarize(results)
    text = markdown_table(table, len(args.seeds))
    wall = time.time() - start
    chances = dict(
        loss_local=math.log(1 + boxes * (batch - 1)),
        loss_global=2 * math.log(2 * batch - 1),
        global_acc=1.0 / batch) if curves else {}
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(
            dict(
                results=results,
                table=table,
                seeds=args.seeds,
                iters=args.iters,
                wall_seconds=wall,
                chances=chances),
            f,
            indent=1)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(text + '\n')
    plot_scores(table, osp.join(args.work_dir, 'scores.png'))
    if curves:
        plot_curves(curves, chances, osp.join(args.work_dir, 'curves.png'))
    save_matches(data['clips'], features,
                 osp.join(args.work_dir, 'region_matches.png'))
    print('\n' + text)
    print(f'\n[mini] figures and results in {args.work_dir}; '
          f'wall time {wall / 60:.1f} min')


if __name__ == '__main__':
    main()
