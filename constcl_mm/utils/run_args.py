# Copyright (c) constcl_mm authors. All rights reserved.
"""``--smoke`` and ``--pipeline-set``, shared by ``tools/train.py`` and
``tools/test.py`` (applied before ``--cfg-options``, which wins)."""
import argparse

from mmengine.logging import print_log

from .pipeline_edit import apply_pipeline_sets
from .smoke import apply_smoke


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds ``--smoke`` and ``--pipeline-set``."""
    parser.add_argument(
        '--smoke',
        action='store_true',
        help='shrink the run to seconds on a CPU (8-frame clips, 64 px '
        'crops, batch 2, 2 iterations or 1 epoch of 2 batches, warmup half '
        'the run, LR scaled to the batch; constcl_mm/utils/smoke.py) to '
        'check a setup end to end')
    parser.add_argument(
        '--pipeline-set',
        nargs='+',
        default=[],
        metavar='[STAGE:]TYPE.KEY=VALUE',
        help='set a key of every pipeline step of a transform type, e.g. '
        'MultiViewRandomResizedCrop.scale=64 GenerateRegionBoxes.box_type='
        'slic (STAGE train/val/test limits it to one dataloader)')


def apply_run_arguments(cfg, args: argparse.Namespace):
    """Applies ``--smoke`` then ``--pipeline-set`` to ``cfg`` (in place).

    Returns:
        Config: ``cfg``.
    """
    if getattr(args, 'smoke', False):
        apply_smoke(cfg)
    changes = apply_pipeline_sets(cfg, getattr(args, 'pipeline_set', []))
    if changes:
        print_log('--pipeline-set: ' + ', '.join(changes), logger='current')
    return cfg
