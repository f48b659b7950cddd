# Copyright (c) constcl_mm authors. All rights reserved.
"""Device options shared by ``tools/train.py`` and ``tools/test.py``.

``mim train/test`` adds ``--gpus N`` (or ``--device cpu`` for ``--gpus 0``)
to the command line of any tool whose help mentions ``--gpus``; both forms
are accepted here.
"""
import argparse
import os

from .cpu_heap import CPU_HEAP_CHOICES, apply_cpu_heap


def add_device_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds ``--launcher``, ``--device``, ``--gpus``, ``--local-rank`` and
    ``--cpu-heap``."""
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--device',
        choices=['cpu', 'cuda'],
        default=None,
        help='cpu: hide the GPUs; default: CUDA when available')
    parser.add_argument(
        '--gpus',
        type=int,
        default=None,
        help='as `mim train/test --gpus N` passes it: 0 = the CPU, 1 = the '
        'default device; several GPUs need a launcher (tools/dist_train.sh '
        'CONFIG N, or mim ... --launcher pytorch --gpus N)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument(
        '--cpu-heap',
        choices=CPU_HEAP_CHOICES,
        default='auto',
        help='auto (default): on a run without CUDA, keep freed memory in '
        'the process heap so that activations are not faulted in again '
        'every step (glibc; faster CPU steps, resident memory stays at the '
        'peak); keep: always; system: leave malloc alone')


def apply_device_arguments(args: argparse.Namespace) -> None:
    """Acts on the parsed options before anything touches CUDA.

    Raises:
        SystemExit: ``--gpus`` negative, or above 1 without a launcher.
    """
    gpus = args.gpus
    if gpus is not None:
        if gpus < 0:
            raise SystemExit(f'--gpus must be >= 0, got {gpus}')
        if gpus > 1 and args.launcher == 'none':
            raise SystemExit(
                f'--gpus {gpus} without a launcher runs one process: use '
                f'tools/dist_train.sh CONFIG {gpus} (or mim train/test ... '
                f'--launcher pytorch --gpus {gpus})')
        if gpus == 0:
            args.device = 'cpu'
    if args.device == 'cpu':
        os.environ['CUDA_VISIBLE_DEVICES'] = ''
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    import torch
    from mmengine.logging import print_log
    message = apply_cpu_heap(
        args.cpu_heap, on_cpu=not torch.cuda.is_available())
    if message:
        print_log(message, logger='current')
