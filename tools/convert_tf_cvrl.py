# Copyright (c) constcl_mm authors. All rights reserved.
"""Converts a TF CVRL R3D-50 checkpoint (Model Garden ``resnet_3d``) to
mmaction2 / constcl_mm weights. TensorFlow is not needed.

    python tools/convert_tf_cvrl.py r3d_1x_k400_200ep/ checkpoints/cvrl \\
        --name cvrl_r3d_1x_k400_200ep [--constcl-init] [--check]

writes into the output folder

* ``NAME_r3d50.pth``: stock mmaction2 ``ResNet3d`` R3D-50
  (:data:`~constcl_mm.models.utils.checkpoint.R3D50_CFG`), loads with
  ``strict=True``; the recognition configs ``configs/recognition/cvrl/``
  take it (``model.backbone.pretrained=...``);
* ``NAME_r3d50y.pth``: ``ResNet3dY`` with CVRL's res5 in both branches
  (``layer4`` and ``layer4_local``), for the ConST-CL warm start
  (``configs/constcl/*cvrl-init*``) and route A of docs/stock_configs.md;
* with ``--constcl-init``, ``NAME_constcl-init.pth``: a whole ConST-CL model
  (``configs/_base_/models/constcl_r3d50y.py``) with this backbone, neck and
  heads freshly initialised (``--seed``), for ``load_from``;

and prints each file's state-dict digest (:func:`state_dict_digest`;
``--digest FILE`` prints it for any checkpoint).

``--check`` compares our features with TF's on a clip: TF's from
``--tf-outputs FILE.npz`` (``clip`` and ``endpoint_2``..``endpoint_5`` in
TF's NTHWC layout, as ``tools/tf/cvrl_tf_features.py`` writes them), or
computed by that script with ``--tf-python`` (the python of a venv with
tensorflow-cpu and tf-models-official; default: this python when it imports
tensorflow) on a seeded ``--clip-shape`` clip. It prints the max and relative
difference per endpoint with TF 'SAME' padding (``ResNet3dY(padding=
'tf_same')``, exact) and with the symmetric padding of stock ``ResNet3d``,
and fails when the exact route is off by more than ``--tol``.
"""
import argparse
import importlib.util
import logging
import os
import os.path as osp
import re
import subprocess
import sys
from typing import Dict, Mapping, Tuple

import numpy as np
import torch

import constcl_mm  # noqa: F401
from constcl_mm.models.utils.checkpoint import R3D50_CFG, backbone_state_dict
from constcl_mm.models.utils.state_digest import state_dict_digest
from constcl_mm.models.utils.tf_cvrl import (CVRL_DEFAULTS,
                                             convert_cvrl_backbone,
                                             to_resnet3dy)
from constcl_mm.utils.tf_checkpoint import load_tf_checkpoint, resolve_prefix

ENDPOINTS = ('2', '3', '4', '5')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='TF CVRL checkpoint -> mmaction2 ResNet3d / ResNet3dY')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='TF checkpoint prefix (e.g. .../r3d_1x_k600_800ep_backbone-1), '
        'its .index file or its folder')
    parser.add_argument('out_dir', nargs='?', help='output folder')
    parser.add_argument(
        '--name', help='file name stem (default: from the prefix)')
    parser.add_argument(
        '--scope',
        help="variable scope of the backbone (default: found; 'backbone/' "
        'in the CVRL files)')
    parser.add_argument(
        '--conv1-stride-t',
        type=int,
        default=CVRL_DEFAULTS['conv1_stride_t'],
        help='stem temporal stride (CVRL: 2)')
    parser.add_argument(
        '--pool1-stride-t',
        type=int,
        default=CVRL_DEFAULTS['pool1_stride_t'],
        help='stem pool temporal stride (CVRL: 1)')
    parser.add_argument(
        '--bn-eps',
        type=float,
        default=CVRL_DEFAULTS['bn_eps'],
        help='BN epsilon of the TF config (CVRL: 1e-5)')
    parser.add_argument(
        '--bn-momentum',
        type=float,
        default=CVRL_DEFAULTS['bn_momentum'],
        help='Keras BN momentum of the TF config (CVRL: 0.9 = PyTorch 0.1)')
    parser.add_argument(
        '--constcl-init',
        action='store_true',
        help='also write a whole ConST-CL model initialised from it')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the --constcl-init heads')
    parser.add_argument(
        '--check', action='store_true', help='compare with TF on a clip')
    parser.add_argument(
        '--tf-outputs', help='npz of a TF run (tools/tf/cvrl_tf_features.py)')
    parser.add_argument(
        '--tf-python',
        help='python of a TF venv that runs the TF side of --check (default: '
        'this one, when it imports tensorflow)')
    parser.add_argument(
        '--clip-shape',
        type=int,
        nargs=4,
        default=(1, 16, 224, 224),
        metavar=('N', 'T', 'H', 'W'),
        help='clip of the TF check (seeded, uniform in [-1, 1))')
    parser.add_argument(
        '--tol',
        type=float,
        default=1e-4,
        help='--check fails above this max relative difference (tf_same)')
    parser.add_argument(
        '--digest',
        metavar='FILE',
        help='only print the state-dict digest of FILE (a .pth)')
    args = parser.parse_args(argv)
    if args.digest is None and (args.checkpoint is None
                                or args.out_dir is None):
        parser.error('checkpoint and out_dir are required (or --digest)')
    return args


def default_name(prefix: str) -> str:
    """``r3d_1x_k400_200ep_backbone-1`` -> ``cvrl_r3d_1x_k400_200ep``."""
    stem = re.sub(r'(_backbone)?(-\d+)?$', '', osp.basename(prefix))
    return stem if stem.startswith('cvrl') else f'cvrl_{stem}'


def save(path: str, state: Mapping[str, torch.Tensor], meta: dict) -> str:
    torch.save(dict(state_dict=dict(state), meta=meta), path)
    digest = state_dict_digest(state)
    print(f'  {path}: {len(state)} tensors, state-dict sha256 {digest}')
    return digest


def constcl_init(y_state: Mapping[str, torch.Tensor], y_cfg: dict,
                 seed: int) -> Dict[str, torch.Tensor]:
    """A ConST-CL model with this backbone, neck and heads initialised."""
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.logging import MMLogger

    from constcl_mm.mim import config_path
    cfg = Config.fromfile(config_path('_base_/models/constcl_r3d50y.py'))
    width = y_cfg.get('base_channels', 64) * 32
    cfg.model.backbone = dict(y_cfg)
    cfg.model.global_head.update(in_channels=width)
    cfg.model.neck.update(in_channels=width)
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # not one line per initialised tensor
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    model.backbone.load_state_dict(y_state, strict=True)
    return model.state_dict()


def tf_python(args) -> str:
    """The interpreter that runs the TF side: ``--tf-python``, else this
    one when it can import TensorFlow."""
    if args.tf_python:
        return args.tf_python
    if importlib.util.find_spec('tensorflow') is not None:
        return sys.executable
    sys.exit('--check: TensorFlow is not importable here. Give the python '
             'of a venv with tensorflow-cpu and tf-models-official '
             '(tools/tf/requirements.txt) as --tf-python, or the outputs of '
             'tools/tf/cvrl_tf_features.py as --tf-outputs')


def tf_reference(args, prefix: str,
                 cfg: Mapping) -> Tuple[np.ndarray, Dict[str, np.ndarray]]:
    """(clip NTHWC, {endpoint: NTHWC}) from --tf-outputs, or computed by
    tools/tf/cvrl_tf_features.py with the TF python."""
    path = args.tf_outputs
    if not path:
        if cfg == R3D50_CFG:
            extra = []
        elif cfg.get('stage_blocks') == (1, 2, 2,
                                         1) and cfg.get('base_channels') == 4:
            extra = ['--reduced']  # the golden of tests/data/tf_cvrl
        else:
            sys.exit('--check: the TF side builds CVRL\'s R3D-50 (or the '
                     f'reduced golden), not {cfg}; pass --tf-outputs')
        path = osp.join(args.out_dir, 'tf_outputs.npz')
        script = osp.join(
            osp.dirname(osp.abspath(__file__)), 'tf', 'cvrl_tf_features.py')
        cmd = [
            tf_python(args), script, prefix, path, '--seed',
            str(args.seed), '--clip-shape', *map(str, args.clip_shape)
        ] + extra
        print('TF: ' + ' '.join(cmd))
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
        subprocess.run(cmd, check=True, env=env)
    with np.load(path) as data:
        return data['clip'], {k: data[f'endpoint_{k}'] for k in ENDPOINTS}


def our_features(state: Mapping[str, torch.Tensor], cfg: Mapping,
                 clip: np.ndarray) -> Dict[str, np.ndarray]:
    """res2-res5 of the backbone ``cfg`` with ``state``, eval mode, NTHWC."""
    from mmaction.registry import MODELS
    model = MODELS.build(dict(cfg, out_indices=(0, 1, 2, 3)))
    model.load_state_dict(state, strict=True)
    model.eval()
    x = torch.from_numpy(np.ascontiguousarray(clip)).permute(0, 4, 1, 2, 3)
    with torch.no_grad():
        feats = model(x)
    return {
        k: f.permute(0, 2, 3, 4, 1).contiguous().numpy()
        for k, f in zip(ENDPOINTS, feats)
    }


def compare(ours: Mapping[str, np.ndarray],
            theirs: Mapping[str, np.ndarray]) -> Dict[str, Tuple[float, ...]]:
    """Per endpoint: (max |ours - TF|, that / max |TF|, ||ours - TF|| /
    ||TF||)."""
    out = {}
    for key in ENDPOINTS:
        if ours[key].shape != theirs[key].shape:
            raise ValueError(f'endpoint {key}: ours {ours[key].shape}, TF '
                             f'{theirs[key].shape}')
        diff = ours[key].astype(np.float64) - theirs[key]
        out[key] = (float(np.abs(diff).max()),
                    float(np.abs(diff).max() / np.abs(theirs[key]).max()),
                    float(np.linalg.norm(diff) / np.linalg.norm(theirs[key])))
    return out


def check(args, prefix: str, stock: Tuple[dict, dict],
          exact: Tuple[dict, dict]) -> bool:
    clip, theirs = tf_reference(args, prefix, stock[1])
    print(f'check on a clip of {tuple(clip.shape)} (N, T, H, W, C), '
          'eval-mode BN, fp32:')
    rows = [('tf_same (ResNet3dY)', exact), ('symmetric (ResNet3d)', stock)]
    worst = {}
    for label, (state, cfg) in rows:
        result = compare(our_features(state, cfg, clip), theirs)
        worst[label] = max(r[1] for r in result.values())
        print(f'  {label}')
        for key, (diff, rel, rel_l2) in result.items():
            print(f'    res{key}: max |diff| {diff:.3g}, / max |TF| '
                  f'{rel:.2e}, relative L2 {rel_l2:.2e}')
    ok = worst[rows[0][0]] <= args.tol
    print(f'  tf_same max relative difference {worst[rows[0][0]]:.2e} '
          f'({"<=" if ok else ">"} {args.tol:g}); symmetric padding costs '
          f'{worst[rows[1][0]]:.2e}')
    return ok


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.digest:
        ckpt = torch.load(args.digest, map_location='cpu', weights_only=True)
        print(f'{state_dict_digest(backbone_state_dict(ckpt))}  '
              f'{args.digest}')
        return
    prefix = resolve_prefix(args.checkpoint)
    name = args.name or default_name(prefix)
    tensors = load_tf_checkpoint(prefix)
    print(f'read {len(tensors)} tensors of {prefix} (checksums verified)')
    state, cfg = convert_cvrl_backbone(
        tensors,
        scope=args.scope,
        conv1_stride_t=args.conv1_stride_t,
        pool1_stride_t=args.pool1_stride_t,
        bn_eps=args.bn_eps,
        bn_momentum=args.bn_momentum)
    y_state, y_cfg = to_resnet3dy(state, cfg, padding='tf_same')
    os.makedirs(args.out_dir, exist_ok=True)
    meta = dict(
        source=prefix,
        converted_by='tools/convert_tf_cvrl.py',
        bn_eps=args.bn_eps,
        bn_momentum_keras=args.bn_momentum,
        tf_padding='SAME (exact with ResNet3dY padding=tf_same)')
    save(
        osp.join(args.out_dir, f'{name}_r3d50.pth'), state,
        dict(meta, backbone_cfg=cfg))
    save(
        osp.join(args.out_dir, f'{name}_r3d50y.pth'), y_state,
        dict(meta, backbone_cfg=y_cfg))
    if args.constcl_init:
        save(
            osp.join(args.out_dir, f'{name}_constcl-init.pth'),
            constcl_init(y_state, y_cfg, args.seed),
            dict(meta, seed=args.seed))
    print(f'backbone config: {cfg}')
    if args.check:
        single = dict(y_cfg, branches=('global', ))
        g_state = {
            k: v
            for k, v in y_state.items() if not k.startswith('layer4_local.')
        }
        if not check(args, prefix, (state, cfg), (g_state, single)):
            sys.exit(1)


if __name__ == '__main__':
    main()
