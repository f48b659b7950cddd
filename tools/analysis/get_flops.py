# Copyright (c) constcl_mm authors. All rights reserved.
"""Prints parameters and MACs of any constcl_mm config.

    python tools/analysis/get_flops.py configs/constcl/pretrain.py
    python tools/analysis/get_flops.py CONFIG --shape 3 16 224 224

Parameters are counted for the whole model (trainable, frozen, BN running
statistics), per top-level part, and as the paper's Table 6 counts them
(backbone with BN statistics + trainable heads/neck, see
``constcl_mm.utils.complexity.table6_parameters``). MACs are multiply-
accumulates of the convolutions and linear layers of the backbone on one
clip of ``--shape`` (C T H W), per stage; for pretraining models also of
the whole training forward for one video (two clips, ``--boxes`` regions
per view), backbone, heads and neck. FLOPs are about 2x MACs.
"""
import argparse

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope


def parse_args() -> argparse.Namespace:
    from constcl_mm.utils.cfg_options import CfgOptionsAction
    parser = argparse.ArgumentParser(description='Parameters and MACs')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=4,
        default=[3, 16, 224, 224],
        metavar=('C', 'T', 'H', 'W'),
        help='one input clip of the backbone')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override config settings')
    parser.add_argument(
        '--boxes',
        type=int,
        default=8,
        help='regions per view for the pretraining forward (default 8)')
    return parser.parse_args()


def pretrain_forward_macs(model, shape, num_boxes: int):
    """MACs of ``model.loss`` on a batch of two videos, per video, by
    top-level part (None for models without a ``loss`` on two views)."""
    from mmaction.structures import ActionDataSample

    from constcl_mm.utils import count_macs
    if type(model).__name__ != 'ConSTCL':
        return None
    clips = torch.zeros(4, *shape)  # 2 videos x 2 views, (2B, C, T, H, W)
    samples = []
    for _ in range(2):
        sample = ActionDataSample()
        xy = torch.full((2, num_boxes, 2), 0.25)
        sample.set_field(torch.cat([xy, xy + 0.5], -1), 'boxes')
        samples.append(sample)

    class _Loss(torch.nn.Module):

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, inputs, data_samples):
            return self.inner.loss(inputs, data_samples)

    total, parts = count_macs(_Loss(model), (clips, samples), group_depth=2)
    parts = {k.split('.', 1)[1]: v / 2 for k, v in parts.items()}
    return total / 2, parts


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    from constcl_mm.utils.cfg_options import merge_cfg_options
    merge_cfg_options(cfg, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    from mmaction.registry import MODELS

    import constcl_mm  # noqa: F401
    from constcl_mm.utils import count_macs, count_parameters
    from constcl_mm.utils.complexity import table6_parameters
    model = MODELS.build(cfg.model)
    params = count_parameters(model)
    print(f'config: {args.config}')
    print(f'model: {type(model).__name__}')
    print(f"parameters: trainable {params['trainable']:,}  frozen "
          f"{params['frozen']:,}  BN statistics {params['bn_stats']:,}  "
          f"total {params['total']:,}")
    for name, child in model.named_children():
        if name == 'data_preprocessor':
            continue
        part = count_parameters(child)
        print(f"  {name:<20s} trainable {part['trainable']:>12,}  "
              f"total {part['total']:>12,}")
    if hasattr(model, 'backbone'):
        table6 = table6_parameters(model)
        print(f'parameters as in the paper (Table 6: backbone with BN '
              f'statistics + trainable heads): {table6:,} = '
              f'{table6 / 1e6:.1f} M')
    backbone = getattr(model, 'backbone', model)
    clip = torch.zeros(1, *args.shape)
    total, stages = count_macs(backbone, (clip, ))
    c, t, h, w = args.shape
    print(f'backbone MACs on one {c}x{t}x{h}x{w} clip: {total / 1e9:.2f} G '
          f'({2 * total / 1e9:.2f} GFLOPs)')
    for name, macs in stages.items():
        print(f'  {name:<20s} {macs / 1e9:8.2f} G')
    if 'layer4_local' in stages and 'layer4' in stages:
        trunk = total - stages['layer4_local']
        print(f'single-branch trunk (R3D-50, one res5): {trunk / 1e9:.2f} G')
    forward = pretrain_forward_macs(model, args.shape, args.boxes)
    if forward is not None:
        total, parts = forward
        print(f'pretraining forward MACs per video (two {c}x{t}x{h}x{w} '
              f'clips, {args.boxes} boxes per view): {total / 1e9:.2f} G '
              f'({2 * total / 1e9:.2f} GFLOPs)')
        heads = {}
        for name, macs in parts.items():
            top = name.split('.')[0]
            heads[top] = heads.get(top, 0) + macs
        for name, macs in heads.items():
            print(f'  {name:<20s} {macs / 1e9:8.3f} G')


if __name__ == '__main__':
    main()
