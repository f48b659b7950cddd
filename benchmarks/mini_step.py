# Copyright (c) constcl_mm authors. All rights reserved.
"""Training-step time of the learning proof's mini configs, side by side.

    python benchmarks/mini_step.py [--iters 25] [--warmup 5] [--threads 2]
        [--models supervised cvrl constcl_ctx0 constcl_ctx5]
        [--cfg-options KEY=VALUE ...]

Each model of ``tools/mini_experiment.py`` trains ``--iters`` iterations
through mmengine's Runner on the object world (the real pipeline: frame
cache, two-view sampling, crops, boxes, colour ops, bf16 autocast, AdamW),
in this process, one after the other. Printed per model: wall seconds per
step after ``--warmup`` steps, CPU seconds per step (all threads), the
runner's data time, and the minutes one pretraining of the config's
``max_iters`` takes at that speed. The issue's target is 5 minutes for
2,000 steps of 32 videos (0.15 s per step) on 2 cores.
``--cfg-options`` applies to every model (e.g.
``model.backbone.base_channels=12``) to measure a variant.
"""
import argparse
import os.path as osp
import sys
import tempfile
import time
from typing import Dict, List

from mmengine.config import DictAction
from mmengine.hooks import Hook

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MINI = osp.join(ROOT, 'configs', 'mini')
CONFIGS = {
    'supervised': 'supervised_r3d18y-w16_1xb32-16x2x2-2k_objects.py',
    'cvrl': 'cvrl_r3d18-w16_1xb32-16x2x2-2k_objects.py',
    'constcl_ctx0': 'constcl_r3d18y-w16_1xb32-16x2x2-2k_objects_context0.py',
    'constcl_ctx5': 'constcl_r3d18y-w16_1xb32-16x2x2-2k_objects.py',
}


class StepTimer(Hook):
    """Wall and process time from the start of iteration ``warmup`` on."""

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.wall = self.cpu = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.warmup:
            self.wall, self.cpu = time.perf_counter(), time.process_time()

    def after_train(self, runner) -> None:
        steps = runner.iter - self.warmup
        self.wall = (time.perf_counter() - self.wall) / steps
        self.cpu = (time.process_time() - self.cpu) / steps


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=25)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument(
        '--models', nargs='+', default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument(
        '--cache-dir',
        default=None,
        help='frame cache of the world (default: a temporary folder)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    if args.iters <= args.warmup:
        parser.error('--iters must be larger than --warmup')
    return args


def measure(name: str, args: argparse.Namespace, work_dir: str,
            cache_dir: str) -> Dict[str, float]:
    from mmengine.config import Config

    from constcl_mm.utils import adapt_cfg_to_machine, build_runner
    cfg = Config.fromfile(osp.join(MINI, CONFIGS[name]))
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    full_iters = int(cfg.train_cfg.max_iters)
    cfg.work_dir = osp.join(work_dir, name)
    cfg.log_level = 'WARNING'
    cfg.train_dataloader.dataset.cache_dir = cache_dir
    cfg.train_cfg.max_iters = args.iters
    cfg.train_cfg.val_interval = args.iters
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=10**9, save_last=False)
    adapt_cfg_to_machine(cfg)
    runner = build_runner(cfg)
    timer = StepTimer(args.warmup)
    runner.register_hook(timer)
    runner.train()
    data_time = runner.message_hub.get_scalar('train/data_time')
    return dict(
        wall=timer.wall,
        cpu=timer.cpu,
        data=float(data_time.mean(args.iters - args.warmup)),
        minutes=timer.wall * full_iters / 60,
        iters=full_iters)


def main() -> None:
    args = parse_args()
    import torch
    torch.set_num_threads(args.threads)
    rows: List[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache_dir or osp.join(tmp, 'cache')
        for name in args.models:
            r = measure(name, args, tmp, cache)
            rows.append(f'| {name} | {r["wall"]:.3f} | {r["cpu"]:.3f} | '
                        f'{r["data"]:.3f} | {r["minutes"]:.1f} '
                        f'({r["iters"]} steps) |')
            print(rows[-1], flush=True)
    print(f'\n{args.threads} threads, {args.iters - args.warmup} timed steps '
          f'after {args.warmup}; options: {args.cfg_options or "none"}')
    print('| model | wall s/step | CPU s/step | data s/step | '
          'minutes per pretraining |')
    print('|---|---|---|---|---|')
    print('\n'.join(rows))
    sys.stdout.flush()


if __name__ == '__main__':
    main()
