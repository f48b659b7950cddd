# Copyright (c) constcl_mm authors. All rights reserved.
"""Helpers shared by the multi-view transforms.

A sample's views live in ``results['imgs']`` either as one array
``(V, T, H, W, C)`` or, straight after decoding, as a list of ``V`` clips,
each an array ``(T, H, W, C)`` or a list of ``T`` frames ``(H, W, C)``
(views into the decoded block, so that no full-resolution copy is made
before cropping). :class:`MultiViewRandomResizedCrop` reads either form and
writes the array form, which every later transform uses.
"""
from numbers import Number
from typing import Dict, List, Sequence, Tuple, Union

import numpy as np

ProbType = Union[float, Sequence[float]]


def check_probs(prob: ProbType, name: str) -> Union[float, Tuple[float, ...]]:
    """Validates a probability given for all views or per view.

    Args:
        prob (float | Sequence[float]): One probability for every view, or
            one per view (view 1 first).
        name (str): The config field, used in error messages.

    Returns:
        float | tuple[float]: The validated value.
    """
    values = [prob] if isinstance(prob, Number) else list(prob)
    for p in values:
        if not isinstance(p, Number) or not 0.0 <= float(p) <= 1.0:
            raise ValueError(f'{name} must be probabilities in [0, 1], got '
                             f'{prob!r}')
    if isinstance(prob, Number):
        return float(prob)
    return tuple(float(p) for p in values)


def probs_for_views(prob: Union[float, Tuple[float, ...]], num_views: int,
                    name: str) -> Tuple[float, ...]:
    """Expands :func:`check_probs`' result to one probability per view."""
    if isinstance(prob, float):
        return (prob, ) * num_views
    if len(prob) != num_views:
        raise ValueError(f'{name} gives {len(prob)} per-view probabilities '
                         f'{prob} but the sample has {num_views} views')
    return prob


def get_clips(results: Dict, name: str) -> List:
    """The views as a list of clips, without copying.

    Returns:
        list: ``V`` clips; ``clip[t]`` is frame ``t`` ``(H, W, C)``.
    """
    imgs = results.get('imgs')
    if isinstance(imgs, np.ndarray):
        if imgs.ndim != 5:
            raise ValueError(f'{name} expects `imgs` of shape (V, T, H, W, '
                             f'C), got {imgs.shape}')
        return list(imgs)
    if not isinstance(imgs, (list, tuple)) or not imgs:
        raise ValueError(
            f'{name} expects `imgs` as views (V, T, H, W, C) or a list of '
            f'clips (from MultiClipDecode), got {type(imgs).__name__}')
    lengths = {len(clip) for clip in imgs}
    shapes = {np.shape(clip[0]) for clip in imgs}
    if len(lengths) != 1 or len(shapes) != 1 or len(next(iter(shapes))) != 3:
        raise ValueError(f'{name}: the clips in `imgs` differ in length '
                         f'{sorted(lengths)} or frame shape {sorted(shapes)}')
    return list(imgs)


def get_views(results: Dict, name: str) -> np.ndarray:
    """The views as one ``(V, T, H, W, C)`` array (stacked if needed)."""
    imgs = results.get('imgs')
    if isinstance(imgs, np.ndarray) and imgs.ndim == 5:
        return imgs
    clips = get_clips(results, name)
    imgs = np.stack([np.asarray(clip) for clip in clips])
    results['imgs'] = imgs
    return imgs


def float_views(results: Dict, name: str) -> np.ndarray:
    """Returns the views as ``float32`` in ``[0, 1]``, converting once.

    ``uint8`` views are divided by 255 and written back to
    ``results['imgs']``; float views are used as they are.
    """
    imgs = get_views(results, name)
    if imgs.dtype == np.uint8:
        imgs = imgs.astype(np.float32)
        imgs *= np.float32(1.0 / 255.0)
    elif imgs.dtype != np.float32 or not imgs.flags.c_contiguous:
        # In-place ops below need one contiguous float32 block.
        imgs = np.ascontiguousarray(imgs, dtype=np.float32)
    results['imgs'] = imgs
    return imgs
