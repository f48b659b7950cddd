# Copyright (c) constcl_mm authors. All rights reserved.
"""Trains the SiamFC readout with several settings, on training pairs only.

How the LR / ``out_scale`` / iterations of the mini tracking config were
chosen (docs/tracking.md): the GOT-10k-layout export of pretraining-world
videos is split by video into a fitting part and a held-out part; every
setting trains the readout (``runner.train()`` of the tracking config, the
backbone random or pretrained) on the fitting part, then scores fixed pairs
of the held-out part: the balanced loss and how often the response peaks
on a positive (centre) cell. No OTB evaluation sequence is read::

    python tools/analysis/siamfc_readout_sweep.py GOT10K_ROOT \\
        --backbone-config configs/mini/constcl_r3d18y-w16_...py \\
        --checkpoint none path/to/iter_2000.pth --out-dir work_dirs/sweep \\
        --settings sgd-1e-2_os-1e-3 adamw-1e-2_os-1e-3 adamw-1e-2_os-6e-3

A setting is ``<optimizer>-<lr>_os-<out_scale>[_it-<iters>]``: ``sgd`` is
SiamFC's recipe (momentum 0.9, weight decay 5e-4, exponential decay to
1e-3 x the LR), ``adamw`` the config's optimiser and schedule at that LR;
``_it-N`` overrides ``--iters``. Prints a table
(first / last 20 training iterations, held-out loss and peak accuracy) and
writes ``sweep.json`` and ``train_loss.png`` (every run's curve).
"""
import argparse
import json
import os
import os.path as osp
import re
from typing import Dict, List, Optional

import numpy as np
import torch

SETTING = re.compile(r'^(sgd|adamw)-([0-9.e-]+)_os-([0-9.e-]+)'
                     r'(?:_it-(\d+))?$')


def parse_setting(text: str) -> Dict:
    """``adamw-1e-2_os-1e-3_it-300`` -> dict(optimizer, lr, out_scale,
    iters)."""
    match = SETTING.match(text)
    if match is None:
        raise ValueError(f'setting {text!r} is not '
                         '<sgd|adamw>-<lr>_os-<out_scale>[_it-<iters>]')
    opt, lr, scale, iters = match.groups()
    return dict(
        optimizer=opt,
        lr=float(lr),
        out_scale=float(scale),
        iters=None if iters is None else int(iters))


def setting_options(setting: Dict, default_iters: int) -> Dict:
    """cfg_options of a setting for the tracking config."""
    iters = setting['iters'] or default_iters
    opts = {
        'train_cfg.max_iters': iters,
        'train_cfg.val_interval': iters,
        'model.head.out_scale': setting['out_scale']
    }
    if setting['optimizer'] == 'sgd':
        # SiamFC's recipe: SGD, momentum 0.9, wd 5e-4, exponential decay to
        # 1e-3 of the LR over the run
        opts['optim_wrapper'] = dict(
            _delete_=True,
            type='OptimWrapper',
            optimizer=dict(
                type='SGD', lr=setting['lr'], momentum=0.9, weight_decay=5e-4))
        opts['param_scheduler'] = dict(
            _delete_=True,
            type='ExponentialLR',
            gamma=1e-3**(1 / iters),
            by_epoch=False,
            begin=0,
            end=iters)
    else:
        opts['optim_wrapper.optimizer.lr'] = setting['lr']
    return opts


def split_videos(root: str, out_dir: str, held_out: int) -> Dict[str, str]:
    """Writes the fitting / held-out sequence lists (by video)."""
    with open(osp.join(root, 'train', 'list.txt')) as f:
        names = [n.strip() for n in f if n.strip()]
    if len(names) <= held_out:
        raise ValueError(f'{root}/train/list.txt has {len(names)} sequences; '
                         f'need more than --held-out {held_out}')
    lists = dict(fit=names[:-held_out], held_out=names[-held_out:])
    paths = {}
    for part, part_names in lists.items():
        paths[part] = osp.join(out_dir, f'{part}.txt')
        with open(paths[part], 'w') as f:
            f.write(''.join(n + '\n' for n in part_names))
    return paths


@torch.no_grad()
def held_out_scores(model, dataset, num_pairs: int, seed: int) -> Dict:
    """Balanced loss and peak-on-a-positive rate on fixed held-out pairs."""
    from constcl_mm.models.heads import siamfc_labels
    model.eval()
    rng = np.random.default_rng(seed)
    losses, hits = [], []
    for start in range(0, num_pairs, 8):
        items = [
            dataset[int(i)]
            for i in rng.integers(0, len(dataset), min(8, num_pairs - start))
        ]
        data = model.data_preprocessor(
            dict(
                inputs=dict(
                    exemplar=[it['inputs']['exemplar'] for it in items],
                    search=[it['inputs']['search'] for it in items])), False)
        responses = model(data['inputs'], mode='tensor')
        losses.append(
            float(
                model.head.loss(responses, model.total_stride)['loss_siamfc'])
            * len(items))
        labels = siamfc_labels(responses.shape[-1], model.total_stride,
                               model.head.pos_radius, model.head.neg_radius)
        peaks = responses.flatten(1).argmax(1)
        hits += (labels.flatten()[peaks] == 1).tolist()
    return dict(
        held_out_loss=sum(losses) / num_pairs,
        peak_on_positive=float(np.mean(hits)))


def run_setting(args, name: str, setting: Dict, checkpoint: Optional[str],
                lists: Dict[str, str]) -> Dict:
    from mmaction.registry import DATASETS
    from mmengine.config import Config

    from constcl_mm.evaluation.downstream import tracking as trk
    from constcl_mm.evaluation.downstream.runner_utils import prepare_cfg
    from constcl_mm.utils import build_runner
    backbone = Config.fromfile(args.backbone_config).model.backbone \
        if args.backbone_config else None
    work_dir = osp.join(args.out_dir, name)
    cfg = prepare_cfg(args.config, work_dir, 'siamfc_sweep', args.seed,
                      'WARNING', setting_options(setting, args.iters))
    branch = trk.tracking_branch(checkpoint)
    trk._set_backbone(cfg, checkpoint, branch, backbone, False, 1.)
    trk._set_train_data(cfg, args.config, args.got10k_root)
    cfg.train_dataloader.dataset.ann_file = lists['fit']
    cfg.test_dataloader = None
    cfg.test_cfg = None
    cfg.test_evaluator = None
    runner = build_runner(cfg)
    runner.train()
    losses = trk._train_loss(runner)
    held_cfg = cfg.train_dataloader.dataset.copy()
    held_cfg.ann_file = lists['held_out']
    scores = held_out_scores(runner.model, DATASETS.build(held_cfg),
                             args.held_out_pairs, args.seed)
    return dict(
        train_loss=losses,
        first20=float(np.mean(losses[:20])),
        last20=float(np.mean(losses[-20:])),
        out_scale=float(runner.model.head.out_scale),
        **scores)


def parse_args() -> argparse.Namespace:
    from constcl_mm.evaluation.downstream import TRACKING_TRAIN_CONFIG
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('got10k_root', help='export with train/list.txt')
    parser.add_argument('--config', default=TRACKING_TRAIN_CONFIG)
    parser.add_argument(
        '--backbone-config',
        help='pretraining config whose model.backbone the tracker takes')
    parser.add_argument(
        '--checkpoint',
        nargs='+',
        default=['none'],
        help="pretraining checkpoints ('none': random init)")
    parser.add_argument(
        '--settings',
        nargs='+',
        default=['sgd-1e-2_os-1e-3', 'adamw-1e-2_os-1e-3'],
        help='<sgd|adamw>-<lr>_os-<out_scale>[_it-<iters>]')
    parser.add_argument('--iters', type=int, default=150)
    parser.add_argument('--held-out', type=int, default=8)
    parser.add_argument('--held-out-pairs', type=int, default=96)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out-dir', default='work_dirs/siamfc_readout_sweep')
    return parser.parse_args()


def main() -> None:
    from constcl_mm.evaluation.downstream import plot_training_loss
    args = parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    lists = split_videos(args.got10k_root, args.out_dir, args.held_out)
    rows: List[Dict] = []
    curves = {}
    for ckpt in args.checkpoint:
        checkpoint = None if ckpt == 'none' else ckpt
        tag = 'random' if checkpoint is None else osp.basename(
            osp.dirname(ckpt)) or 'pretrained'
        for text in args.settings:
            name = f'{tag}_{text}'
            result = run_setting(args, name, parse_setting(text), checkpoint,
                                 lists)
            rows.append(dict(name=name, **result))
            curves[name] = result['train_loss']
            print(
                f"{name:<44} out_scale {result['out_scale']:.5f}  train "
                f"{result['first20']:.3f} -> {result['last20']:.3f}  "
                f"held-out loss {result['held_out_loss']:.3f}  peak on a "
                f"positive {result['peak_on_positive']:.3f}",
                flush=True)
    with open(osp.join(args.out_dir, 'sweep.json'), 'w') as f:
        json.dump(rows, f, indent=1)
    plot_training_loss(curves, osp.join(args.out_dir, 'train_loss.png'))
    print(f'wrote {args.out_dir}/sweep.json and train_loss.png')


if __name__ == '__main__':
    main()
