# Copyright (c) constcl_mm authors. All rights reserved.
"""All-gather with gradient: PyTorch's ``tpu_cross_replica_concat``."""
from typing import Tuple

import torch
import torch.distributed as dist


def _is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and \
        dist.get_world_size() > 1


class _AllGatherWithGrad(torch.autograd.Function):
    """Concatenates every rank's tensor; gradients flow back to the owner.

    The official code builds the concatenation as an all-reduce-sum of a
    tensor scattered into a zero buffer, so the gradient reaching a rank's
    slice is the sum over ranks of the gradients for that slice. The backward
    pass here all-reduces (sums) the incoming gradient and returns this rank's
    slice, which is the same thing.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        world_size = dist.get_world_size()
        sizes = [
            torch.zeros(1, dtype=torch.long, device=x.device)
            for _ in range(world_size)
        ]
        dist.all_gather(sizes, torch.tensor([x.shape[0]], device=x.device))
        sizes = [int(s.item()) for s in sizes]
        if len(set(sizes)) != 1:
            raise ValueError(
                'all ranks must hold the same number of samples to gather '
                f'negatives, got per-rank batch sizes {sizes}; use an '
                'infinite sampler or drop_last=True')
        x = x.contiguous()
        parts = [torch.empty_like(x) for _ in range(world_size)]
        dist.all_gather(parts, x)
        ctx.rank = dist.get_rank()
        ctx.size = x.shape[0]
        return torch.cat(parts, dim=0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        start = ctx.rank * ctx.size
        return grad[start:start + ctx.size]


def all_gather_with_grad(x: torch.Tensor) -> Tuple[torch.Tensor, int]:
    """Gathers ``x`` from all ranks along dim 0, keeping the autograd graph.

    Args:
        x (Tensor): Local tensor of shape ``(b, ...)``; every rank must hold
            the same ``b``.

    Returns:
        tuple[Tensor, int]: The concatenation ``(b * world_size, ...)`` in
        rank order, and the offset of this rank's rows in it. Without a
        process group this is ``(x, 0)``.
    """
    if not _is_distributed():
        return x, 0
    return _AllGatherWithGrad.apply(x), dist.get_rank() * x.shape[0]
