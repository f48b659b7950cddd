# Copyright (c) constcl_mm authors. All rights reserved.
"""--amp dtype selection (bf16 where supported, else fp16 + scaler) and fp32
losses under autocast."""
from unittest import mock

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from constcl_mm.engine import (AutocastOptimWrapper, enable_amp,
                               resolve_amp_dtype)
from constcl_mm.models.heads.global_contrastive_head import \
    GlobalContrastiveHead
from constcl_mm.models.heads.region_contrastive_head import \
    RegionContrastiveHead
from constcl_mm.models.heads.siamfc_head import SiamFCHead


@pytest.mark.parametrize('bf16, expected', [(True, torch.bfloat16),
                                            (False, torch.float16)])
def test_auto_dtype_on_cuda_follows_bf16_support(bf16, expected):
    with mock.patch('torch.cuda.is_bf16_supported', return_value=bf16):
        assert resolve_amp_dtype('auto', 'cuda') == expected
        assert resolve_amp_dtype('float16', 'cuda') == torch.float16
        if bf16:
            assert resolve_amp_dtype('bfloat16', 'cuda') == torch.bfloat16
        else:
            with pytest.raises(ValueError, match='does not support'):
                resolve_amp_dtype('bfloat16', 'cuda')


def test_auto_dtype_on_cpu_and_bad_values():
    assert resolve_amp_dtype('auto', 'cpu') == torch.bfloat16
    assert resolve_amp_dtype(torch.float16, 'cpu') == torch.float16
    with pytest.raises(ValueError, match='amp dtype'):
        resolve_amp_dtype('float32', 'cpu')


def wrapper(**kwargs):
    model = nn.Linear(4, 1)
    optim = torch.optim.SGD(model.parameters(), lr=0.1)
    return model, AutocastOptimWrapper(optimizer=optim, device='cpu', **kwargs)


def test_bf16_has_no_scaler_fp16_has_one():
    model, bf16 = wrapper(dtype='auto')
    assert bf16.cast_dtype == torch.bfloat16 and bf16.loss_scaler is None
    with pytest.raises(ValueError, match='loss_scale'):
        wrapper(dtype='bfloat16', loss_scale='dynamic')
    model, fp16 = wrapper(dtype='float16', loss_scale=256.)
    assert fp16.loss_scaler.get_scale() == 256.
    with fp16.optim_context(model):
        out = model(torch.ones(2, 4))
    assert out.dtype == torch.float16
    before = model.weight.detach().clone()
    fp16.update_params(out.float().sum())
    assert not torch.equal(model.weight, before)  # unscaled, stepped
    assert 'loss_scaler' in fp16.state_dict()
    # an inf gradient skips the step (the scaler's job)
    before = model.weight.detach().clone()
    fp16.update_params(model(torch.full((1, 4), float('inf'))).sum())
    assert torch.equal(model.weight, before)


def test_enable_amp_cuda_branches():
    cfg = Config(
        dict(
            optim_wrapper=dict(
                type='AmpOptimWrapper',
                loss_scale=512.,
                optimizer=dict(type='SGD'))))
    with mock.patch('constcl_mm.engine.optimizers.autocast_optim_wrapper.'
                    'get_device', return_value='cuda'), \
            mock.patch('torch.cuda.is_bf16_supported', return_value=False):
        enable_amp(cfg)
        assert cfg.optim_wrapper.type == 'AutocastOptimWrapper'
        assert cfg.optim_wrapper.dtype == 'auto'
        assert cfg.optim_wrapper.loss_scale == 512.  # kept for fp16
    with mock.patch('constcl_mm.engine.optimizers.autocast_optim_wrapper.'
                    'get_device', return_value='cuda'), \
            mock.patch('torch.cuda.is_bf16_supported', return_value=True):
        enable_amp(cfg)
        assert 'loss_scale' not in cfg.optim_wrapper  # bf16: none
        enable_amp(cfg, 'float16')
        assert cfg.optim_wrapper.dtype == 'float16'


def test_losses_stay_fp32_under_autocast():
    torch.manual_seed(0)
    head = GlobalContrastiveHead(
        in_channels=8, hid_channels=16, out_channels=4)
    regions = {
        k: torch.randn(2, 3, 8)
        for k in ('inst_a', 'inst_b', 'inst_a2b', 'inst_b2a')
    }
    siamfc = SiamFCHead(adjust_channels=None)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        g = head.loss(torch.randn(4, 8, 2, 2, 2))
        r = RegionContrastiveHead().loss({
            k: v.bfloat16()
            for k, v in regions.items()
        })
        s = siamfc.loss(torch.randn(2, 1, 9, 9).bfloat16(), 8)
    assert g['loss_global'].dtype == torch.float32
    assert r['loss_local'].dtype == torch.float32
    assert s['loss_siamfc'].dtype == torch.float32
