# Copyright (c) constcl_mm authors. All rights reserved.
import torch


def l2_normalize(x: torch.Tensor,
                 dim: int = -1,
                 eps: float = 1e-12) -> torch.Tensor:
    """L2 normalisation with TensorFlow's epsilon convention.

    ``tf.math.l2_normalize`` computes ``x / sqrt(max(sum(x**2), eps))``, while
    ``F.normalize`` computes ``x / max(||x||, eps)``; the two differ only for
    near-zero vectors, but the official code's convention is kept.

    Args:
        x (Tensor): Input of any shape.
        dim (int): Dimension to normalise. Defaults to -1.
        eps (float): Lower bound of the squared norm. Defaults to 1e-12.

    Returns:
        Tensor: ``x`` with unit L2 norm along ``dim``.
    """
    square_sum = x.pow(2).sum(dim=dim, keepdim=True)
    return x * torch.rsqrt(square_sum.clamp_min(eps))
