# Copyright (c) constcl_mm authors. All rights reserved.
"""BatchNorm synchronised over a process group, on any backend.

``torch.nn.SyncBatchNorm`` refuses CPU tensors, so CPU processes (gloo)
would keep per-process statistics and a multi-process run would not equal
one process holding the global batch. :class:`ConstclSyncBatchNorm` works
with gloo on the CPU and with NCCL on GPUs.

Training (a process group of more than one process), per channel, with
``x`` the ``n_r`` values of rank ``r`` and ``N = sum_r n_r``:

* forward: every rank's count ``n_r``, mean ``m_r`` and sum of squared
  deviations ``M2_r`` are gathered (one collective) and combined exactly
  (Chan et al.): ``mean = sum_r n_r m_r / N``,
  ``M2 = sum_r (M2_r + n_r (m_r - mean)^2)``, ``var = M2 / N``; so the
  per-rank batches may differ in size;
* backward: with ``g = dL/dy`` and ``xhat = (x - mean) / sqrt(var + eps)``,
  ``sum g`` and ``sum g * xhat`` over the global batch are all-reduced and
  ``dL/dx = weight / sqrt(var + eps) * (g - mean(g) - xhat mean(g xhat))``,
  the gradient of a BN over the global batch of the sum of the ranks'
  losses; ``weight`` and ``bias`` get their local gradients, which DDP
  averages like any other parameter's;
* running statistics: ``running = (1 - momentum) running + momentum stat``
  with the unbiased ``M2 / (N - 1)`` for ``running_var`` (cumulative average
  when ``momentum`` is None), as ``torch.nn.BatchNorm``.

Evaluation mode uses the running statistics (no communication); without a
process group (or with one process) the layer is ``F.batch_norm``.
"""
from typing import Optional, Tuple

import torch
import torch.distributed as dist
import torch.nn.functional as F
from mmengine.registry import MODELS
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

_LOW_PRECISION = (torch.float16, torch.bfloat16)


def _reduce_dims(x: torch.Tensor) -> Tuple[int, ...]:
    return (0, ) + tuple(range(2, x.dim()))


def _channel_view(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``(C,)`` -> ``(1, C, 1, ...)`` broadcasting against ``x``."""
    return v.view((1, -1) + (1, ) * (x.dim() - 2))


def _compute(x: torch.Tensor) -> torch.Tensor:
    """``x`` in the dtype the statistics are computed in (>= float32)."""
    return x.float() if x.dtype in _LOW_PRECISION else x


def group_size(process_group=None) -> int:
    """Processes in ``process_group`` (the default group if None); 1 when
    ``torch.distributed`` is not initialised."""
    if not (dist.is_available() and dist.is_initialized()):
        return 1
    return dist.get_world_size(process_group)


def global_moments(
        x: torch.Tensor,
        process_group=None) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-channel mean, biased variance and count over every rank's ``x``.

    Args:
        x (Tensor): ``(n, C, *)``; ``n`` may differ between ranks (and be 0).
        process_group: Defaults to the default group.

    Returns:
        tuple[Tensor, Tensor, Tensor]: ``mean (C,)`` and ``var (C,)`` in
        float64, and the global count ``N`` (a float64 scalar tensor).

    Raises:
        ValueError: Fewer than 2 values per channel in the whole group.
    """
    channels = x.shape[1]
    count = x.numel() // max(channels, 1)
    local = torch.zeros(3, channels, dtype=torch.float64, device=x.device)
    if count > 0:
        var, mean = torch.var_mean(
            _compute(x).detach(), dim=_reduce_dims(x), correction=0)
        local[0] = count
        local[1] = mean
        local[2] = var.double() * count
    parts = [torch.empty_like(local) for _ in range(group_size(process_group))]
    dist.all_gather(parts, local, group=process_group)
    counts, means, m2s = torch.stack(parts).unbind(1)  # (W, C) each
    total = counts[:, 0].sum()
    if total < 2:
        raise ValueError(
            f'ConstclSyncBatchNorm needs more than 1 value per channel in '
            f'training, got {int(total)} over the process group (input '
            f'{tuple(x.shape)} on this rank)')
    mean = (counts * means).sum(0) / total
    m2 = (m2s + counts * (means - mean)**2).sum(0)
    return mean, m2 / total, total


class _SyncBatchNormFunction(torch.autograd.Function):
    """``y = (x - mean) invstd weight + bias`` with the global-batch
    gradient (see the module docstring). ``mean`` and ``invstd`` come from
    :func:`global_moments` and carry no graph."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: Optional[torch.Tensor],
                bias: Optional[torch.Tensor], mean: torch.Tensor,
                invstd: torch.Tensor, total: torch.Tensor,
                process_group) -> torch.Tensor:
        xc = _compute(x)
        mean = mean.to(xc.dtype)
        invstd = invstd.to(xc.dtype)
        scale = invstd if weight is None else invstd * weight.to(xc.dtype)
        y = (xc - _channel_view(mean, xc)) * _channel_view(scale, xc)
        if bias is not None:
            y = y + _channel_view(bias.to(xc.dtype), xc)
        ctx.save_for_backward(x, weight, mean, invstd)
        ctx.total = float(total)
        ctx.process_group = process_group
        ctx.has_bias = bias is not None
        ctx.affine_dtype = (weight if weight is not None else x).dtype
        return y.to(x.dtype)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        x, weight, mean, invstd = ctx.saved_tensors
        xc, g = _compute(x), _compute(grad_out)
        dims = _reduce_dims(x)
        xhat = (xc - _channel_view(mean, xc)) * _channel_view(invstd, xc)
        sum_g = g.sum(dims)
        sum_gx = (g * xhat).sum(dims)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            both = torch.stack([sum_g, sum_gx])
            dist.all_reduce(both, group=ctx.process_group)
            mean_g, mean_gx = both[0] / ctx.total, both[1] / ctx.total
            scale = invstd if weight is None else invstd * weight.to(xc.dtype)
            grad_x = (g - _channel_view(mean_g, xc) - xhat *
                      _channel_view(mean_gx, xc)) * _channel_view(scale, xc)
            grad_x = grad_x.to(x.dtype)
        if weight is not None and ctx.needs_input_grad[1]:
            grad_w = sum_gx.to(ctx.affine_dtype)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = sum_g.to(ctx.affine_dtype)
        return grad_x, grad_w, grad_b, None, None, None, None


@MODELS.register_module(name='ConstclSyncBN')
class ConstclSyncBatchNorm(_BatchNorm):
    """BatchNorm over the batch of every process of ``process_group``.

    Same arguments, parameters and buffers as ``torch.nn.BatchNorm{1,2,3}d``
    (any input ``(N, C, *)``), plus ``process_group`` (default: the default
    group). Works with gloo (CPU) and NCCL (GPU). Built by
    :func:`convert_sync_batchnorm`, by ``sync_bn='constcl'`` in a config, or
    as ``norm_cfg=dict(type='ConstclSyncBN')``.

    Args:
        num_features (int): Channels C.
        eps (float): Defaults to 1e-5.
        momentum (float, optional): Running-statistics momentum (PyTorch
            convention); None for a cumulative average. Defaults to 0.1.
        affine (bool): Learnable weight and bias. Defaults to True.
        track_running_stats (bool): Defaults to True.
        process_group: The group to synchronise over. Defaults to None.
    """

    def __init__(self,
                 num_features: int,
                 eps: float = 1e-5,
                 momentum: Optional[float] = 0.1,
                 affine: bool = True,
                 track_running_stats: bool = True,
                 process_group=None,
                 device=None,
                 dtype=None) -> None:
        super().__init__(num_features, eps, momentum, affine,
                         track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() < 2:
            raise ValueError(
                f'ConstclSyncBatchNorm expects an (N, C, *) input, got '
                f'{x.dim()}D {tuple(x.shape)}')

    def _momentum(self) -> float:
        """The running-statistics factor of this call (counts the batch)."""
        if not (self.training and self.track_running_stats):
            return 0.0 if self.momentum is None else self.momentum
        self.num_batches_tracked.add_(1)
        if self.momentum is None:
            return 1.0 / float(self.num_batches_tracked)
        return self.momentum

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalises ``x (N, C, *)``; see the module docstring."""
        self._check_input_dim(x)
        factor = self._momentum()
        use_batch = self.training or (self.running_mean is None
                                      and self.running_var is None)
        tracked = not self.training or self.track_running_stats
        if not (self.training and use_batch
                and group_size(self.process_group) > 1):
            return F.batch_norm(x, self.running_mean if tracked else None,
                                self.running_var if tracked else None,
                                self.weight, self.bias, use_batch, factor,
                                self.eps)
        mean, var, total = global_moments(x, self.process_group)
        if self.track_running_stats and self.running_mean is not None:
            with torch.no_grad():
                unbiased = var * total / (total - 1)
                self.running_mean.mul_(1 - factor).add_(
                    mean.to(self.running_mean.dtype), alpha=factor)
                self.running_var.mul_(1 - factor).add_(
                    unbiased.to(self.running_var.dtype), alpha=factor)
        invstd = torch.rsqrt(var + self.eps)
        return _SyncBatchNormFunction.apply(x, self.weight, self.bias, mean,
                                            invstd, total, self.process_group)


def convert_sync_batchnorm(module: nn.Module, process_group=None) -> nn.Module:
    """Replaces every ``BatchNorm1d/2d/3d`` (and torch's ``SyncBatchNorm``)
    in ``module`` by :class:`ConstclSyncBatchNorm`.

    The new layers share the old ones' weight, bias and running buffers
    (the same tensors) and keep ``training``, ``requires_grad`` and
    ``qconfig``. ``module`` itself is replaced when it is a BatchNorm.

    Args:
        module (nn.Module): The model.
        process_group: Group to synchronise over. Defaults to the default
            group.

    Returns:
        nn.Module: ``module`` with converted children, or the new layer.
    """
    if isinstance(module, _BatchNorm) and \
            not isinstance(module, ConstclSyncBatchNorm):
        new = ConstclSyncBatchNorm(module.num_features, module.eps,
                                   module.momentum, module.affine,
                                   module.track_running_stats, process_group)
        if module.affine:
            new.weight = module.weight
            new.bias = module.bias
        new.running_mean = module.running_mean
        new.running_var = module.running_var
        new.num_batches_tracked = module.num_batches_tracked
        new.train(module.training)
        if hasattr(module, 'qconfig'):
            new.qconfig = module.qconfig
        module = new
    for name, child in list(module.named_children()):
        module.add_module(name, convert_sync_batchnorm(child, process_group))
    return module


def count_batchnorms(module: nn.Module) -> Tuple[int, int]:
    """``(synchronised, per-process)`` BatchNorm layers in ``module``.

    Synchronised: :class:`ConstclSyncBatchNorm`, torch's and mmcv's
    ``SyncBatchNorm``; per-process: every other ``_BatchNorm``.
    """
    synced = plain = 0
    for m in module.modules():
        if isinstance(m, ConstclSyncBatchNorm) or \
                type(m).__name__ == 'SyncBatchNorm':
            synced += 1
        elif isinstance(m, _BatchNorm):
            plain += 1
    return synced, plain
