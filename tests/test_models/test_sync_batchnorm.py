# Copyright (c) constcl_mm authors. All rights reserved.
"""ConstclSyncBatchNorm: one BatchNorm over the batches of gloo processes."""
import socket

import pytest
import torch
import torch.multiprocessing as mp
from helpers.dist_equivalence import (BN_ROWS, _momentum, batchnorm_problems,
                                      batchnorm_steps, batchnorm_worker)
from torch import nn

from constcl_mm.models.common.sync_batchnorm import (ConstclSyncBatchNorm,
                                                     convert_sync_batchnorm,
                                                     count_batchnorms)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _reference(name, x, target):
    cls = {3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}
    layer = cls.get(x.dim(), nn.BatchNorm1d)(
        x.shape[1], momentum=_momentum(name))
    torch.manual_seed(1)
    nn.init.uniform_(layer.weight, 0.5, 1.5)
    nn.init.uniform_(layer.bias, -0.5, 0.5)
    return batchnorm_steps(layer, x, target)


def test_two_processes_with_unequal_batches_equal_one_batchnorm(tmp_path):
    """Rank 0 holds 3 rows, rank 1 holds 5: outputs, input gradients, the
    summed weight/bias gradients and the running statistics (exponential
    and cumulative) equal one BatchNorm over the 8 rows."""
    mp.spawn(
        batchnorm_worker,
        args=(2, free_port(), str(tmp_path)),
        nprocs=2,
        join=True)
    ranks = [
        torch.load(tmp_path / f'bn_rank{r}.pth', weights_only=True)
        for r in range(2)
    ]
    for name, (x, target) in batchnorm_problems().items():
        ref = _reference(name, x, target)
        for r, rows in enumerate(BN_ROWS):
            got = ranks[r][name]
            for key in ('y0', 'grad_x0', 'y1', 'grad_x1', 'y_eval'):
                torch.testing.assert_close(
                    got[key], ref[key][rows], msg=f'{name} rank {r} {key}')
            for key in ('running_mean', 'running_var', 'num_batches_tracked'):
                torch.testing.assert_close(
                    got[key], ref[key], msg=f'{name} rank {r} {key}')
        for key in ('grad_weight', 'grad_bias'):
            # each rank holds the gradient of its rows; together the batch's
            torch.testing.assert_close(
                ranks[0][name][key] + ranks[1][name][key],
                ref[key],
                msg=f'{name} {key}')


def test_single_process_is_batchnorm():
    """Without a process group the layer is plain BatchNorm, bit for bit,
    in training and in eval mode."""
    torch.manual_seed(0)
    x = torch.randn(6, 4, 5, 5) * 2 + 1
    ref = nn.BatchNorm2d(4)
    layer = convert_sync_batchnorm(nn.BatchNorm2d(4))
    for mode in (True, False):
        ref.train(mode)
        layer.train(mode)
        assert torch.equal(layer(x), ref(x))
    assert torch.equal(layer.running_var, ref.running_var)


def test_converter_keeps_weights_buffers_and_mode():
    model = nn.Sequential(
        nn.Conv3d(3, 4, 1), nn.BatchNorm3d(4, momentum=0.2, eps=1e-3),
        nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4, affine=False)),
        nn.BatchNorm2d(2), nn.LayerNorm(4))
    model[1].weight.requires_grad_(False)
    model[3].eval()
    old = [model[1], model[2][1], model[3]]
    converted = convert_sync_batchnorm(model)
    new = [converted[1], converted[2][1], converted[3]]
    assert all(isinstance(m, ConstclSyncBatchNorm) for m in new)
    assert isinstance(converted[4], nn.LayerNorm)
    for a, b in zip(old, new):
        assert (b.eps, b.momentum, b.affine) == (a.eps, a.momentum, a.affine)
        assert b.running_mean is a.running_mean
        assert b.running_var is a.running_var
        assert b.num_batches_tracked is a.num_batches_tracked
        assert b.weight is a.weight and b.training == a.training
    assert not new[0].weight.requires_grad
    assert count_batchnorms(converted) == (3, 0)
    assert count_batchnorms(nn.Sequential(nn.BatchNorm1d(2))) == (0, 1)


def test_bad_input_and_unknown_sync_bn_named():
    with pytest.raises(ValueError, match=r'\(N, C, \*\)'):
        ConstclSyncBatchNorm(3)(torch.randn(3))
    from constcl_mm.engine.sync_bn import convert_model_batchnorm
    with pytest.raises(ValueError, match="sync_bn='gloo'.*constcl"):
        convert_model_batchnorm(nn.BatchNorm1d(2), 'gloo')


def test_cpu_config_selects_constcl_sync_bn():
    from mmengine.config import Config

    from constcl_mm.utils import adapt_cfg_to_machine
    if torch.cuda.is_available():
        pytest.skip('the CPU fallback only applies without CUDA')
    for given, expect in (('torch', 'constcl'), ('mmcv', 'constcl'),
                          ('constcl', 'constcl'), (None, None)):
        cfg = adapt_cfg_to_machine(Config(dict(sync_bn=given)))
        assert cfg.sync_bn == expect, given


def test_distributed_runs_log_their_batchnorm():
    from constcl_mm.engine.sync_bn import describe_batchnorm
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    text = describe_batchnorm(model, None, 2)
    assert 'sync_bn=None' in text and '1 layer(s) with per-process' in text
    text = describe_batchnorm(convert_sync_batchnorm(model), 'constcl', 2)
    assert text == ("BatchNorm: sync_bn='constcl', 1 layer(s) synchronised "
                    'over the 2 processes.')
