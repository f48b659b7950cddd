# Copyright (c) constcl_mm authors. All rights reserved.
"""Workers for CPU multi-process tests (run with torch.multiprocessing)."""
import os

import torch
import torch.distributed as dist


def init_gloo(rank: int, world_size: int, port: int) -> None:
    os.environ['MASTER_ADDR'] = '127.0.0.1'
    os.environ['MASTER_PORT'] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=world_size)


def make_problem(num_videos: int = 4,
                 boxes: int = 4,
                 channels: int = 16,
                 seed: int = 0):
    """Global embeddings, local features and boxes for a whole batch."""
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(2 * num_videos, 8, generator=gen)
    feats = torch.randn(2 * num_videos, channels, 8, 7, 7, generator=gen)
    xy = torch.rand(2 * num_videos, boxes, 2, generator=gen) * 0.6
    wh = 0.05 + 0.3 * torch.rand(2 * num_videos, boxes, 2, generator=gen)
    return z, feats, torch.cat([xy, xy + wh], -1)


def build_neck_and_head(channels: int = 16):
    from constcl_mm.models.heads import RegionContrastiveHead
    from constcl_mm.models.necks import ContextCrossAttentionNeck
    torch.manual_seed(1)
    neck = ContextCrossAttentionNeck(
        in_channels=channels, attention_cfg=dict(tx_channels=8))
    neck.init_weights()
    return neck, RegionContrastiveHead(temperature=0.2, loss_weight=1.0)


def losses_and_grads(z, feats, boxes):
    """Both losses and the gradients of the leaves and neck parameters."""
    from constcl_mm.models.losses import nt_xent_loss
    neck, head = build_neck_and_head(feats.shape[1])
    z = z.clone().requires_grad_(True)
    feats = feats.clone().requires_grad_(True)
    z1, z2 = z.chunk(2)
    loss_global = nt_xent_loss(z1, z2, temperature=0.1)['loss']
    loss_local = head.loss(neck(feats, boxes))['loss_local']
    (loss_global + loss_local).backward()
    params = {k: p.grad.clone() for k, p in neck.named_parameters()}
    return dict(
        loss_global=loss_global.detach(),
        loss_local=loss_local.detach(),
        grad_z=z.grad,
        grad_feats=feats.grad,
        params=params)


def local_rows(x: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """This rank's rows of a 2B batch (its videos' view 1, then view 2)."""
    v1, v2 = x.chunk(2)
    b = v1.shape[0] // world_size
    sl = slice(rank * b, (rank + 1) * b)
    return torch.cat([v1[sl], v2[sl]])


def loss_worker(rank: int, world_size: int, port: int, out_dir: str) -> None:
    init_gloo(rank, world_size, port)
    z, feats, boxes = make_problem()
    res = losses_and_grads(
        local_rows(z, rank, world_size), local_rows(feats, rank, world_size),
        local_rows(boxes, rank, world_size))
    # what DDP does with parameter gradients: average over processes
    for grad in res['params'].values():
        dist.all_reduce(grad)
        grad /= world_size
    torch.save(res, os.path.join(out_dir, f'rank{rank}.pth'))
    dist.destroy_process_group()
