# Copyright (c) constcl_mm authors. All rights reserved.
"""Exports one res5 branch of a ConST-CL checkpoint as a stock R3D-50.

    python tools/export_backbone.py work_dirs/pretrain/iter_200000.pth \\
        r3d50_constcl_global.pth --branch global

The output (``{'state_dict': ..., 'meta': ...}``) loads with ``strict=True``
into mmaction2's ``ResNet3d`` configured as R3D-50::

    dict(type='ResNet3d', depth=50, pretrained=None, pretrained2d=False,
         conv1_kernel=(5, 7, 7), conv1_stride_t=2, pool1_stride_t=1,
         with_pool2=False, inflate=(0, 0, 1, 1), zero_init_residual=False)

and into ``ResNet3dY(branches=('global',), out_indices=(3,))``. Narrower
checkpoints (the width-16 models of ``configs/mini``) are exported at their
width: ``base_channels`` is read from the weights, stored in the output's
``meta['backbone_cfg']`` and printed.
"""
import argparse
import os
import os.path as osp

import torch
from mmengine.runner.checkpoint import CheckpointLoader

import constcl_mm  # noqa: F401
from constcl_mm.models.utils.checkpoint import (R3D50_CFG,
                                                CheckpointMismatchError,
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


def r3d50_config(state: dict) -> dict:
    """The R3D-50 config of the exported weights, at their width.

    ``base_channels`` (64 for the paper's R3D-50, 16 for ``configs/mini``)
    is read from the ``conv1`` weight; every other shape is then checked
    by :func:`check_architecture`.
    """
    conv1 = state.get('conv1.conv.weight')
    width = int(conv1.shape[0]) if conv1 is not None and conv1.ndim == 5 \
        else R3D50_CFG.get('base_channels', 64)
    return dict(R3D50_CFG, base_channels=width)


def main() -> None:
    args = parse_args()
    checkpoint = CheckpointLoader.load_checkpoint(
        args.checkpoint, map_location='cpu')
    state = export_backbone_state(checkpoint, args.branch)
    cfg = r3d50_config(state)
    width = cfg['base_channels']
    name = 'R3D-50' if width == 64 else f'R3D-50 (width {width})'
    try:  # the meta below claims R3D-50: make sure it is one
        check_architecture(state, cfg, name)
    except CheckpointMismatchError as e:
        raise CheckpointMismatchError(f'{args.checkpoint}: {e}') from None
    meta = dict(
        source=osp.abspath(args.checkpoint),
        branch=args.branch,
        architecture=f'{name} (mmaction2 ResNet3d, conv1 5x7x7 '
        f'stride_t 2, inflate (0,0,1,1), base_channels={width})',
        backbone_cfg=dict(cfg, type='ResNet3d'))
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
    print(f'exported the {args.branch} branch of a {name}: {len(state)} '
          f'tensors, {params:,} parameters -> {args.out}')
    if width != 64:
        print(f'load it into ResNet3d / ResNet3dY with base_channels={width} '
              '(and the strides of the pretraining config)')


if __name__ == '__main__':
    main()
