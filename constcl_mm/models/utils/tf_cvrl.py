# Copyright (c) constcl_mm authors. All rights reserved.
"""CVRL's TF R3D-50 (Model Garden ``resnet_3d.ResNet3D``) as mmaction2's
``ResNet3d`` and constcl_mm's ``ResNet3dY``.

The released CVRL checkpoints are TF2 object-based checkpoints of the
backbone alone (``tf.train.Checkpoint(backbone=...)``): Keras numbers the
layers that own weights, so the names read

* ``backbone/layer_with_weights-0/kernel``: the stem Conv3D ``[5, 7, 7, 3,
  64]``; ``layer_with_weights-1/{gamma,beta,moving_mean,moving_variance}``:
  its BN;
* ``backbone/layer_with_weights-N/_temporal_conv/kernel`` ... for N >= 2: the
  ``BottleneckBlock3D`` s in order, with ``_temporal_conv`` (kt x 1 x 1),
  ``_spatial_conv`` (1 x 3 x 3, the spatial stride), ``_expand_conv``
  (1 x 1 x 1), their BNs ``_norm1``-``_norm3``, and in the first block of
  each stage ``_shortcut_conv`` + ``_norm0``;

each followed by ``/.ATTRIBUTES/VARIABLE_VALUE``. The architecture (stem
kernel, blocks per stage, widths, temporal kernels) is read from the shapes;
what the checkpoint does not hold (strides, BN epsilon and momentum) comes
from the CVRL config: stem temporal stride 2, no temporal pooling, spatial
strides (1, 2, 2, 2), Keras BN momentum 0.9 (PyTorch 0.1) and epsilon 1e-5.

TF pads 'SAME': odd totals put the extra pixel behind (stem, stride-2 3x3
convs, the stem pool), which PyTorch's symmetric padding does not. The
converted weights give TF's features exactly with ``ResNet3dY(...,
padding='tf_same')``; stock ``ResNet3d`` pads symmetrically (figures in
docs/model_zoo.md).
"""
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch

TF_VALUE_SUFFIX = '/.ATTRIBUTES/VARIABLE_VALUE'
_LAYER = re.compile(r'^(?P<scope>(?:.+/)?)layer_with_weights-(?P<index>\d+)/'
                    r'(?P<rest>.+)$')
#: BottleneckBlock3D sub-layers -> mmaction2 Bottleneck3d modules
BLOCK_PARTS = OrderedDict([
    ('_temporal_conv', 'conv1.conv'),
    ('_norm1', 'conv1.bn'),
    ('_spatial_conv', 'conv2.conv'),
    ('_norm2', 'conv2.bn'),
    ('_expand_conv', 'conv3.conv'),
    ('_norm3', 'conv3.bn'),
    ('_shortcut_conv', 'downsample.conv'),
    ('_norm0', 'downsample.bn'),
])
BN_LEAVES = OrderedDict([('gamma', 'weight'), ('beta', 'bias'),
                         ('moving_mean', 'running_mean'),
                         ('moving_variance', 'running_var')])
#: what the CVRL config sets and the checkpoint does not hold
CVRL_DEFAULTS = dict(
    conv1_stride_t=2, pool1_stride_t=1, bn_eps=1e-5, bn_momentum=0.9)
_DEPTHS = {(3, 4, 6, 3): 50, (3, 4, 23, 3): 101, (3, 8, 36, 3): 152}


class CVRLConversionError(ValueError):
    """A TF checkpoint that is not a CVRL-style ResNet3D backbone."""


def group_tf_layers(
        tensors: Mapping[str, np.ndarray],
        scope: Optional[str] = None) -> Tuple[str, List[Dict[str, object]]]:
    """Groups ``layer_with_weights-N/...`` tensors by N.

    Args:
        tensors (Mapping[str, ndarray]): A TF checkpoint
            (:func:`constcl_mm.utils.tf_checkpoint.load_tf_checkpoint`).
        scope (str, optional): The path in front of ``layer_with_weights``
            (``'backbone/'`` for the CVRL files). Found when there is one.

    Returns:
        tuple[str, list[dict]]: The scope and, for N = 0, 1, ..., the
        layer's tensors by their path inside the layer (``'kernel'``,
        ``'_norm1/gamma'``).
    """
    scopes: Dict[str, Dict[int, dict]] = {}
    for name, value in tensors.items():
        if '.OPTIMIZER_SLOT' in name or not name.endswith(TF_VALUE_SUFFIX):
            continue  # optimizer state, the object graph, save_counter
        match = _LAYER.match(name[:-len(TF_VALUE_SUFFIX)])
        if match:
            layers = scopes.setdefault(match['scope'], {})
            layers.setdefault(int(match['index']), {})[match['rest']] = value
    if scope is not None:
        scope = scope.rstrip('/') + '/' if scope else ''
        if scope not in scopes:
            raise CVRLConversionError(
                f'no layer_with_weights-N variables under scope {scope!r}; '
                f'scopes found: {sorted(scopes) or "none"}')
    elif len(scopes) == 1:
        scope = next(iter(scopes))
    else:
        raise CVRLConversionError(
            'expected the variables of one Keras model '
            '(<scope>/layer_with_weights-N/...), found scopes '
            f'{sorted(scopes) or "none"}; pass the scope of the backbone '
            "(e.g. scope='backbone/')")
    layers = scopes[scope]
    if sorted(layers) != list(range(len(layers))):
        raise CVRLConversionError(
            f'{scope}layer_with_weights-N: indices {sorted(layers)} are not '
            '0..N-1')
    return scope, [layers[i] for i in range(len(layers))]


def _kernel(array: np.ndarray, where: str) -> torch.Tensor:
    array = np.asarray(array)
    if array.ndim != 5:
        raise CVRLConversionError(
            f'{where}: a Conv3D kernel [kT, kH, kW, Cin, Cout] was expected, '
            f'got shape {array.shape}')
    # [kT, kH, kW, Cin, Cout] -> [Cout, Cin, kT, kH, kW]
    return torch.from_numpy(
        np.ascontiguousarray(array.transpose(4, 3, 0, 1, 2)))


def _bn(values: Mapping[str, np.ndarray], prefix: str, where: str,
        out: Dict[str, torch.Tensor]) -> int:
    missing = [k for k in BN_LEAVES if prefix + k not in values]
    if missing:
        raise CVRLConversionError(
            f'{where}: BatchNormalization without {missing} (center/scale '
            'off?); only the full Keras BN converts')
    for tf_leaf, leaf in BN_LEAVES.items():
        out[leaf] = torch.from_numpy(
            np.ascontiguousarray(values[prefix + tf_leaf], dtype=np.float32))
    out['num_batches_tracked'] = torch.tensor(0, dtype=torch.long)
    return int(values[prefix + 'gamma'].shape[0])


def _convert_block(block: Mapping[str, np.ndarray], name: str,
                   where: str) -> Dict[str, torch.Tensor]:
    parts = {key.split('/', 1)[0] for key in block}
    unknown = sorted(parts - set(BLOCK_PARTS))
    if unknown:
        raise CVRLConversionError(
            f'{where}: sub-layers {unknown} (self-gating or squeeze-'
            'excitation?) have no counterpart in mmaction2 ResNet3d; CVRL '
            'R3D-50 has neither')
    needed = [p for p in list(BLOCK_PARTS)[:6] if p not in parts]
    if needed or ('_shortcut_conv' in parts) != ('_norm0' in parts):
        raise CVRLConversionError(
            f'{where}: not a BottleneckBlock3D (missing '
            f'{needed or ["_shortcut_conv/_norm0 pair"]})')
    out: Dict[str, torch.Tensor] = OrderedDict()
    for part, module in BLOCK_PARTS.items():
        if part not in parts:
            continue
        if part.startswith('_norm'):
            values: Dict[str, torch.Tensor] = OrderedDict()
            _bn(block, part + '/', f'{where}/{part}', values)
            out.update((f'{name}.{module}.{k}', v) for k, v in values.items())
        else:
            out[f'{name}.{module}.weight'] = _kernel(block[part + '/kernel'],
                                                     f'{where}/{part}')
    return out


def _stages(blocks: Sequence[Mapping[str, np.ndarray]],
            where: str) -> List[List[int]]:
    stages: List[List[int]] = []
    for i, block in enumerate(blocks):
        if any(k.startswith('_shortcut_conv/') for k in block):
            stages.append([])
        if not stages:
            raise CVRLConversionError(
                f'{where}: the first block has no projection shortcut')
        stages[-1].append(i)
    return stages


def convert_cvrl_backbone(
    tensors: Mapping[str, np.ndarray],
    scope: Optional[str] = None,
    conv1_stride_t: int = CVRL_DEFAULTS['conv1_stride_t'],
    pool1_stride_t: int = CVRL_DEFAULTS['pool1_stride_t'],
    bn_eps: float = CVRL_DEFAULTS['bn_eps'],
    bn_momentum: float = CVRL_DEFAULTS['bn_momentum']
) -> Tuple[Dict[str, torch.Tensor], dict]:
    """Converts a CVRL / Model Garden ResNet3D checkpoint to mmaction2.

    Args:
        tensors (Mapping[str, ndarray]): The TF checkpoint's tensors.
        scope (str, optional): See :func:`group_tf_layers`.
        conv1_stride_t (int): The stem's temporal stride
            (``stem_conv_temporal_stride``). Defaults to 2.
        pool1_stride_t (int): ``stem_pool_temporal_stride``. Defaults to 1
            (the pool is then 1x3x3, as in TF).
        bn_eps (float): ``norm_activation.norm_epsilon``. Defaults to 1e-5.
        bn_momentum (float): Keras ``norm_momentum`` (PyTorch momentum is
            ``1 - bn_momentum``). Defaults to 0.9.

    Returns:
        tuple[dict, dict]: The ``ResNet3d`` state dict and the mmaction2
        backbone config it loads into strictly (for CVRL's R3D-50 exactly
        :data:`~constcl_mm.models.utils.checkpoint.R3D50_CFG`).
    """
    scope, layers = group_tf_layers(tensors, scope)
    where = f'{scope}layer_with_weights'
    if len(layers) < 3 or set(layers[0]) != {'kernel'}:
        raise CVRLConversionError(
            f'{where}-0 should be the stem Conv3D (a kernel only, no bias), '
            f'found {sorted(layers[0]) if layers else "no layers"}; only the '
            "Model Garden ResNet3D with stem_type='v0' converts")
    state: Dict[str, torch.Tensor] = OrderedDict()
    state['conv1.conv.weight'] = _kernel(layers[0]['kernel'], f'{where}-0')
    stem_bn: Dict[str, torch.Tensor] = OrderedDict()
    base = _bn(layers[1], '', f'{where}-1', stem_bn)
    state.update((f'conv1.bn.{k}', v) for k, v in stem_bn.items())
    blocks = layers[2:]
    stages = _stages(blocks, where)
    if len(stages) != 4:
        raise CVRLConversionError(
            f'{where}: {len(stages)} stages found (blocks with a projection '
            'shortcut), mmaction2 ResNet3d has 4')
    inflate = []
    for s, indices in enumerate(stages):
        flags = []
        for j, i in enumerate(indices):
            where_i = f'{where}-{i + 2}'
            state.update(
                _convert_block(blocks[i], f'layer{s + 1}.{j}', where_i))
            temporal = blocks[i]['_temporal_conv/kernel']
            spatial = blocks[i]['_spatial_conv/kernel']
            planes = temporal.shape[-1]
            if planes != base * 2**s:
                raise CVRLConversionError(
                    f'{where_i}: {planes} filters in stage {s + 1}; '
                    f'mmaction2 ResNet3d needs base_channels x 2^stage = '
                    f'{base * 2**s} (stem width {base})')
            if tuple(temporal.shape[:3]) not in ((1, 1, 1), (3, 1, 1)) or \
                    tuple(spatial.shape[:3]) != (1, 3, 3):
                raise CVRLConversionError(
                    f'{where_i}: kernels {tuple(temporal.shape[:3])} / '
                    f'{tuple(spatial.shape[:3])}; mmaction2 inflate_style '
                    "'3x1x1' needs (1 or 3, 1, 1) / (1, 3, 3)")
            flags.append(int(temporal.shape[0] == 3))
        inflate.append(flags[0] if len(set(flags)) == 1 else tuple(flags))
    stage_blocks = tuple(len(s) for s in stages)
    cfg = dict(
        type='ResNet3d',
        depth=_DEPTHS.get(stage_blocks, 50),
        pretrained=None,
        pretrained2d=False,
        conv1_kernel=tuple(int(k) for k in layers[0]['kernel'].shape[:3]),
        conv1_stride_t=conv1_stride_t,
        pool1_stride_t=pool1_stride_t,
        with_pool2=False,
        inflate=tuple(inflate),
        zero_init_residual=False)
    if stage_blocks not in _DEPTHS:
        cfg['stage_blocks'] = stage_blocks
    if base != 64:
        cfg['base_channels'] = base
    momentum = round(1.0 - bn_momentum, 10)
    if bn_eps != 1e-5 or momentum != 0.1:
        cfg['norm_cfg'] = dict(
            type='BN3d', requires_grad=True, eps=bn_eps, momentum=momentum)
    return state, cfg


def to_resnet3dy(
        state: Mapping[str, torch.Tensor],
        cfg: Mapping,
        padding: str = 'tf_same') -> Tuple[Dict[str, torch.Tensor], dict]:
    """A ``ResNet3d`` state dict and config as ``ResNet3dY`` with both res5
    branches (``layer4`` and ``layer4_local``) holding the same res5.

    Args:
        state (Mapping[str, Tensor]): From :func:`convert_cvrl_backbone`.
        cfg (Mapping): Its config.
        padding (str): The ``ResNet3dY`` padding. Defaults to 'tf_same'
            (TF's features exactly).

    Returns:
        tuple[dict, dict]: State dict and ``ResNet3dY`` config.
    """
    out = OrderedDict(state)
    for key, value in state.items():
        if key.startswith('layer4.'):
            out['layer4_local.' + key[len('layer4.'):]] = value.clone()
    y_cfg = {k: v for k, v in cfg.items() if k not in ('type', 'pretrained2d')}
    y_cfg.update(
        type='ResNet3dY',
        branches=('global', 'local'),
        out_indices=(3, 4),
        padding=padding)
    return out, y_cfg
