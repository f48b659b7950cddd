# Copyright (c) constcl_mm authors. All rights reserved.
"""Trains any constcl_mm config (pretraining or downstream) with mmengine.

Same command line as mmaction2's ``tools/train.py``::

    python tools/train.py configs/constcl/<config>.py [--work-dir DIR]
        [--resume [CKPT]] [--amp [--amp-dtype D]] [--auto-scale-lr] [--seed N]
        [--deterministic] [--cfg-options k=v ...] [--launcher pytorch]
        [--take-over-lock]
"""
import argparse

from mmengine.config import Config


def parse_args() -> argparse.Namespace:
    from constcl_mm.utils.cfg_options import CfgOptionsAction
    parser = argparse.ArgumentParser(description='Train a constcl_mm model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or without a value from the '
        'latest checkpoint in the work directory')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision (AutocastOptimWrapper): bfloat16 on the CPU '
        'and on GPUs that support it (Ampere and newer), else float16 with '
        'a dynamic loss scaler')
    parser.add_argument(
        '--amp-dtype',
        choices=['auto', 'bfloat16', 'float16'],
        default=None,
        help="with --amp: force the autocast dtype (default: the config's "
        "optim_wrapper.dtype, else 'auto')")
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the LR linearly with the actual total batch size '
        '(auto_scale_lr.base_batch_size in the config)')
    parser.add_argument(
        '--take-over-lock',
        action='store_true',
        help='take over the work-dir lock of a run on another host that is '
        'known to be over (also CONSTCL_TAKE_OVER_LOCK=1); a live run on '
        'this host is never taken over')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument(
        '--diff-rank-seed',
        action='store_true',
        help='use a different seed on each rank')
    parser.add_argument(
        '--deterministic',
        action='store_true',
        help='deterministic algorithms (for exact resume checks)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override config settings, e.g. '
        'train_dataloader.batch_size=4 model.backbone.with_cp=True')
    from constcl_mm.utils.device_args import (add_device_arguments,
                                              apply_device_arguments)
    add_device_arguments(parser)
    from constcl_mm.utils.run_args import add_run_arguments
    add_run_arguments(parser)  # --smoke, --pipeline-set
    args = parser.parse_args()
    apply_device_arguments(args)
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merges the command line into the config (the CLI wins)."""
    from constcl_mm.engine import enable_amp
    from constcl_mm.utils import adapt_cfg_to_machine, set_work_dir
    from constcl_mm.utils.cfg_options import merge_cfg_options

    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    cfg.launcher = args.launcher
    set_work_dir(cfg, args.config, args.work_dir)
    if args.amp_dtype is not None and not args.amp:
        raise ValueError('--amp-dtype needs --amp')
    if args.amp:
        enable_amp(cfg, args.amp_dtype)
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise KeyError(f'--auto-scale-lr needs `auto_scale_lr = dict('
                           f'base_batch_size=...)` in {args.config}')
        cfg.auto_scale_lr.enable = True
    if cfg.get('randomness', None) is None:
        cfg.randomness = dict(
            seed=args.seed,
            diff_rank_seed=args.diff_rank_seed,
            deterministic=args.deterministic)
    else:
        if args.seed is not None:
            cfg.randomness.seed = args.seed
        if args.deterministic:
            cfg.randomness.deterministic = True
        if args.diff_rank_seed:
            cfg.randomness.diff_rank_seed = True
    from constcl_mm.utils.run_args import apply_run_arguments
    apply_run_arguments(cfg, args)  # before --cfg-options, which wins
    merge_cfg_options(cfg, args.cfg_options)
    return adapt_cfg_to_machine(cfg)


def main() -> None:
    from constcl_mm.engine.work_dir_lock import work_dir_lock
    from constcl_mm.utils import build_runner, finish_distributed
    args = parse_args()
    # importing constcl_mm makes `constcl_mm::` config names known
    from constcl_mm.mim import drop_function_scopes, resolve_config_arg
    from constcl_mm.utils.cfg_options import warn_misspelt_config_keys
    args.config = resolve_config_arg(args.config)
    cfg = Config.fromfile(args.config)
    drop_function_scopes(cfg)
    warn_misspelt_config_keys(cfg)
    cfg = merge_args(cfg, args)
    # one run per work dir: taken on rank 0 before the runner writes
    with work_dir_lock(cfg.work_dir, take_over=args.take_over_lock):
        build_runner(cfg, training=True).train()
    finish_distributed()


if __name__ == '__main__':
    main()
