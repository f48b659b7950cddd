# Copyright (c) constcl_mm authors. All rights reserved.
"""2 gloo processes x B/2 videos train as 1 process x B videos.

Each process runs the model as mmengine's Runner wraps it for a distributed
run on a CPU (``sync_bn='constcl'``, MMDistributedDataParallel, which
averages the gradients over processes); one SGD step follows. The global
loss (the mean of the ranks' losses), the averaged gradient of every
parameter, the weights and the update after the step and the BN running
statistics must equal those of one process holding the whole batch, to
1e-5 relative (``max|a - b| / max|b|`` per tensor).

Why no world-size factor appears: rank r's loss ``L_r`` is the mean over its
own queries, so the global loss is ``L = mean_r L_r``. The gather of the
negatives and the BN backward sum the ranks' gradients, so each rank's
backward yields its share of ``grad sum_r L_r = W grad L``, and DDP's
average over the W processes leaves ``grad L``.
"""
import socket

import pytest
import torch
import torch.multiprocessing as mp
from helpers.dist_equivalence import (MINI_CONFIGS, equivalence_worker,
                                      global_batch, train_step)

WORLD = 2
RTOL = 1e-5
ZERO_FLOOR = 1e-9


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def relative_difference(a: torch.Tensor,
                        b: torch.Tensor,
                        floor: float = 0.0) -> float:
    """``max|a - b| / max(max|b|, floor)`` (0 when both are 0)."""
    diff = (a.double() - b.double()).abs().max().item()
    scale = max(b.double().abs().max().item(), floor)
    return diff / scale if scale > 0 else diff


def worst(split: dict, single: dict, key: str):
    """The largest relative difference over the tensors of ``key``.

    Tensors that are analytically 0 (the gradient of an attention key bias:
    softmax ignores it) are compared against ``ZERO_FLOOR`` x the largest
    tensor of the group instead of their own rounding noise.
    """
    assert split[key].keys() == single[key].keys(), key
    floor = ZERO_FLOOR * max(v.abs().max().item()
                             for v in single[key].values())
    return max((relative_difference(split[key][k], single[key][k], floor), k)
               for k in single[key])


@pytest.fixture(scope='module')
def split_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp('dist_equivalence')
    mp.spawn(
        equivalence_worker,
        args=(WORLD, free_port(), str(out), 'constcl'),
        nprocs=WORLD,
        join=True)
    return {
        kind: [
            torch.load(out / f'{kind}_rank{r}.pth', weights_only=True)
            for r in range(WORLD)
        ]
        for kind in MINI_CONFIGS
    }


@pytest.mark.parametrize('kind', list(MINI_CONFIGS))
def test_two_processes_train_as_one(split_runs, kind):
    ranks = split_runs[kind]
    # the workers' thread count: oneDNN's kernels (and roundings) depend on it
    torch.set_num_threads(1)
    single = train_step(kind, global_batch())
    assert single['batchnorms'][1] > 0
    # every BN of the split run is synchronised
    assert ranks[0]['batchnorms'] == (single['batchnorms'][1], 0)
    if kind == 'constcl':
        assert {'loss_global', 'loss_local'} <= set(single['losses'])
    for r, split in enumerate(ranks):
        for key in ('losses', 'grads', 'after', 'buffers'):
            diff, name = worst(split, single, key)
            assert diff <= RTOL, f'rank {r} {key} {name}: {diff:.2e}'
        update = {
            k: split['after'][k] - split['before'][k]
            for k in split['after']
        }
        ref = {
            k: single['after'][k] - single['before'][k]
            for k in single['after']
        }
        diff, name = worst(dict(u=update), dict(u=ref), 'u')
        assert diff <= RTOL, f'rank {r} update {name}: {diff:.2e}'
    # the check is not vacuous: one step moves every weight group
    moved = max(
        relative_difference(single['after'][k], single['before'][k])
        for k in single['after'])
    assert moved > 1e-3
