# Copyright (c) constcl_mm authors. All rights reserved.
"""A training step of tiny ConST-CL / CVRL models, on one process or split
over gloo processes (workers for torch.multiprocessing.spawn)."""
import os
import os.path as osp
import types
from typing import Dict, Optional

import torch
import torch.distributed as dist
from helpers.dist import init_gloo
from helpers.paths import REPO_ROOT

#: Models checked, by mini config.
MINI_CONFIGS = dict(
    constcl='constcl_r3d50y-w16_1xb8-16x2x2-400it_synthetic.py',
    cvrl='cvrl_r3d50-w16_1xb8-16x2x2-400it_synthetic.py')
#: Videos of the global batch (two views each).
NUM_VIDEOS = 4
LR, MOMENTUM, WEIGHT_DECAY = 0.5, 0.9, 1e-3
#: float64: these tiny nets at init are so ill-conditioned (gradients up to
#: 1.7e3) that float32 rounding alone moves some gradients by 8e-2 relative
#: (one process, 1 vs 2 threads); in float64 the split run is within 4e-7
#: (the losses' own float32 cast). DIST_EQ_DTYPE=float32 shows the former.
DTYPE = getattr(torch, os.environ.get('DIST_EQ_DTYPE', 'float64'))


def tiny_model(kind: str) -> torch.nn.Module:
    """The mini config's model at base width 4 (res5 128 channels), built
    and initialised with the same seed on every process."""
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    if DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance('dist_equivalence', scope_name='mmaction')
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'mini', MINI_CONFIGS[kind])).model
    width = 4
    channels = width * 32
    cfg.backbone.base_channels = width
    cfg.global_head.update(
        in_channels=channels, hid_channels=32, out_channels=16)
    if cfg.get('neck') is not None:
        cfg.neck.in_channels = channels
        cfg.neck.attention_cfg = dict(tx_channels=16)
        cfg.neck.region_mlp = dict(
            hid_channels=32, out_channels=16, num_hidden_layers=3)
        # a local loss as large as the global one, so that its gradients
        # are checked at the same scale
        cfg.local_head.loss_weight = 1.0
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.to(DTYPE).train()


def global_batch(num_videos: int = NUM_VIDEOS) -> dict:
    from constcl_mm.testing import random_two_view_batch
    return random_two_view_batch(
        num_videos=num_videos, boxes=4, frames=16, size=32, seed=3)


def rank_slice(batch: dict, rank: int, world_size: int) -> dict:
    """This rank's videos of the global batch (contiguous, in rank order)."""
    b = len(batch['inputs']) // world_size
    sl = slice(rank * b, (rank + 1) * b)
    return {k: list(v[sl]) for k, v in batch.items()}


def _wrap(model: torch.nn.Module, sync_bn: Optional[str], rank: int):
    """The model as mmengine's Runner wraps it for a distributed run."""
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.runner import Runner
    os.environ['LOCAL_RANK'] = str(rank)
    runner = types.SimpleNamespace(
        distributed=True,
        cfg=Config(dict(sync_bn=sync_bn)),
        logger=MMLogger.get_current_instance())
    return Runner.wrap_model(runner, None, model)


def train_step(kind: str,
               batch: dict,
               sync_bn: Optional[str] = 'constcl',
               rank: int = 0) -> Dict[str, object]:
    """One SGD step; the loss, the (DDP-averaged) gradients, the weights
    before and after, and the BN running statistics.

    The returned losses are global-batch losses: on ``W`` processes the mean
    of the ranks' losses (each rank's loss is the mean over its own
    queries, against negatives from every rank).
    """
    model = tiny_model(kind)
    distributed = dist.is_initialized() and dist.get_world_size() > 1
    wrapped = _wrap(model, sync_bn, rank) if distributed else model
    module = getattr(wrapped, 'module', wrapped)
    data = module.data_preprocessor(batch, training=True)
    data['inputs'] = data['inputs'].to(DTYPE)
    losses = wrapped(**data, mode='loss')
    loss, _ = module.parse_losses(losses)
    loss.backward()
    terms = {k: v.detach().clone() for k, v in losses.items() if 'loss' in k}
    terms['loss'] = loss.detach().clone()
    if distributed:
        for value in terms.values():
            dist.all_reduce(value)
            value /= dist.get_world_size()
    before = {k: p.detach().clone() for k, p in module.named_parameters()}
    grads = {
        k: p.grad.detach().clone()
        for k, p in module.named_parameters() if p.grad is not None
    }
    torch.optim.SGD(
        module.parameters(),
        lr=LR,
        momentum=MOMENTUM,
        weight_decay=WEIGHT_DECAY).step()
    after = {k: p.detach().clone() for k, p in module.named_parameters()}
    buffers = {
        k: b.detach().clone()
        for k, b in module.named_buffers() if 'running_' in k
    }
    from constcl_mm.models.common.sync_batchnorm import count_batchnorms
    return dict(
        losses=terms,
        grads=grads,
        before=before,
        after=after,
        buffers=buffers,
        batchnorms=count_batchnorms(module))


def equivalence_worker(rank: int, world_size: int, port: int, out_dir: str,
                       sync_bn: Optional[str]) -> None:
    """Trains each model of :data:`MINI_CONFIGS` one step on this rank's
    share of :func:`global_batch`; saves ``{kind}_rank{rank}.pth``."""
    import constcl_mm  # noqa: F401  (the CPU DDP and sync_bn fixes)
    init_gloo(rank, world_size, port)
    batch = rank_slice(global_batch(), rank, world_size)
    for kind in MINI_CONFIGS:
        result = train_step(kind, batch, sync_bn, rank)
        torch.save(result, osp.join(out_dir, f'{kind}_rank{rank}.pth'))
    dist.destroy_process_group()


def batchnorm_worker(rank: int, world_size: int, port: int,
                     out_dir: str) -> None:
    """``ConstclSyncBatchNorm`` on unequal per-rank batches: outputs, input
    and parameter gradients and running statistics of two steps (rank r
    holds rows ``ROWS[r]`` of the global input)."""
    from constcl_mm.models.common.sync_batchnorm import ConstclSyncBatchNorm
    init_gloo(rank, world_size, port)
    results = {}
    for name, (x, target) in batchnorm_problems().items():
        rows = BN_ROWS[rank]
        layer = ConstclSyncBatchNorm(x.shape[1], momentum=_momentum(name))
        torch.manual_seed(1)
        torch.nn.init.uniform_(layer.weight, 0.5, 1.5)
        torch.nn.init.uniform_(layer.bias, -0.5, 0.5)
        results[name] = batchnorm_steps(layer, x[rows], target[rows])
    torch.save(results, osp.join(out_dir, f'bn_rank{rank}.pth'))
    dist.destroy_process_group()


#: Rows of the global BN input held by each of two ranks (3 and 5).
BN_ROWS = (slice(0, 3), slice(3, 8))


def _momentum(name: str) -> Optional[float]:
    return None if name.endswith('cumulative') else 0.1


def batchnorm_problems() -> Dict[str, tuple]:
    """Inputs (8 rows, channel mean far from 0) and loss targets for
    BatchNorm1d/2d/3d-shaped inputs."""
    gen = torch.Generator().manual_seed(0)
    shapes = {
        '1d': (8, 5),
        '1d_seq': (8, 5, 3),
        '2d': (8, 4, 3, 3),
        '3d_cumulative': (8, 3, 2, 3, 3),
    }
    problems = {}
    for name, shape in shapes.items():
        x = 3.0 + 2.0 * torch.randn(shape, generator=gen, dtype=torch.float64)
        problems[name] = (x,
                          torch.randn(
                              shape, generator=gen, dtype=torch.float64))
    return problems


def batchnorm_steps(layer: torch.nn.Module, x: torch.Tensor,
                    target: torch.Tensor) -> Dict[str, torch.Tensor]:
    """Two training forward/backward passes of ``sum(y * target)`` (the
    second on ``2 x + 1``) and one in eval mode, in float64."""
    layer = layer.double().train()
    out = {}
    for step, inp in enumerate((x, 2 * x + 1)):
        inp = inp.clone().requires_grad_(True)
        y = layer(inp)
        (y * target).sum().backward()
        out[f'y{step}'] = y.detach()
        out[f'grad_x{step}'] = inp.grad
    out['grad_weight'] = layer.weight.grad.clone()
    out['grad_bias'] = layer.bias.grad.clone()
    out['running_mean'] = layer.running_mean.clone()
    out['running_var'] = layer.running_var.clone()
    out['num_batches_tracked'] = layer.num_batches_tracked.clone()
    out['y_eval'] = layer.eval()(x)
    return out
