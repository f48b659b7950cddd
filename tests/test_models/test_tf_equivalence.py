# Copyright (c) constcl_mm authors. All rights reserved.
"""Our modules against vectors computed by the official TF code.

The reference file is ``tests/data/tf_reference/constcl_tf_reference.npz``
(see tests/data/README.md) or the path in ``CONSTCL_TF_REFERENCE``; every
size is inferred from its arrays.
"""
import re

import numpy as np
import pytest
import torch
from helpers.paths import tf_reference_path

from constcl_mm.models.losses import nt_xent_loss, region_infonce_loss
from constcl_mm.models.necks import ContextCrossAttentionNeck
from constcl_mm.models.utils import (convert_tf_neck_weights, roi_align_bins,
                                     tf_neck_name_to_torch)

TOL = 1e-5


@pytest.fixture(scope='module')
def ref():
    with np.load(tf_reference_path()) as data:
        return {k: data[k] for k in data.files}


def t(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x))


def yxyx_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    return boxes[..., [1, 0, 3, 2]]


def test_roi_align_matches_tf(ref):
    feat = t(ref['roi_feat']).permute(0, 3, 1, 2)  # NHWC -> NCHW
    boxes = yxyx_to_xyxy(t(ref['roi_boxes_normalized']))
    crop = ref['roi_out'].shape[2]
    out = roi_align_bins(feat, boxes, crop_size=crop, sample_offset=0.5)
    expected = t(ref['roi_out'])  # (B, N, crop, crop, C)
    assert out.permute(0, 1, 3, 4, 2).shape == expected.shape
    torch.testing.assert_close(
        out.permute(0, 1, 3, 4, 2), expected, atol=TOL, rtol=0)


def _neck_from_reference(ref) -> ContextCrossAttentionNeck:
    keys = [k for k in ref if k.startswith('w::')]
    layers = {int(m) for k in keys for m in re.findall(r'layer_(\d+)/', k)}
    heads = {int(m) for k in keys for m in re.findall(r'mha_(\d+)/', k)}
    query0 = next(k for k in keys if 'layer_0/mha_0/query/kernel' in k)
    c_in, tx = ref[query0].shape
    pe = ref[next(k for k in keys if 'temporal_mlp_l2/kernel' in k)].shape
    key0 = next(k for k in keys if 'layer_0/mha_0/key/kernel' in k)
    memory_channels = ref[key0].shape[0]
    assert memory_channels == c_in + 2 * pe[1]
    # the memory frames: five around the keyframe in the official setting
    neck = ContextCrossAttentionNeck(
        in_channels=c_in,
        context_length=5,
        attention_cfg=dict(
            tx_channels=tx,
            num_layers=len(layers),
            num_heads=len(heads),
            pe_hidden_channels=pe[0],
            pe_channels=pe[1]))
    state = convert_tf_neck_weights({k: ref[k] for k in keys})
    neck.load_state_dict(state, strict=True)
    return neck.eval()


def _neck_inputs(ref):
    feats = t(ref['head_features']).permute(0, 4, 1, 2, 3)  # -> 2B,C,T,H,W
    positions = t(ref['head_positions'])  # 2B, T_in, N, 4 (yxyx)
    boxes = yxyx_to_xyxy(positions[:, positions.shape[1] // 2])
    return feats, boxes


def test_every_tf_weight_has_a_home(ref):
    neck = _neck_from_reference(ref)
    names = dict(neck.named_parameters())
    mapped = {tf_neck_name_to_torch(k)[0] for k in ref if k.startswith('w::')}
    assert mapped == set(names)


def test_neck_outputs_match_tf(ref):
    neck = _neck_from_reference(ref)
    feats, boxes = _neck_inputs(ref)
    with torch.no_grad():
        out = neck(feats, boxes)
    for key in ('inst_a', 'inst_b', 'inst_a2b', 'inst_b2a'):
        expected = t(ref[f'head_out_{key}'])
        assert out[key].shape == expected.shape, key
        torch.testing.assert_close(
            out[key], expected, atol=TOL, rtol=0, msg=key)


def test_local_loss_matches_tf(ref):
    outs = {
        k: t(ref[f'head_out_{k}'])
        for k in ('inst_a', 'inst_b', 'inst_a2b', 'inst_b2a')
    }
    loss = region_infonce_loss(**outs, temperature=0.2)['loss']
    assert abs(loss.item() - float(ref['head_local_loss_tau02'])) <= TOL
    # and end to end through the neck
    neck = _neck_from_reference(ref)
    feats, boxes = _neck_inputs(ref)
    with torch.no_grad():
        loss = region_infonce_loss(
            **neck(feats, boxes), temperature=0.2)['loss']
    assert abs(loss.item() - float(ref['head_local_loss_tau02'])) <= TOL


def test_global_loss_matches_tf(ref):
    z = t(ref['global_z'])
    z1, z2 = z.chunk(2, dim=0)
    loss = nt_xent_loss(z1, z2, temperature=0.1)['loss']
    assert abs(loss.item() - float(ref['global_loss_tau01'])) <= TOL


# The official losses_test.py inputs and the values the TF code gives (§8.4).
def test_official_unit_test_global_loss():
    inputs1 = torch.tensor(
        [[1, 2, 3, 4], [5, 6, 7, 8], [4, 3, 2, 1], [8, 7, 6, 5]],
        dtype=torch.float)
    inputs2 = torch.tensor(
        [[1, 2, 3, 4], [4, 3, 2, 1], [5, 6, 7, 8], [8, 7, 6, 5]],
        dtype=torch.float)
    out = nt_xent_loss(inputs1, inputs2, temperature=0.1)
    assert out['loss'].item() == pytest.approx(4.136947, abs=1e-5)
    assert out['accuracy'].item() == pytest.approx(0.5)


@pytest.mark.parametrize('tau,expected', [(0.1, 1.6698134), (0.2, 1.6668441)])
def test_official_unit_test_instance_loss(tau, expected):
    inst_a = torch.tensor(
        [[[1, 2, 3, 4], [5, 6, 7, 8], [-1, -1, -1, -1], [-1, -1, -1, -1]],
         [[-1, -1, -1, -1], [-1, -1, -1, -1], [4, 3, 2, 1], [8, 7, 6, 5]],
         [[1, 2, 3, 4], [5, 6, 7, 8], [4, 3, 2, 1], [8, 7, 6, 5]]],
        dtype=torch.float)
    inst_b = torch.tensor([[[1.5, 2.5, 3.5, 4.5], [5.5, 6.5, 7.5, 8.5],
                            [-1, -1, -1, -1], [-1, -1, -1, -1]],
                           [[-1, -1, -1, -1], [-1, -1, -1, -1],
                            [5.5, 6.5, 7.5, 8.5], [8.5, 7.5, 6.5, 5.5]],
                           [[1.5, 2.5, 3.5, 4.5], [4.5, 3.5, 2.5, 1.5],
                            [5.5, 6.5, 7.5, 8.5], [8.5, 7.5, 6.5, 5.5]]],
                          dtype=torch.float)
    masks = torch.tensor([[True, True, False, False],
                          [False, False, True, True], [True] * 4])
    out = region_infonce_loss(
        inst_a, inst_b, inst_b, inst_a, masks, masks, temperature=tau)
    assert out['loss'].item() == pytest.approx(expected, abs=1e-5)
    assert out['match_a2b'].tolist() == [[0, 1, 2, 2], [0, 0, 3, 3],
                                         [0, 2, 1, 3]]
