# Copyright (c) constcl_mm authors. All rights reserved.
"""Tests a checkpoint on any constcl_mm config (recognition, AVA, tracking).

Same command line as mmaction2's ``tools/test.py``::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--dump out.pkl]
        [--show-dir DIR] [--amp [--amp-dtype D]] [--cfg-options k=v ...]
        [--launcher pytorch]
"""
import argparse

from mmengine.config import Config


def parse_args() -> argparse.Namespace:
    from constcl_mm.utils.cfg_options import CfgOptionsAction
    parser = argparse.ArgumentParser(description='Test a constcl_mm model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the directory to save the evaluation metrics')
    parser.add_argument(
        '--dump',
        type=str,
        help='dump predictions to a pickle file for offline evaluation')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='evaluate under autocast: bfloat16 on the CPU and on GPUs '
        'that support it, else float16')
    parser.add_argument(
        '--amp-dtype',
        choices=['auto', 'bfloat16', 'float16'],
        default=None,
        help="with --amp: force the autocast dtype (default 'auto')")
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted results are saved (in work_dir)')
    parser.add_argument(
        '--interval',
        type=int,
        default=1,
        help='visualize one sample every `interval` samples')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=2,
        help='display time of every window (seconds)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override config settings, e.g. test_dataloader.batch_size=1')
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
    from constcl_mm.utils import adapt_cfg_to_machine, set_work_dir
    from constcl_mm.utils.cfg_options import merge_cfg_options

    if args.show or args.show_dir:
        hooks = cfg.setdefault('default_hooks', {})
        if 'visualization' not in hooks:
            raise KeyError(
                '--show/--show-dir need `default_hooks.visualization` in '
                f'{args.config}')
        hooks.visualization.enable = True
        hooks.visualization.show = args.show
        hooks.visualization.wait_time = args.wait_time
        hooks.visualization.out_dir = args.show_dir
        hooks.visualization.interval = args.interval
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise ValueError(
                f'--dump must name a .pkl or .pickle file, got {args.dump}')
        dump_metric = dict(type='DumpResults', out_file_path=args.dump)
        if isinstance(cfg.test_evaluator, (list, tuple)):
            cfg.test_evaluator = [*cfg.test_evaluator, dump_metric]
        else:
            cfg.test_evaluator = [cfg.test_evaluator, dump_metric]
    cfg.launcher = args.launcher
    from constcl_mm.utils.run_args import apply_run_arguments
    apply_run_arguments(cfg, args)  # before --cfg-options, which wins
    merge_cfg_options(cfg, args.cfg_options)
    if args.amp_dtype is not None and not args.amp:
        raise ValueError('--amp-dtype needs --amp')
    if args.amp:
        from constcl_mm.engine import enable_test_amp
        enable_test_amp(cfg, args.amp_dtype)
    set_work_dir(cfg, args.config, args.work_dir)
    cfg.load_from = args.checkpoint
    return adapt_cfg_to_machine(cfg)


def main() -> None:
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
    build_runner(cfg).test()
    finish_distributed()


if __name__ == '__main__':
    main()
