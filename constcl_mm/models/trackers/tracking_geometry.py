# Copyright (c) constcl_mm authors. All rights reserved.
"""Strides and dilations of a tracker's backbone, from its pretraining.

A SiamFC backbone (VFS / SeCo, the paper's tracker) runs res4 and res5
without their spatial stride, so that the response map has a total stride
of 8. Each stage whose stride is removed is dilated instead, by the product
of the pretraining strides removed up to and including it, so that every
3x3 kernel keeps the receptive field (in input pixels) it had during
pretraining. For ResNet3d's stock strides ``(1, 2, 2, 2)`` that gives
dilations ``(1, 1, 2, 4)``; a pretraining backbone with res5 at stride 1,
``(1, 2, 2, 1)``, gives ``(1, 1, 2, 2)``. The rule is per stage, so it holds
for any depth and block (BasicBlock3d or Bottleneck3d) and any strides.
"""
from typing import Dict, Optional, Sequence, Tuple

#: ResNet3d's defaults (mmaction2), used where a config does not set them.
DEFAULT_SPATIAL_STRIDES = (1, 2, 2, 2)
DEFAULT_DILATIONS = (1, 1, 1, 1)
#: Stages (0-based: res2..res5) that a tracker runs without spatial stride.
UNSTRIDED_STAGES = (2, 3)
#: The value of ``spatial_strides`` / ``dilations`` in a tracker's backbone
#: config that asks for the derived value.
AUTO = 'auto'

Geometry = Tuple[Tuple[int, ...], Tuple[int, ...]]


def _as_ints(values: Sequence[int], key: str) -> Tuple[int, ...]:
    try:
        out = tuple(int(v) for v in values)
    except (TypeError, ValueError):
        raise ValueError(f'{key} must be a sequence of integers, got '
                         f'{values!r}') from None
    if any(v < 1 for v in out):
        raise ValueError(f'{key} must be >= 1 everywhere, got {out}')
    return out


def pretrain_geometry(backbone: Optional[Dict]) -> Dict[str, tuple]:
    """The spatial strides and dilations of a pretraining backbone config.

    Args:
        backbone (dict, optional): E.g. the pretraining config's
            ``model.backbone``; keys it does not set take ResNet3d's
            defaults (None: the stock ResNet3d).

    Returns:
        dict: ``spatial_strides`` and ``dilations`` (tuples of 4 ints).
    """
    backbone = backbone or {}
    strides = _as_ints(
        backbone.get('spatial_strides', DEFAULT_SPATIAL_STRIDES),
        'pretraining backbone spatial_strides')
    dilations = _as_ints(
        backbone.get('dilations', DEFAULT_DILATIONS),
        'pretraining backbone dilations')
    if len(strides) != len(dilations):
        raise ValueError(f'pretraining backbone spatial_strides {strides} '
                         f'and dilations {dilations} differ in length')
    return dict(spatial_strides=strides, dilations=dilations)


def tracker_geometry(
        spatial_strides: Sequence[int] = DEFAULT_SPATIAL_STRIDES,
        dilations: Optional[Sequence[int]] = None,
        unstrided_stages: Sequence[int] = UNSTRIDED_STAGES) -> Geometry:
    """The tracker's strides and dilations for a pretraining geometry.

    Stage ``i`` of the tracker keeps the pretraining stride unless ``i`` is
    in ``unstrided_stages`` (then 1), and its dilation is the pretraining
    dilation times the product of the strides removed at stages ``<= i``.

    Args:
        spatial_strides (Sequence[int]): Pretraining strides per stage.
        dilations (Sequence[int], optional): Pretraining dilations
            (default all 1).
        unstrided_stages (Sequence[int]): Stages without stride in the
            tracker. Defaults to res4 and res5, ``(2, 3)``.

    Returns:
        tuple: ``(spatial_strides, dilations)`` of the tracker.

    Examples:
        >>> tracker_geometry((1, 2, 2, 2))
        ((1, 2, 1, 1), (1, 1, 2, 4))
        >>> tracker_geometry((1, 2, 2, 1))
        ((1, 2, 1, 1), (1, 1, 2, 2))
    """
    strides = _as_ints(spatial_strides, 'spatial_strides')
    dils = _as_ints(dilations if dilations is not None else [1] * len(strides),
                    'dilations')
    if len(dils) != len(strides):
        raise ValueError(f'spatial_strides {strides} and dilations {dils} '
                         'differ in length')
    out_strides, out_dils, removed = [], [], 1
    for i, (s, d) in enumerate(zip(strides, dils)):
        if i in unstrided_stages:
            removed *= s
            s = 1
        out_strides.append(s)
        out_dils.append(d * removed)
    return tuple(out_strides), tuple(out_dils)


def resolve_tracker_backbone(backbone: Dict,
                             pretrain: Optional[Dict],
                             where: str = 'model.backbone') -> Dict:
    """Fills ``'auto'`` strides / dilations and checks the given ones.

    Args:
        backbone (dict): The tracker's backbone config (not changed).
        pretrain (dict, optional): The pretraining backbone's geometry
            (``spatial_strides``, ``dilations``; see
            :func:`pretrain_geometry`). None: nothing to check, and
            ``'auto'`` is an error.
        where (str): The config key of ``backbone``, for messages.

    Returns:
        dict: A copy of ``backbone`` with the tracker's ``spatial_strides``
        and ``dilations``.

    Raises:
        ValueError: ``'auto'`` without ``pretrain``, or values that do not
            follow the pretraining strides (naming both config keys, the
            values and the fix).
    """
    backbone = dict(backbone)
    keys = ('spatial_strides', 'dilations')
    if pretrain is None:
        auto = [k for k in keys if backbone.get(k) == AUTO]
        if auto:
            raise ValueError(
                f"{where}.{auto[0]}='auto' needs the pretraining backbone's "
                'strides: set pretrain_backbone=dict(spatial_strides=...) '
                'in the tracker config (evaluate_tracking sets it from its '
                'backbone argument)')
        return backbone
    geometry = pretrain_geometry(pretrain)
    expected = dict(
        zip(
            keys,
            tracker_geometry(geometry['spatial_strides'],
                             geometry['dilations'])))
    defaults = dict(
        spatial_strides=DEFAULT_SPATIAL_STRIDES, dilations=DEFAULT_DILATIONS)
    for key in keys:
        given = backbone.get(key, defaults[key])
        if given == AUTO:
            backbone[key] = expected[key]
            continue
        if tuple(given) != expected[key]:
            raise ValueError(
                f'{where}.{key}={tuple(given)} does not follow the '
                'pretraining backbone (model.pretrain_backbone.'
                f"spatial_strides={geometry['spatial_strides']}, dilations="
                f"{geometry['dilations']}; evaluate_tracking takes them from "
                'its backbone argument): a tracker without the strides '
                'of res4/res5 dilates each stage by the product of the '
                'pretraining strides it removed, i.e. needs spatial_strides='
                f"{expected['spatial_strides']} and dilations="
                f"{expected['dilations']}. Set {where}.{key}="
                f"{expected[key]} (or 'auto')")
        backbone[key] = tuple(given)
    return backbone
