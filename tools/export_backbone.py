# Copyright (c) constcl_mm authors. All rights reserved.
"""Exports one res5 branch of a ConST-CL checkpoint as a stock R3D-50.

    python tools/export_backbone.py work_dirs/pretrain/iter_200000.pth \\
        r3d50_constcl_global.pth --branch global

The output (``{'state_dict': ..., 'meta': ...}``) loads with ``strict=True``
into mmaction2's ``ResNet3d`` configured as R3D-50::

    dict(type='ResNet3d', depth=50, pretrained=None, pretrained2d=False,
         conv1_kernel=(5, 7, 7), conv1_stride_t=2, pool1_stride_t=1,
         with_pool2=False, inflate=(0, 0, 1, 1), zero_init_residual=False)

and into ``ResNet3dY(branches=('global',), out_indices=(3,))``.
"""
import argparse
import os
import os.path as osp

import torch
from mmengine.runner.checkpoint import CheckpointLoader

import constcl_mm  # noqa: F401
from constcl_mm.models.utils.checkpoint import (CheckpointMismatchError,
                                                check_architecture,
                                                export_backbone_state)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export a ConST-CL backbone branch as a stock R3D-50')
    parser.add_argument('checkpoint', help='pretraining checkpoint')
    parser.add_argument('out', help='output .pth file')
    parser.add_argument(
        '--branch',
        choices=['global', 'local'],
        default='global',
        help='res5 branch written as layer4: global (res5, recognition) or '
        'local (res5_1, AVA and tracking)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    checkpoint = CheckpointLoader.load_checkpoint(
        args.checkpoint, map_location='cpu')
    state = export_backbone_state(checkpoint, args.branch)
    try:  # the meta below claims R3D-50: make sure it is one
        check_architecture(state)
    except CheckpointMismatchError as e:
        raise CheckpointMismatchError(f'{args.checkpoint}: {e}') from None
    meta = dict(
        source=osp.abspath(args.checkpoint),
        branch=args.branch,
        architecture='R3D-50 (mmaction2 ResNet3d, conv1 5x7x7 '
        'stride_t 2, inflate (0,0,1,1))')
    source_meta = checkpoint.get('meta', {}) if isinstance(checkpoint,
                                                           dict) else {}
    if isinstance(source_meta, dict) and 'iter' in source_meta:
        meta['iter'] = int(source_meta['iter'])
    out_dir = osp.dirname(osp.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    torch.save(dict(state_dict=state, meta=meta), args.out)
    params = sum(v.numel() for k, v in state.items()
                 if not k.endswith(('running_mean', 'running_var',
                                    'num_batches_tracked')))
    print(f'exported the {args.branch} branch: {len(state)} tensors, '
          f'{params:,} parameters -> {args.out}')


if __name__ == '__main__':
    main()
