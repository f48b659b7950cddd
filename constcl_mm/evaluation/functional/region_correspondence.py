# Copyright (c) constcl_mm authors. All rights reserved.
"""Region correspondence: do region features find the same object again?"""
from typing import Dict

import torch

from ...models.utils.normalize import l2_normalize


def region_match_accuracy(feats_a: torch.Tensor, feats_b: torch.Tensor,
                          valid_a: torch.Tensor,
                          valid_b: torch.Tensor) -> Dict[str, float]:
    """Top-1 accuracy of argmax-cosine matching between two sets of regions.

    Region ``i`` of view a and region ``i`` of view b are the same object
    (ground truth); every valid region of a looks for its match among the
    valid regions of b of the same video by argmax cosine similarity (the
    matching rule of the local loss), and the reverse. Chance is ``1 / k``
    for a query among ``k`` candidates.

    Args:
        feats_a, feats_b (Tensor): ``(B, N, C)`` region features of the two
            views; row ``i`` of both is object ``i``.
        valid_a, valid_b (Tensor): ``(B, N)`` bool: the object is usable in
            that view (present and visible enough). A query counts only when
            its object is valid in both views.

    Returns:
        dict[str, float]: ``accuracy`` and ``chance`` (means over the
        queries of both directions) and ``num_queries``.
    """
    if feats_a.shape != feats_b.shape or feats_a.dim() != 3:
        raise ValueError('feats_a and feats_b must both be (B, N, C), got '
                         f'{tuple(feats_a.shape)} and {tuple(feats_b.shape)}')
    if valid_a.shape != feats_a.shape[:2] or valid_b.shape != valid_a.shape:
        raise ValueError(f'valid masks must be {tuple(feats_a.shape[:2])}, '
                         f'got {tuple(valid_a.shape)} and '
                         f'{tuple(valid_b.shape)}')
    sim = torch.einsum('bic,bjc->bij', l2_normalize(feats_a.float()),
                       l2_normalize(feats_b.float()))
    correct, chance, count = 0.0, 0.0, 0
    for sim_q, valid_q, valid_t in ((sim, valid_a, valid_b),
                                    (sim.transpose(1, 2), valid_b, valid_a)):
        masked = sim_q.masked_fill(~valid_t[:, None, :].bool(), float('-inf'))
        match = masked.argmax(dim=2)  # (B, N)
        queries = valid_q.bool() & valid_t.bool()
        targets = torch.arange(sim.shape[1], device=sim.device)[None]
        hits = (match == targets) & queries
        candidates = valid_t.bool().sum(dim=1, keepdim=True).expand_as(match)
        correct += float(hits.sum())
        chance += float((queries.float() / candidates.clamp_min(1)).sum())
        count += int(queries.sum())
    if count == 0:
        raise ValueError('no object is valid in both views: nothing to match')
    return dict(
        accuracy=correct / count, chance=chance / count, num_queries=count)
