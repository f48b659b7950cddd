# Copyright (c) constcl_mm authors. All rights reserved.
"""Two CPU processes (gloo) against one process holding the whole batch."""
import socket

import torch
import torch.multiprocessing as mp
from helpers.dist import (local_rows, loss_worker, losses_and_grads,
                          make_problem)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_processes_equal_one_process(tmp_path):
    world = 2
    mp.spawn(
        loss_worker,
        args=(world, free_port(), str(tmp_path)),
        nprocs=world,
        join=True)
    ranks = [
        torch.load(tmp_path / f'rank{r}.pth', weights_only=True)
        for r in range(world)
    ]
    single = losses_and_grads(*make_problem())
    for key in ('loss_global', 'loss_local'):
        mean = sum(r[key] for r in ranks) / world
        torch.testing.assert_close(mean, single[key], atol=1e-5, rtol=0)
        # the ranks saw different queries, so their own losses differ
        assert not torch.allclose(ranks[0][key], ranks[1][key])
    for key in ('grad_z', 'grad_feats'):
        for r, res in enumerate(ranks):
            # DDP averages over processes: the per-rank gradient / world
            torch.testing.assert_close(
                res[key] / world,
                local_rows(single[key], r, world),
                atol=1e-5,
                rtol=0,
                msg=f'{key} rank {r}')
    for name, grad in single['params'].items():
        torch.testing.assert_close(
            ranks[0]['params'][name], grad, atol=1e-5, rtol=1e-4, msg=name)
