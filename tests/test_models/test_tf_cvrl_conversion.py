# Copyright (c) constcl_mm authors. All rights reserved.
"""CVRL checkpoints of the official TF builder converted to mmaction2 /
ResNet3dY reproduce TF's features (goldens of tools/tf/make_cvrl_goldens.py,
tests/data/README.md)."""
import numpy as np
import pytest
import torch
from helpers.paths import data_path
from mmaction.registry import MODELS

from constcl_mm.models.utils.checkpoint import R3D50_CFG, check_architecture
from constcl_mm.models.utils.tf_cvrl import (CVRLConversionError,
                                             convert_cvrl_backbone,
                                             to_resnet3dy)
from constcl_mm.testing.cvrl_weights import random_clip, random_cvrl_weights
from constcl_mm.utils.tf_checkpoint import load_tf_checkpoint

TOL = 1e-4  # max |ours - TF| / max |TF|, per endpoint
ENDPOINTS = ('2', '3', '4', '5')


def r3d50_variables():
    """{name: shape} of CVRL's R3D-50 checkpoint (the committed list)."""
    shapes = {}
    with open(data_path('tf_cvrl', 'r3d50_cvrl_variables.txt')) as f:
        for line in f:
            if line.startswith('#'):
                continue
            name, dtype, shape = line.rstrip('\n').split('\t')
            if dtype == 'float32':
                shapes[name] = tuple(int(s) for s in shape.split(','))
    return shapes


def features(cfg, state, clip, **kwargs):
    """res2-res5 in eval mode, NTHWC like TF."""
    model = MODELS.build(dict(cfg, out_indices=(0, 1, 2, 3), **kwargs))
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        outs = model(torch.from_numpy(clip).permute(0, 4, 1, 2, 3))
    return {
        k: o.permute(0, 2, 3, 4, 1).contiguous().numpy()
        for k, o in zip(ENDPOINTS, outs)
    }


def exact(cfg, state, clip):
    """The tf_same route: ResNet3dY with the global branch only."""
    y_state, y_cfg = to_resnet3dy(state, cfg)
    y_state = {
        k: v
        for k, v in y_state.items() if not k.startswith('layer4_local.')
    }
    return features(dict(y_cfg, branches=('global', )), y_state, clip)


def rel_diff(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


@pytest.fixture(scope='module')
def reduced():
    tensors = load_tf_checkpoint(data_path('tf_cvrl', 'cvrl_reduced'))
    with np.load(data_path('tf_cvrl', 'cvrl_reduced_outputs.npz')) as data:
        ref = {k: data[k] for k in data.files}
    clip = random_clip(tuple(ref['clip_shape']), int(ref['seed']))
    return tensors, clip, ref


def test_r3d50_converts_to_the_stock_config():
    shapes = r3d50_variables()
    assert len(shapes) == 265
    state, cfg = convert_cvrl_backbone(random_cvrl_weights(shapes))
    assert cfg == R3D50_CFG
    check_architecture(state)  # exactly the keys and shapes of R3D-50
    bn = sum(k.endswith('num_batches_tracked') for k in state)
    assert len(state) - bn == len(shapes)  # every TF variable used once
    stock = MODELS.build(R3D50_CFG)
    stock.load_state_dict(state, strict=True)
    name = 'backbone/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE'
    kernel = random_cvrl_weights({name: shapes[name]})[name]
    assert torch.equal(state['conv1.conv.weight'],
                       torch.from_numpy(kernel.transpose(4, 3, 0, 1, 2)))


def test_reduced_checkpoint_architecture(reduced):
    tensors, _, _ = reduced
    _, cfg = convert_cvrl_backbone(tensors)
    assert cfg['base_channels'] == 4
    assert cfg['stage_blocks'] == (1, 2, 2, 1)
    assert cfg['inflate'] == (0, 0, (1, 0), 1)
    assert cfg['conv1_kernel'] == (5, 7, 7)


def test_reduced_features_match_tf(reduced):
    tensors, clip, ref = reduced
    state, cfg = convert_cvrl_backbone(tensors)
    ours = exact(cfg, state, clip)
    for key in ENDPOINTS:
        theirs = ref[f'endpoint_{key}']
        assert ours[key].shape == theirs.shape, key
        assert rel_diff(ours[key], theirs) < TOL, key
    # symmetric padding (stock ResNet3d) samples another grid: it differs
    stock = features(cfg, state, clip)
    assert rel_diff(stock['5'], ref['endpoint_5']) > 1e-2


def test_r3d50_features_match_tf_at_the_sampled_points():
    # the seeded weights and clip of the goldens script, rebuilt without TF
    with np.load(data_path('tf_cvrl', 'r3d50_cvrl_outputs_sampled.npz')) as d:
        ref = {k: d[k] for k in d.files}
    seed = int(ref['seed'])
    state, cfg = convert_cvrl_backbone(
        random_cvrl_weights(r3d50_variables(), seed))
    ours = exact(cfg, state, random_clip(tuple(ref['clip_shape']), seed))
    for key in ENDPOINTS:
        assert ours[key].shape == tuple(ref[f'shape_{key}'])
        sampled = ours[key].reshape(-1)[ref[f'idx_{key}']]
        err = np.abs(sampled - ref[f'val_{key}']).max()
        assert err / ref[f'absmax_{key}'] < TOL, (key, err)
        assert abs(np.abs(ours[key]).max() / ref[f'absmax_{key}'] - 1) < TOL


def test_resnet3dy_gets_res5_in_both_branches(reduced):
    tensors, clip, _ = reduced
    state, cfg = convert_cvrl_backbone(tensors)
    y_state, y_cfg = to_resnet3dy(state, cfg)
    model = MODELS.build(y_cfg)
    model.load_state_dict(y_state, strict=True)
    model.eval()
    with torch.no_grad():
        res5, res5_1 = model(torch.from_numpy(clip).permute(0, 4, 1, 2, 3))
    assert torch.equal(res5, res5_1)


def _with(tensors, **changes):
    out = dict(tensors)
    for name, value in changes.items():
        out[name] = value
    return out


def test_conversion_errors(reduced):
    tensors, _, _ = reduced
    suffix = '/.ATTRIBUTES/VARIABLE_VALUE'
    gating = f'backbone/layer_with_weights-2/_self_gating/kernel{suffix}'
    with pytest.raises(CVRLConversionError, match='self-gating'):
        convert_cvrl_backbone(_with(tensors, **{gating: np.zeros(1)}))
    other = {
        k.replace('backbone/', 'model/backbone/'): v
        for k, v in tensors.items()
    }
    with pytest.raises(CVRLConversionError, match='found scopes'):
        convert_cvrl_backbone(dict(tensors, **other))
    state, _ = convert_cvrl_backbone(
        dict(tensors, **other), scope='model/'
        'backbone')
    assert 'conv1.conv.weight' in state
    no_beta = {
        k: v
        for k, v in tensors.items()
        if k != f'backbone/layer_with_weights-1/beta{suffix}'
    }
    with pytest.raises(CVRLConversionError, match="without \\['beta'\\]"):
        convert_cvrl_backbone(no_beta)
