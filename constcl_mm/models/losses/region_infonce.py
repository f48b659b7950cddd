# Copyright (c) constcl_mm authors. All rights reserved.
from typing import Dict, Optional

import torch

from ..utils.gather import all_gather_with_grad
from ..utils.normalize import l2_normalize

_LARGE_NUM = 1e9


def match_regions(
        inst_a: torch.Tensor,
        inst_b: torch.Tensor,
        valid_a: Optional[torch.Tensor] = None,
        valid_b: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
    """Positive pairs: argmax cosine similarity of raw region features.

    ``S[b, i, j] = n(h_a[b, i]) . n(h_b[b, j])``; for a->b the target of
    region i is ``argmax_j S[b, i, j]``, for b->a the target of region j is
    ``argmax_i S[b, i, j]`` (one way per direction, no mutual check; the
    boxes of the two views are unrelated, official_implementation.md §3.5).

    Args:
        inst_a, inst_b (Tensor): ``(B, N, C)`` region features of one video's
            two views.
        valid_a, valid_b (Tensor, optional): ``(B, N)`` bool; invalid targets
            are never chosen. ``None`` (the official behaviour) considers
            every box.

    Returns:
        dict: ``similarity (B, N, N)``, ``match_a2b (B, N)`` (indices into
        view b) and ``match_b2a (B, N)`` (indices into view a).
    """
    sim = torch.einsum('bic,bjc->bij', l2_normalize(inst_a),
                       l2_normalize(inst_b))
    masked = sim.detach()
    if valid_b is not None:
        masked = masked.masked_fill(~valid_b[:, None, :], -_LARGE_NUM)
    match_a2b = masked.argmax(dim=2)
    masked = sim.detach()
    if valid_a is not None:
        masked = masked.masked_fill(~valid_a[:, :, None], -_LARGE_NUM)
    match_b2a = masked.argmax(dim=1)
    return dict(similarity=sim, match_a2b=match_a2b, match_b2a=match_b2a)


def region_infonce_one_way(
        query: torch.Tensor,
        target: torch.Tensor,
        match: torch.Tensor,
        query_valid: Optional[torch.Tensor] = None,
        target_valid: Optional[torch.Tensor] = None,
        temperature: float = 0.2) -> Dict[str, torch.Tensor]:
    """InfoNCE of reconstructed regions against the other view's regions.

    For query ``(b, i)`` the positive is ``target[b, match[b, i]]``; the
    negatives are all N regions of every *other* video in the global batch
    (gathered with gradient from every rank). The query's own video's
    regions are removed and only the matched one comes back, as the
    positive. Per-query losses are averaged over valid queries.

    Args:
        query (Tensor): Reconstructed, L2-normalised ``(b, N, C)``.
        target (Tensor): Raw target regions, L2-normalised ``(b, N, C)``.
        match (Tensor): ``(b, N)`` target index of each query's positive.
        query_valid (Tensor, optional): ``(b, N)`` bool mask of queries.
        target_valid (Tensor, optional): ``(b, N)`` bool; when given, invalid
            targets are not used as negatives (the official code uses every
            target).
        temperature (float): Defaults to 0.2.

    Returns:
        dict[str, Tensor]: ``loss`` and detached statistics ``pos_sim``,
        ``neg_sim`` (means), ``pos_sim_min/max``, ``neg_sim_min/max``.
    """
    b, n, _ = query.shape
    if query_valid is None:
        query_valid = torch.ones(b, n, dtype=torch.bool, device=query.device)
    target_all, offset = all_gather_with_grad(target)
    b_all = target_all.shape[0]
    # (b, N, b_all, N) similarities to every region of the global batch
    sim_neg = torch.einsum('bic,pqc->bipq', query, target_all)
    own = torch.zeros(b, b_all, dtype=torch.bool, device=query.device)
    own[torch.arange(b), torch.arange(b) + offset] = True
    neg_mask = ~own[:, None, :, None].expand(b, n, b_all, n)
    if target_valid is not None:
        valid_all, _ = all_gather_with_grad(target_valid.to(query.dtype))
        neg_mask = neg_mask & (valid_all > 0.5)[None, None]
    logits_neg = (sim_neg / temperature).masked_fill(~neg_mask, -_LARGE_NUM)

    matched = target.gather(1, match[..., None].expand(-1, -1,
                                                       target.shape[-1]))
    sim_pos = (query * matched).sum(-1)  # (b, N)
    logits = torch.cat([(sim_pos / temperature).reshape(b * n, 1),
                        logits_neg.reshape(b * n, b_all * n)],
                       dim=1)
    per_query = torch.logsumexp(logits, dim=1) - logits[:, 0]
    weights = query_valid.reshape(-1).to(per_query.dtype)
    loss = (per_query * weights).sum() / weights.sum().clamp_min(1e-12)

    with torch.no_grad():
        qv = query_valid
        pos = sim_pos[qv]
        neg_sel = neg_mask & qv[:, :, None, None]
        neg = sim_neg[neg_sel]
        stats = dict(
            pos_sim=pos.mean() if pos.numel() else sim_pos.new_zeros(()),
            pos_sim_min=pos.min() if pos.numel() else sim_pos.new_zeros(()),
            pos_sim_max=pos.max() if pos.numel() else sim_pos.new_zeros(()),
            neg_sim=neg.mean() if neg.numel() else sim_pos.new_zeros(()),
            neg_sim_min=neg.min() if neg.numel() else sim_pos.new_zeros(()),
            neg_sim_max=neg.max() if neg.numel() else sim_pos.new_zeros(()))
    return dict(loss=loss, **stats)


def region_infonce_loss(
        inst_a: torch.Tensor,
        inst_b: torch.Tensor,
        inst_a2b: torch.Tensor,
        inst_b2a: torch.Tensor,
        valid_a: Optional[torch.Tensor] = None,
        valid_b: Optional[torch.Tensor] = None,
        temperature: float = 0.2,
        normalize: bool = True,
        mask_invalid_targets: bool = False,
        target_a: Optional[torch.Tensor] = None,
        target_b: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
    """The official ``InstanceContrastiveLoss`` (official_implementation.md
    §3.5): the paper's local InfoNCE ``L_local`` between the reconstructions
    ``z = g(h, F'_c)`` and the matched regions ``h'`` of the other view
    (paper §3.2; vanilla region contrast of paper §3.1 when ``z = h``).

    ``L = 0.5 * (L_a2b + L_b2a)``: reconstructions of view-a regions
    (``inst_a2b``) are contrasted against view-b regions, positives matched
    by argmax cosine similarity of the raw features, and the reverse.

    Args:
        inst_a, inst_b (Tensor): Raw region features ``(b, N, C)``.
        inst_a2b, inst_b2a (Tensor): Reconstructions ``(b, N, C)``.
        valid_a, valid_b (Tensor, optional): ``(b, N)`` bool box masks.
            Queries are masked as in the official code.
        temperature (float): Defaults to 0.2.
        normalize (bool): L2-normalise all inputs. Defaults to True.
        mask_invalid_targets (bool): Also keep invalid (padding) boxes out of
            the matching and the negatives. The official code does not
            (its boxes are always valid). Defaults to False.
        target_a, target_b (Tensor, optional): ``(b, N, D)`` targets of the
            b->a and a->b directions in place of the raw regions (vanilla
            region contrast: the projected regions); matching stays on the
            raw regions. Defaults to ``inst_a``, ``inst_b``.

    Returns:
        dict[str, Tensor]: ``loss`` and the averaged statistics of both
        directions, plus ``match_a2b``/``match_b2a``.
    """
    if (target_a is None) != (target_b is None):
        raise ValueError('give both target_a and target_b, or neither')
    if inst_b.shape != inst_a.shape:
        raise ValueError(f'inst_b has shape {tuple(inst_b.shape)}, expected '
                         f'{tuple(inst_a.shape)} like inst_a')
    if target_a is None:
        target_a, target_b = inst_a, inst_b
    names = ('inst_a2b', 'inst_b2a', 'target_a', 'target_b')
    for name, x in zip(names, (inst_a2b, inst_b2a, target_a, target_b)):
        if x.shape != target_b.shape:
            raise ValueError(f'{name} has shape {tuple(x.shape)}, expected '
                             f'{tuple(target_b.shape)} like the targets')
    raw_targets = target_a is inst_a
    if normalize:
        inst_a, inst_b = l2_normalize(inst_a), l2_normalize(inst_b)
        inst_a2b, inst_b2a = l2_normalize(inst_a2b), l2_normalize(inst_b2a)
        if raw_targets:
            target_a, target_b = inst_a, inst_b
        else:
            target_a = l2_normalize(target_a)
            target_b = l2_normalize(target_b)
    target_mask = mask_invalid_targets
    matches = match_regions(inst_a, inst_b, valid_a if target_mask else None,
                            valid_b if target_mask else None)
    a2b = region_infonce_one_way(inst_a2b, target_b, matches['match_a2b'],
                                 valid_a, valid_b if target_mask else None,
                                 temperature)
    b2a = region_infonce_one_way(inst_b2a, target_a, matches['match_b2a'],
                                 valid_b, valid_a if target_mask else None,
                                 temperature)
    out = {key: 0.5 * (a2b[key] + b2a[key]) for key in a2b}
    out.update(match_a2b=matches['match_a2b'], match_b2a=matches['match_b2a'])
    return out
