# Copyright (c) constcl_mm authors. All rights reserved.
from typing import Dict

import torch
import torch.nn.functional as F

from ..utils.gather import all_gather_with_grad
from ..utils.normalize import l2_normalize

_LARGE_NUM = 1e9


def nt_xent_loss(z1: torch.Tensor,
                 z2: torch.Tensor,
                 temperature: float = 0.1,
                 normalize: bool = True) -> Dict[str, torch.Tensor]:
    """SimCLR / CVRL NT-Xent loss, as the official ``ContrastiveLoss``.

    The paper's global loss ``L_global`` (paper §3.4, holistic branch;
    official_implementation.md §2).

    With ``z1``, ``z2`` the embeddings of the two views (local batch b,
    global batch N gathered from all ranks, i the global index of a row)::

        l_a(i) = -log exp(z1_i.z2_i/t) /
                 [sum_k exp(z1_i.z2_k/t) + sum_{k!=i} exp(z1_i.z1_k/t)]
        loss = mean_i l_a(i) + mean_i l_b(i)       # both directions SUMMED

    Negatives come from every rank (gathered with gradient); the same view
    (self excluded) counts as negatives too.

    Args:
        z1 (Tensor): View-1 embeddings ``(b, D)``.
        z2 (Tensor): View-2 embeddings ``(b, D)``, row i the same video.
        temperature (float): Defaults to 0.1.
        normalize (bool): L2-normalise the embeddings first. Defaults to True.

    Returns:
        dict[str, Tensor]: ``loss``, ``accuracy`` (top-1 of ``logits_ab``),
        ``entropy`` (of ``softmax(logits_ab)``), both statistics detached.
    """
    if z1.shape != z2.shape or z1.dim() != 2:
        raise ValueError(
            f'nt_xent_loss expects two (b, D) tensors of the same shape, got '
            f'{tuple(z1.shape)} and {tuple(z2.shape)}')
    if normalize:
        z1, z2 = l2_normalize(z1), l2_normalize(z2)
    z1_all, offset = all_gather_with_grad(z1)
    z2_all, _ = all_gather_with_grad(z2)
    b, n = z1.shape[0], z1_all.shape[0]
    labels = torch.arange(b, device=z1.device) + offset
    self_mask = F.one_hot(labels, n).to(z1.dtype) * _LARGE_NUM

    logits_ab = z1 @ z2_all.t() / temperature
    logits_ba = z2 @ z1_all.t() / temperature
    logits_aa = z1 @ z1_all.t() / temperature - self_mask
    logits_bb = z2 @ z2_all.t() / temperature - self_mask
    loss_a = F.cross_entropy(torch.cat([logits_ab, logits_aa], 1), labels)
    loss_b = F.cross_entropy(torch.cat([logits_ba, logits_bb], 1), labels)

    with torch.no_grad():
        prob = logits_ab.float().softmax(dim=1)
        entropy = -(prob * torch.log(prob + 1e-8)).sum(1).mean()
        accuracy = (logits_ab.argmax(1) == labels).float().mean()
    return dict(loss=loss_a + loss_b, accuracy=accuracy, entropy=entropy)
