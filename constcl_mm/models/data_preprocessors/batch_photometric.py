# Copyright (c) constcl_mm authors. All rights reserved.
"""The photometric augmentations of the pipeline, applied to a batch.

The CPU transforms of :mod:`constcl_mm.datasets.transforms.clip_photometric`
with ``apply_on='device'`` draw their parameters in the loader workers (the
same random numbers as on the CPU) and record them per sample in
``photometric_ops``; :func:`apply_photometric_ops` applies them here to a
batch of clips ``(N, C, T, H, W)`` on whatever device the batch lives, with
the CPU transforms' arithmetic: float32 in ``[0, 1]``, a clip to ``[0, 1]``
after every op, clip-level statistics, OpenCV's float HSV conversion, the
same Gaussian kernels with zero padding, and the same rounding back to
``0..255`` as :class:`PackConSTCLInputs` (so the outputs agree with the CPU
pipeline to 1/255, ``tests/test_models/test_batch_photometric.py``).
"""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F

from constcl_mm.datasets.transforms.clip_photometric import (GRAY_WEIGHTS,
                                                             gaussian_kernel1d)

__all__ = [
    'adjust_brightness', 'adjust_contrast', 'adjust_saturation', 'adjust_hue',
    'rgb_to_hsv', 'hsv_to_rgb', 'grayscale', 'gaussian_blur', 'solarize',
    'apply_photometric_ops', 'DEVICE_OPS'
]

_EPS = torch.finfo(torch.float32).eps  # OpenCV's FLT_EPSILON


def _per_clip(values: Sequence[float], x: torch.Tensor) -> torch.Tensor:
    """``(N,)`` values as a float32 tensor broadcasting over a clip."""
    return torch.as_tensor(
        values, dtype=torch.float32, device=x.device).view(-1, 1, 1, 1, 1)


def adjust_brightness(x: torch.Tensor, factor: Sequence[float]) -> None:
    """``x * factor`` per clip, in place. ``x``: ``(N, C, T, H, W)``."""
    x.mul_(_per_clip(factor, x))


def adjust_contrast(x: torch.Tensor, factor: Sequence[float]) -> None:
    """``(x - mean) * factor + mean`` with each clip's channel means."""
    mean = x.double().mean(dim=(2, 3, 4), keepdim=True)
    f = _per_clip(factor, x)
    x.mul_(f).add_((mean * (1.0 - f.double())).float())


def rgb_to_hsv(x: torch.Tensor) -> torch.Tensor:
    """OpenCV's float RGB->HSV: H in degrees ``[0, 360)``, S and V in [0, 1].

    Args:
        x (torch.Tensor): ``(N, 3, ...)`` RGB.

    Returns:
        torch.Tensor: ``(N, 3, ...)`` HSV.
    """
    r, g, b = x.unbind(1)
    v = torch.maximum(torch.maximum(r, g), b)
    vmin = torch.minimum(torch.minimum(r, g), b)
    diff = v - vmin
    s = diff / (v.abs() + _EPS)
    scale = 60.0 / (diff + _EPS)
    h = torch.where(
        v == r, (g - b) * scale,
        torch.where(v == g, (b - r) * scale + 120.0, (r - g) * scale + 240.0))
    h = torch.where(h < 0, h + 360.0, h)
    return torch.stack([h, s, v], dim=1)


def hsv_to_rgb(hsv: torch.Tensor) -> torch.Tensor:
    """OpenCV's float HSV->RGB (hue in degrees, wrapped into ``[0, 360)``).
    """
    h, s, v = hsv.unbind(1)
    h = h * (6.0 / 360.0)
    h = h - 6.0 * torch.floor(h / 6.0)  # into [0, 6)
    sector = torch.floor(h)
    frac = h - sector
    sector = sector.long().clamp_(0, 5)
    tab = torch.stack(
        [v, v * (1.0 - s), v * (1.0 - s * frac), v * (1.0 - s * (1.0 - frac))])
    # (b, g, r) entries of ``tab`` per sector, as OpenCV's sector_data
    pick = torch.tensor(
        [[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]],
        device=hsv.device)[sector]  # (..., 3)
    chans = [
        tab.gather(0, pick[..., i].unsqueeze(0)).squeeze(0)
        for i in (2, 1, 0)  # r, g, b
    ]
    rgb = torch.stack(chans, dim=1)
    gray = (s == 0).unsqueeze(1)
    return torch.where(gray, v.unsqueeze(1).expand_as(rgb), rgb)


def adjust_saturation(x: torch.Tensor, factor: Sequence[float]) -> None:
    """HSV saturation times ``factor`` per clip (clipped to [0, 1])."""
    hsv = rgb_to_hsv(x)
    f = _per_clip(factor, x).squeeze(1)
    hsv[:, 1] = (hsv[:, 1] * f).clamp_(0.0, 1.0)
    x.copy_(hsv_to_rgb(hsv))


def adjust_hue(x: torch.Tensor, delta: Sequence[float]) -> None:
    """Rotates the hue by ``delta`` turns per clip."""
    hsv = rgb_to_hsv(x)
    shift = torch.as_tensor([(d % 1.0) * 360.0 for d in delta],
                            dtype=torch.float32,
                            device=x.device).view(-1, 1, 1, 1)
    hsv[:, 0] += shift
    x.copy_(hsv_to_rgb(hsv))


_JITTER = dict(
    brightness=adjust_brightness,
    contrast=adjust_contrast,
    saturation=adjust_saturation,
    hue=adjust_hue)


def grayscale(x: torch.Tensor) -> None:
    """TF luma (``GRAY_WEIGHTS``) in all three channels, in place."""
    weights = torch.as_tensor(GRAY_WEIGHTS, device=x.device)
    gray = torch.einsum('nc...,c->n...', x, weights)
    x.copy_(gray.unsqueeze(1).expand_as(x))


def gaussian_blur(x: torch.Tensor, sigmas: Sequence[float],
                  kernel_size: int) -> None:
    """Separable Gaussian blur, one sigma per clip, zero padding, in place.

    Args:
        x (torch.Tensor): ``(N, C, T, H, W)``.
        sigmas (Sequence[float]): ``N`` sigmas (pixels).
        kernel_size (int): Odd kernel length.
    """
    n, c, t, h, w = x.shape
    kernels = torch.stack([
        torch.from_numpy(gaussian_kernel1d(kernel_size, s)) for s in sigmas
    ]).to(x.device)  # (N, K)
    groups = kernels.repeat_interleave(c * t, dim=0)  # (N*C*T, K)
    planes = x.reshape(1, n * c * t, h, w)
    pad = kernel_size // 2
    planes = F.conv2d(
        planes,
        groups.view(-1, 1, 1, kernel_size),
        padding=(0, pad),
        groups=n * c * t)
    planes = F.conv2d(
        planes,
        groups.view(-1, 1, kernel_size, 1),
        padding=(pad, 0),
        groups=n * c * t)
    x.copy_(planes.view(n, c, t, h, w))


def solarize(x: torch.Tensor, threshold: float) -> None:
    """``x -> 1 - x`` where ``x >= threshold``, in place."""
    torch.where(x >= threshold, 1.0 - x, x, out=x)


def _color_jitter(x: torch.Tensor, op: Dict, clips: List[int],
                  params: List[Optional[Dict]]) -> None:
    skip = set(op.get('skip', ()))
    jittered = [(i, p) for i, p in zip(clips, params) if p is not None]
    if not jittered:
        return
    for step in range(4):
        for name, func in _JITTER.items():
            if name in skip:
                continue
            chosen = [(i, p[name]) for i, p in jittered
                      if p['order'][step] == name]
            if not chosen:
                continue
            index = torch.tensor([i for i, _ in chosen], device=x.device)
            part = x.index_select(0, index)
            func(part, [f for _, f in chosen])
            x.index_copy_(0, index, part.clamp_(0.0, 1.0))


def _select(x: torch.Tensor, clips: List[int], func) -> None:
    """Applies ``func`` in place to the clips ``clips`` of ``x``."""
    if not clips:
        return
    index = torch.tensor(clips, device=x.device)
    part = x.index_select(0, index)
    func(part)
    x.index_copy_(0, index, part)


def _grayscale(x, op, clips, chosen) -> None:
    _select(x, [i for i, c in zip(clips, chosen) if c], grayscale)


def _blur(x, op, clips, sigmas) -> None:
    picked = [(i, s) for i, s in zip(clips, sigmas) if s > 0]
    _select(
        x, [i for i, _ in picked], lambda part: gaussian_blur(
            part, [s for _, s in picked], int(op['kernel_size'])))


def _solarize(x, op, clips, chosen) -> None:
    _select(x, [i for i, c in zip(clips, chosen) if c],
            lambda part: solarize(part, float(op['threshold'])))


#: op type -> (per-view field, function(x, op, clip indices, values))
DEVICE_OPS = dict(
    color_jitter=('params', _color_jitter),
    grayscale=('chosen', _grayscale),
    gaussian_blur=('sigma', _blur),
    solarize=('chosen', _solarize))


def apply_photometric_ops(batch: torch.Tensor,
                          ops_per_sample: List[List[Dict]],
                          num_views: int) -> torch.Tensor:
    """Applies the recorded ops of every sample to a stacked batch.

    Args:
        batch (torch.Tensor): ``uint8`` (or 0-255 float) ``(V*B, C, T, H,
            W)``, rows ``v*B + b`` = view ``v`` of sample ``b``.
        ops_per_sample (list[list[dict]]): Per sample, the ``photometric_ops``
            of its pipeline (the same op types in the same order for all).
        num_views (int): ``V``.

    Returns:
        torch.Tensor: float32 ``(V*B, C, T, H, W)`` with values in
        ``0..255``, rounded to integers like ``PackConSTCLInputs``.
    """
    num_samples = len(ops_per_sample)
    kinds = [[op['type'] for op in ops] for ops in ops_per_sample]
    if any(k != kinds[0] for k in kinds):
        raise ValueError('the samples of a batch deferred different '
                         f'photometric ops to the device: {kinds}')
    x = batch.float() * (1.0 / 255.0)
    for j, kind in enumerate(kinds[0]):
        if kind not in DEVICE_OPS:
            raise ValueError(f'unknown photometric op {kind!r}; expected one '
                             f'of {sorted(DEVICE_OPS)}')
        field, func = DEVICE_OPS[kind]
        op = ops_per_sample[0][j]
        shared = {k: w for k, w in op.items() if k not in (field, 'params')}
        for ops in ops_per_sample:
            other = {k: ops[j].get(k) for k in shared}
            if other != shared:
                raise ValueError(f'the samples of a batch give {kind} '
                                 f'different settings: {shared} / {other}')
        clips, values = [], []
        for b, ops in enumerate(ops_per_sample):
            per_view = ops[j][field]
            if len(per_view) != num_views:
                raise ValueError(f'sample {b}: {kind} has {len(per_view)} '
                                 f'views, the batch {num_views}')
            for v in range(num_views):
                clips.append(v * num_samples + b)
                values.append(per_view[v])
        func(x, op, clips, values)
    # the rounding of PackConSTCLInputs (half to even, saturated)
    return torch.round(x.clamp_(min=0.0) * 255.0).clamp_(max=255.0)
