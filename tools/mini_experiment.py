# Copyright (c) constcl_mm authors. All rights reserved.
"""The learning proof: pretrain on the object world, evaluate with controls.

    python tools/mini_experiment.py [--seeds 0 1 2] [--iters N]
        [--work-dir work_dirs/mini_experiment] [--models ...]

For every seed, trains the mini configs of ``configs/mini/*_objects*.py``
with equal budgets on the object world (constcl_mm/datasets/object_world.py):
CVRL, ConST-CL context 0, ConST-CL context 5 and the supervised control
(the same backbone and data trained on the world's labels), then evaluates
them and a randomly initialised network on held-out videos, each through
the project's own downstream code, next to the controls that show that the
evaluation can move:

* video probe (scene label) and region probe (object category, motion class
  from ROI-pooled res5_1 on ground-truth boxes): standardised features,
  L-BFGS logistic regression (L2 penalty cross-validated on the probe's
  training videos) and k-NN; controls: raw pixels, the majority class;
* label propagation of the first frame's object masks (res3, stride 8),
  J-mean; controls: raw pixels at the same stride, copying the first mask;
* region correspondence (argmax cosine of ground-truth regions across two
  clips); control: raw pixels;
* SiamFC tracking (OTB one-pass evaluation) with the readout trained on
  pretraining-world pairs, frozen backbone and fine-tuned backbone;
  controls: a tracker that never moves and a normalised-cross-correlation
  template tracker.

``--merge DIR [DIR ...]`` joins the results of runs made in parallel (say,
one process per model on a 2-core machine) into one table in
``--work-dir``.

Prints and writes the tables (mean ± std and a 95 % interval over seeds),
``results.json``, ``results.md``, ``scores.png``, ``curves.png``,
``region_matches.png``, ``label_propagation.png`` and the tracking plots,
and the wall time. The probe trains on world 2, every evaluation runs on
world 1; no setting is chosen on world 1.
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
    'supervised':
    osp.join(MINI, 'supervised_r3d18y-w16_1xb32-16x2x2-2k_objects.py'),
    'cvrl':
    osp.join(MINI, 'cvrl_r3d18-w16_1xb32-16x2x2-2k_objects.py'),
    'constcl_ctx0':
    osp.join(MINI, 'constcl_r3d18y-w16_1xb32-16x2x2-2k_objects_context0.py'),
    'constcl_ctx5':
    osp.join(MINI, 'constcl_r3d18y-w16_1xb32-16x2x2-2k_objects.py'),
}
LABELS = {
    'random': 'random init (lower bound)',
    'supervised': 'supervised (upper bound)',
    'cvrl': 'CVRL',
    'constcl_ctx0': 'ConST-CL context 0',
    'constcl_ctx5': 'ConST-CL context 5',
    'pixels': 'raw pixels',
    'majority': 'majority class',
    'copy': 'copy first-frame mask',
    'static': 'static first-frame box',
    'ncc': 'pixel template (NCC)',
}
MODELS = ('random', 'supervised', 'cvrl', 'constcl_ctx0', 'constcl_ctx5')
#: (key, column title) of the tables
METRICS = (
    ('scene_top1', 'video probe: scene'),
    ('scene_knn', 'video k-NN: scene'),
    ('category_top1', 'region probe: category'),
    ('motion_top1', 'region probe: motion'),
    ('labelprop_j', 'label propagation J (res3)'),
    ('corr_acc', 'region corr. top-1'),
    ('track_success', 'tracking success AUC (frozen)'),
    ('track_precision', 'tracking precision@20 (frozen)'),
    ('track_ft_success', 'tracking success AUC (fine-tuned)'),
    ('track_ft_precision', 'tracking precision@20 (fine-tuned)'),
)
#: world seeds: pretraining on world 0 (the configs), the probes train on
#: world 2, everything is evaluated on world 1
EVAL_WORLD, PROBE_TRAIN_WORLD = 1, 2
#: videos 0 .. PRETRAIN_VIDEOS - 1 of world 0 are the pretraining set
PRETRAIN_VIDEOS = 4096
#: 95 % two-sided Student t quantiles by degrees of freedom
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--models', nargs='+', default=list(MODELS), choices=MODELS)
    parser.add_argument(
        '--iters',
        type=int,
        default=None,
        help='training iterations of every model (default: the configs)')
    parser.add_argument(
        '--work-dir', default=osp.join('work_dirs', 'mini_experiment'))
    parser.add_argument(
        '--pretrain-videos',
        type=int,
        default=None,
        help='training videos of world 0 (default: the configs, 4096)')
    parser.add_argument('--probe-train-videos', type=int, default=256)
    parser.add_argument('--probe-test-videos', type=int, default=192)
    parser.add_argument('--labelprop-videos', type=int, default=32)
    parser.add_argument(
        '--labelprop-size',
        type=int,
        default=None,
        help='frame side of the label-propagation clips; defaults to the '
        'pretraining world\'s (64 px: res3 maps of 8x8 cells), the scale the '
        'models learnt')
    parser.add_argument('--corr-videos', type=int, default=64)
    parser.add_argument('--track-videos', type=int, default=12)
    parser.add_argument('--track-train-videos', type=int, default=48)
    parser.add_argument(
        '--skip-tracking',
        action='store_true',
        help='leave SiamFC and its controls out (quick looks)')
    parser.add_argument(
        '--reuse-pretraining',
        action='store_true',
        help='re-evaluate the checkpoints of an earlier run in --work-dir')
    parser.add_argument(
        '--merge',
        nargs='+',
        metavar='DIR',
        help='join the results.json of these earlier runs (other models, '
        'same seeds) into --work-dir; trains and evaluates nothing')
    args = parser.parse_args()
    if args.labelprop_size is not None and args.labelprop_size < 16:
        parser.error('--labelprop-size must be at least 16 (two res3 cells '
                     f'of 8 px), got {args.labelprop_size}')
    return args


def world_config() -> Dict:
    from mmengine.config import Config
    return dict(Config.fromfile(CONFIGS['constcl_ctx5']).world)


def pretrain(name: str,
             seed: int,
             iters: Optional[int],
             work_dir: str,
             cache_dir: str,
             num_videos: Optional[int] = None) -> Dict:
    """Runs one training; returns its checkpoint and training curves."""
    from mmengine.config import Config

    from constcl_mm.utils import adapt_cfg_to_machine, build_runner
    cfg = Config.fromfile(CONFIGS[name])
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    cfg.train_dataloader.dataset.cache_dir = cache_dir
    if num_videos is not None:
        cfg.train_dataloader.dataset.num_videos = num_videos
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
    curves = {}
    for key, buf in hub.log_scalars.items():
        if key.startswith('train/') and ('loss' in key or 'acc' in key
                                         or 'sim' in key):
            curves[key[len('train/'):]] = [float(v) for v in buf.data[0]]
    local = cfg.model.get('local_head') or {}
    weight = local.get('loss_weight', 1.0) if local else 1.0
    if 'loss_local' in curves:  # unweighted, comparable with its chance
        curves['loss_local'] = [v / weight for v in curves['loss_local']]
    run = dict(
        checkpoint=osp.join(work_dir, f'iter_{runner.iter}.pth'),
        curves=curves,
        seconds=time.time() - start,
        iters=int(runner.iter),
        batch_size=int(cfg.train_dataloader.batch_size))
    with open(osp.join(work_dir, 'pretraining.json'), 'w') as f:
        json.dump(run, f)
    return run


def load_pretraining(work_dir: str) -> Dict:
    path = osp.join(work_dir, 'pretraining.json')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} is missing: --reuse-pretraining needs a finished run '
            'of this script in the same --work-dir')
    with open(path) as f:
        return json.load(f)


def build_model(name: str, seed: int, checkpoint: Optional[str]):
    """The model of ``name`` (random init: the ConST-CL architecture drawn
    from ``seed``), in eval mode."""
    import torch
    from mmaction.registry import MODELS as REGISTRY
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint
    cfg = Config.fromfile(
        CONFIGS['constcl_ctx5' if name == 'random' else name])
    torch.manual_seed(seed)
    model = REGISTRY.build(cfg.model)
    model.init_weights()
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    return model.eval(), cfg


def labelprop_clips(world_cfg: Dict, num_videos: int, first_index: int,
                    size: int) -> List[Dict]:
    """Clips of 16 frames (interval 2) with their instance masks."""
    from constcl_mm.datasets.synthetic_world import build_world
    world = build_world(dict(world_cfg, frame_size=(size, size)))
    inds = np.arange(16) * 2
    clips = []
    for index in range(first_index, first_index + num_videos):
        frames, _, _, masks = world.video(index).render(inds, with_masks=True)
        clips.append(dict(frames=frames, masks=masks))
    return clips


def correspondence_world(world_cfg: Dict) -> Dict:
    """The world of the region-correspondence check: it matches objects
    within a video, so a world of one object a video lends it 2-3 objects
    of the same kind."""
    if tuple(world_cfg.get('num_objects', (1, 3)))[1] >= 2:
        return world_cfg
    return dict(world_cfg, num_objects=(2, 3))


def prepare_data(args: argparse.Namespace, world_cfg: Dict) -> Dict:
    """Held-out evaluation data, made once for every model. World 1 gives
    disjoint ranges of videos to each evaluation."""
    from constcl_mm.evaluation.downstream import CorrespondenceClips
    from constcl_mm.evaluation.downstream.world_probes import (
        WorldProbeClips, pixel_world_features)
    eval_world = dict(world_cfg, seed=EVAL_WORLD)
    data = dict(
        probe_train=WorldProbeClips(
            dict(world_cfg, seed=PROBE_TRAIN_WORLD), args.probe_train_videos),
        probe_test=WorldProbeClips(eval_world, args.probe_test_videos),
        labelprop=labelprop_clips(
            eval_world, args.labelprop_videos, 10_000,
            world_cfg['frame_size'][0]
            if args.labelprop_size is None else args.labelprop_size),
        corr=CorrespondenceClips(
            world=correspondence_world(eval_world),
            num_videos=args.corr_videos,
            first_index=20_000,
            size=world_cfg['frame_size'][0]))
    if 'supervised' in args.models:  # its generalisation gap
        data['seen'] = WorldProbeClips(
            world_cfg,
            min(args.probe_test_videos, args.pretrain_videos
                or PRETRAIN_VIDEOS))
    data['pixels'] = {
        split: pixel_world_features(data[split])
        for split in ('probe_train', 'probe_test')
    }
    if not args.skip_tracking:
        data.update(export_tracking(args, world_cfg))
    return data


def export_tracking(args: argparse.Namespace, world_cfg: Dict) -> Dict:
    """OTB-layout evaluation sequences (world 1) and GOT-10k-layout
    training pairs of the readout (pretraining-world videos after the
    pretraining set)."""
    from constcl_mm.datasets.synthetic_export import export_world
    root = osp.join(args.work_dir, 'data')
    track = export_world(
        dict(world_cfg, seed=EVAL_WORLD),
        osp.join(root, 'track'),
        first_index=30_000,
        num_videos=args.track_videos,
        layouts=('otb', ))
    train = export_world(
        dict(world_cfg, seed=0),
        osp.join(root, 'track_train'),
        first_index=PRETRAIN_VIDEOS,
        num_videos=args.track_train_videos,
        layouts=('got10k', ))
    return dict(otb_root=track['otb_root'], got10k_root=train['got10k_root'])


def evaluate(model, cfg, checkpoint: Optional[str], data: Dict, seed: int,
             work_dir: str, skip_tracking: bool) -> Dict:
    """Every evaluation of one model."""
    from constcl_mm.evaluation.downstream import (
        evaluate_label_propagation, evaluate_region_correspondence)
    from constcl_mm.evaluation.downstream.world_probes import (
        evaluate_world_probes, extract_world_features)
    scores = evaluate_world_probes(
        extract_world_features(model, data['probe_train']),
        extract_world_features(model, data['probe_test']),
        data['probe_train'],
        data['probe_test'],
        seed=seed)
    if hasattr(model, 'scene_head'):
        scores.update(
            scene_head_seen=scene_head_accuracy(model, data['seen']),
            scene_head_unseen=scene_head_accuracy(model, data['probe_test']))
    lp = evaluate_label_propagation(model, data['labelprop'], layer='res3')
    scores.update(
        labelprop_j=lp['j_mean'], labelprop_per_video=lp['j_per_video'])
    if hasattr(model, 'neck') or hasattr(model, 'global_head'):
        corr = evaluate_region_correspondence(model, data['corr'])
        scores['corr_acc'] = corr['accuracy']
        scores['corr_chance'] = corr['chance']
    if not skip_tracking:
        scores.update(track_model(cfg, checkpoint, data, seed, work_dir))
    return scores


def scene_head_accuracy(model, clips) -> float:
    """Top-1 of the supervised control's own scene head on whole-frame
    clips: on pretraining videos (seen) against held-out ones, the gap
    between what it learnt and what generalises."""
    import torch

    from constcl_mm.evaluation.downstream.world_probes import \
        extract_world_features
    feats = extract_world_features(model, clips)['video']
    with torch.no_grad():
        pred = model.scene_head(feats.float()).argmax(1)
    return float((pred == torch.as_tensor(clips.labels)).float().mean())


def track_model(cfg, checkpoint: Optional[str], data: Dict, seed: int,
                work_dir: str) -> Dict:
    """SiamFC with the readout trained on the frozen backbone, then with
    the backbone fine-tuned (at the tracker's backbone LR factor)."""
    from constcl_mm.evaluation.downstream import (TRACKING_TRAIN_CONFIG,
                                                  evaluate_tracking)
    scores = {}
    for finetune, prefix in ((False, 'track'), (True, 'track_ft')):
        track = evaluate_tracking(
            data['otb_root'],
            checkpoint=checkpoint,
            backbone=cfg.model.backbone,
            train_root=data['got10k_root'],
            config=TRACKING_TRAIN_CONFIG,
            work_dir=osp.join(work_dir,
                              'tracking_ft' if finetune else 'tracking'),
            seed=seed,
            finetune=finetune)
        scores[f'{prefix}_success'] = track['success']
        scores[f'{prefix}_precision'] = track['precision']
        scores[f'{prefix}_train_loss'] = [
            track['train_loss_first'], track['train_loss_last']
        ]
    return scores


def control_scores(data: Dict, skip_tracking: bool) -> Dict[str, Dict]:
    """The seed-independent controls: raw pixels, the majority class,
    copying the first mask, the static box, the NCC template tracker."""
    import torch

    from constcl_mm.evaluation.downstream import (
        evaluate_label_propagation_copy, evaluate_label_propagation_pixels)
    from constcl_mm.evaluation.downstream.world_probes import \
        evaluate_world_probes
    pixels = evaluate_world_probes(data['pixels']['probe_train'],
                                   data['pixels']['probe_test'],
                                   data['probe_train'], data['probe_test'])
    lp = evaluate_label_propagation_pixels(data['labelprop'], stride=8)
    copy = evaluate_label_propagation_copy(data['labelprop'])
    out = dict(
        pixels=dict(
            {
                k: v
                for k, v in pixels.items() if k.endswith(('top1', 'knn'))
            },
            labelprop_j=lp['j_mean'],
            corr_acc=pixel_correspondence(data['corr'])),
        majority={
            f'{task}_top1': pixels[f'{task}_majority']
            for task in ('scene', 'category', 'motion')
        },
        copy=dict(labelprop_j=copy['j_mean']))
    if not skip_tracking:
        from constcl_mm.evaluation.downstream import (evaluate_ncc_tracker,
                                                      evaluate_static_tracker)
        for name, fn in (('static', evaluate_static_tracker),
                         ('ncc', evaluate_ncc_tracker)):
            res = fn(data['otb_root'])
            # the same tracker in the frozen and the fine-tuned columns
            out[name] = {
                f'{prefix}_{key}': res[key]
                for prefix in ('track', 'track_ft')
                for key in ('success', 'precision')
            }
    del torch
    return out


def pixel_correspondence(clips) -> float:
    """Region correspondence with ROI-pooled RGB (the pixel control)."""
    import torch

    from constcl_mm.evaluation.functional.region_correspondence import \
        region_match_accuracy
    from constcl_mm.models.utils.roi_align import roi_align_pooled
    correct, total = 0.0, 0
    for inputs, boxes, valid in zip(clips.inputs, clips.boxes, clips.valid):
        key = inputs[:, :, clips.keyframe].float() / 255  # (2, 3, H, W)
        feats = torch.nn.functional.normalize(
            roi_align_pooled(key - key.mean((2, 3), keepdim=True), boxes),
            dim=-1)
        acc = region_match_accuracy(feats[0:1], feats[1:2], valid[0:1],
                                    valid[1:2])
        correct += float(acc['accuracy']) * int(acc['num_queries'])
        total += int(acc['num_queries'])
    return correct / max(total, 1)


def interval(values: List[float]) -> Dict[str, float]:
    """Mean, std and the 95 % Student-t interval of the mean."""
    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean())
    std = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
    half = T975.get(arr.size - 1, 1.96) * std / math.sqrt(arr.size) \
        if arr.size > 1 else float('nan')
    return dict(mean=mean, std=std, lo=mean - half, hi=mean + half, n=arr.size)


def summarize(results: Dict[str, List[Dict]]) -> Dict[str, Dict]:
    table = {}
    for name, runs in results.items():
        table[name] = {
            key: interval([r[key] for r in runs])
            for key, _ in METRICS if all(key in r for r in runs)
        }
    return table


def markdown_table(table: Dict[str, Dict], controls: Dict[str, Dict],
                   num_seeds: int) -> str:
    head = '| model | ' + ' | '.join(t for _, t in METRICS) + ' |'
    lines = [
        f'Mean ± std over {num_seeds} seed(s) (n: seeds of a row when they '
        'differ) [95 % interval]; controls '
        'are seed-independent.', '', head, '|---' * (len(METRICS) + 1) + '|'
    ]
    counts = {s['n'] for row in table.values() for s in row.values()}
    for name, row in table.items():
        label = LABELS[name]
        if len(counts) > 1:  # merged runs with other seeds: say how many
            label += f' (n={max(s["n"] for s in row.values())})'
        cells = []
        for key, _ in METRICS:
            if key not in row:
                cells.append('–')
                continue
            s = row[key]
            text = f'{s["mean"]:.3f} ± {s["std"]:.3f}'
            if s['n'] > 1:
                text += f' [{s["lo"]:.3f}, {s["hi"]:.3f}]'
            cells.append(text)
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    for name, row in controls.items():
        cells = [f'{row[k]:.3f}' if k in row else '–' for k, _ in METRICS]
        lines.append(f'| *{LABELS[name]}* | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot_scores(table: Dict[str, Dict], controls: Dict[str, Dict],
                path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    keys = [(k, t) for k, t in METRICS if any(k in r for r in table.values())]
    cols = 4
    rows = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows))
    axes = np.atleast_1d(axes).ravel()
    names = list(table)
    for ax, (key, title) in zip(axes, keys):
        means = [
            table[n][key]['mean'] if key in table[n] else np.nan for n in names
        ]
        stds = [table[n][key]['std'] if key in table[n] else 0 for n in names]
        ax.bar(
            range(len(names)),
            means,
            yerr=stds,
            capsize=4,
            color=[f'C{i}' for i in range(len(names))])
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels([LABELS[n].split(' (')[0] for n in names],
                           rotation=30,
                           ha='right',
                           fontsize=8)
        for i, (name, row) in enumerate(controls.items()):
            if key in row:
                ax.axhline(
                    row[key],
                    color=f'0.{2 + 2 * i}',
                    ls='--',
                    lw=1,
                    label=LABELS[name])
        ax.set_title(title, fontsize=10)
        if any(key in r for r in controls.values()):
            ax.legend(fontsize=7, loc='upper left', bbox_to_anchor=(1, 1))
    for ax in axes[len(keys):]:
        ax.axis('off')
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_curves(curves: Dict[str, List[Dict]], path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    keys = sorted({k for runs in curves.values() for r in runs for k in r})
    cols = min(4, len(keys)) or 1
    rows = math.ceil(len(keys) / cols) or 1
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows))
    axes = np.atleast_1d(axes).ravel()
    for ax, key in zip(axes, keys):
        for i, (name, runs) in enumerate(curves.items()):
            for j, run in enumerate(runs):
                if run.get(key):
                    ax.plot(
                        smooth(run[key]),
                        color=f'C{i}',
                        alpha=0.8,
                        label=LABELS[name] if j == 0 else None)
        ax.set_title(key, fontsize=10)
        ax.set_xlabel('logged step')
        ax.legend(fontsize=7)
    for ax in axes[len(keys):]:
        ax.axis('off')
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def smooth(values: List[float], window: int = 5) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.size < window:
        return values
    return np.convolve(values, np.ones(window) / window, mode='valid')


def save_pictures(data: Dict, models: Dict, work_dir: str) -> None:
    """Label propagation and region matches of one held-out video."""
    import cv2

    from constcl_mm.evaluation.downstream import (
        draw_region_matches, evaluate_region_correspondence,
        save_label_propagation_picture)
    save_label_propagation_picture(
        osp.join(work_dir, 'label_propagation.png'), data['labelprop'][0], {
            LABELS[n].split(' (')[0]: m
            for n, m in models.items()
        })
    rows = []
    for name, model in models.items():
        if not (hasattr(model, 'neck') or hasattr(model, 'global_head')):
            continue
        corr = evaluate_region_correspondence(
            model, data['corr'], return_matches=True)
        fa, fb, _, _ = corr['features']
        img = draw_region_matches(data['corr'], 0, fa[0], fb[0])
        cv2.putText(img, LABELS[name].split(' (')[0], (6, img.shape[0] - 8),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
        rows.append(img)
    if rows:
        cv2.imwrite(
            osp.join(work_dir, 'region_matches.png'),
            cv2.cvtColor(np.concatenate(rows), cv2.COLOR_RGB2BGR))


def write_results(work_dir: str, results: Dict[str, List[Dict]],
                  controls: Dict[str, Dict], curves: Dict[str, List[Dict]],
                  extra: Dict) -> str:
    """results.json, results.md, scores.png and curves.png; returns the
    table's markdown."""
    table = summarize(results)
    text = markdown_table(table, controls, len(extra['seeds']))
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(
            dict(results=results, table=table, controls=controls, **extra),
            f,
            indent=1)
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write(text + '\n')
    plot_scores(table, controls, osp.join(work_dir, 'scores.png'))
    if any(curves.values()):
        plot_curves(curves, osp.join(work_dir, 'curves.png'))
    return text


def merge(args: argparse.Namespace) -> None:
    """Joins earlier runs (``--merge``) into one table in --work-dir: other
    models, or other seeds of the same model (never the same seed twice)."""
    results, curves, seconds, seen = {}, {}, {}, {}
    controls = None
    for run_dir in args.merge:
        path = osp.join(run_dir, 'results.json')
        if not osp.isfile(path):
            raise FileNotFoundError(f'--merge: {path} is missing')
        with open(path) as f:
            run = json.load(f)
        controls = controls or run['controls']
        for name, scores in run['results'].items():
            again = set(seen.get(name, ())) & set(run['seeds'])
            if again:
                raise ValueError(f'--merge: {name} seed(s) {sorted(again)} '
                                 'are in two runs')
            seen.setdefault(name, []).extend(run['seeds'])
            results.setdefault(name, []).extend(scores)
            seconds.setdefault(name,
                               []).extend(run['train_seconds'].get(name, []))
            if name != 'random':
                curves.setdefault(name, []).extend(
                    load_pretraining(osp.join(run_dir, f'seed{seed}', name))
                    ['curves'] for seed in run['seeds'])
    order = [m for m in MODELS if m in results]
    os.makedirs(args.work_dir, exist_ok=True)
    text = write_results(
        args.work_dir, {m: results[m]
                        for m in order}, controls, curves,
        dict(
            seeds=sorted({s
                          for v in seen.values()
                          for s in v}),
            seeds_per_model=seen,
            train_seconds=seconds,
            merged=args.merge))
    print('\n' + text)
    print(f'\n[mini] merged {len(args.merge)} runs into {args.work_dir}')


def main() -> None:
    args = parse_args()
    if args.merge:
        merge(args)
        return
    start = time.time()
    import torch
    from mmengine.registry import DefaultScope

    import constcl_mm  # noqa: F401
    if DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance('mini_experiment', scope_name='mmaction')
    torch.set_num_threads(min(2, torch.get_num_threads()))
    os.makedirs(args.work_dir, exist_ok=True)
    cache_dir = osp.join(args.work_dir, 'world_cache')
    world_cfg = world_config()
    data = prepare_data(args, world_cfg)
    controls = control_scores(data, args.skip_tracking)
    print(
        f'[mini] evaluation data and controls ready '
        f'({time.time() - start:.0f} s)',
        flush=True)

    results = {m: [] for m in args.models}
    curves = {m: [] for m in args.models if m != 'random'}
    seconds = {m: [] for m in args.models if m != 'random'}
    first_models = {}
    for seed in args.seeds:
        for name in args.models:
            run_dir = osp.join(args.work_dir, f'seed{seed}', name)
            checkpoint = None
            if name != 'random':
                run = load_pretraining(run_dir) if args.reuse_pretraining \
                    else pretrain(name, seed, args.iters, run_dir, cache_dir,
                                  args.pretrain_videos)
                checkpoint = run['checkpoint']
                curves[name].append(run['curves'])
                seconds[name].append(run['seconds'])
                print(
                    f'[mini] seed {seed} {name}: trained '
                    f'{run["iters"]} iterations in {run["seconds"]:.0f} s',
                    flush=True)
            model, cfg = build_model(name, seed, checkpoint)
            scores = evaluate(model, cfg, checkpoint, data, seed, run_dir,
                              args.skip_tracking)
            if seed == args.seeds[0]:
                first_models[name] = model
            results[name].append(scores)
            print(
                f'[mini] seed {seed} {name}: ' +
                ', '.join(f'{k} {v:.3f}'
                          for k, v in scores.items() if isinstance(v, float)),
                flush=True)

    wall = time.time() - start
    text = write_results(
        args.work_dir, results, controls, curves,
        dict(
            seeds=args.seeds,
            iters=args.iters,
            wall_seconds=wall,
            train_seconds=seconds,
            args=vars(args)))
    save_pictures(data, first_models, args.work_dir)
    print('\n' + text)
    print(f'\n[mini] figures and results in {args.work_dir}; '
          f'wall time {wall / 60:.1f} min')


if __name__ == '__main__':
    main()
