# Copyright (c) constcl_mm authors. All rights reserved.
"""Prints parameters and MACs of any constcl_mm config.

    python tools/analysis/get_flops.py configs/constcl/pretrain.py
    python tools/analysis/get_flops.py CONFIG --shape 3 16 224 224

Parameters are counted for the whole model (trainable, frozen, BN running
statistics) and per top-level part. MACs are multiply-accumulates of the
convolutions and linear layers of the backbone on one clip of ``--shape``
(C T H W), per stage; FLOPs are about 2x MACs.
"""
import argparse


import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Parameters and MACs')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--shape', type=int, nargs=4, default=[3, 16, 224, 224],
        metavar=('C', 'T', 'H', 'W'), help='one input clip of the backbone')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    import constcl_mm  # noqa: F401
    from mmaction.registry import MODELS

    from constcl_mm.utils import count_macs, count_parameters
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


if __name__ == '__main__':
    main()
