# Copyright (c) constcl_mm authors. All rights reserved.
"""Checks for ``ResNet3dY`` dropped into a stock mmaction2 config.

The mistakes a stock SlowOnly / I3D / AVA config invites
(docs/stock_configs.md), each turned into an error or a warning that names
the fix:

* the stock backbone's keys merged into ``ResNet3dY`` (no ``_delete_=True``):
  :func:`check_stock_backbone_args`;
* a later checkpoint load (e.g. the stock AVA model's
  ``init_cfg=dict(type='Pretrained', ...)``) overwriting the backbone weights
  just loaded from ``pretrained``: :func:`warn_on_overwrite`;
* inputs outside the [-1, 1] range of ConST-CL checkpoints (an ImageNet
  ``mean``/``std`` left in the data preprocessor):
  :func:`check_input_range`.
"""
import warnings
from typing import Mapping

import torch
import torch.nn as nn

#: keys of mmaction2's pathway backbones (ResNet3dSlowOnly / SlowFast) that
#: no plain ResNet3d takes
PATHWAY_KEYS = ('lateral', 'lateral_norm', 'lateral_infl', 'lateral_activate',
                'lateral_inv', 'speed_ratio', 'channel_ratio', 'fusion_kernel')
DELETE_HINT = (
    "a config that replaces a stock backbone by ResNet3dY must drop the "
    "stock keys: model = dict(backbone=dict(_delete_=True, "
    "type='ResNet3dY', ...)) (docs/stock_configs.md)")
#: largest |input| accepted as the [-1, 1] range (crop interpolation and
#: float rounding stay well inside)
RANGE_TOLERANCE = 1.05


class StockConfigWarning(UserWarning):
    """A stock-config setting that silently changes what ResNet3dY does."""


def check_stock_backbone_args(pretrained2d: bool, kwargs: Mapping) -> None:
    """Refuses keys of the stock backbone a config merged into ResNet3dY.

    Args:
        pretrained2d (bool): ResNet3dY loads 3-D checkpoints only: ``False``
            (accepted for configs that state it) or an error.
        kwargs (Mapping): The other keyword arguments ResNet3dY forwards to
            ``ResNet3d``.

    Raises:
        TypeError: pathway keys (``lateral`` ...) from a stock SlowOnly /
            SlowFast backbone.
        ValueError: ``pretrained2d=True`` (a stock I3D backbone's).
    """
    stock = [k for k in PATHWAY_KEYS if k in kwargs]
    if stock:
        raise TypeError(
            f'ResNet3dY got {", ".join(stock)}: keys of mmaction2\'s '
            f'ResNet3dSlowOnly/SlowFast backbone, not arguments of '
            f'ResNet3dY; {DELETE_HINT}')
    if pretrained2d:
        raise ValueError(
            'ResNet3dY got pretrained2d=True: it loads 3-D checkpoints '
            '(pretrained=PATH: ConST-CL, exported or mmaction2 R3D-50), '
            'never inflates 2-D ImageNet weights. A stock I3D backbone '
            'states pretrained2d=True; its inflate/pool1_stride_t would '
            f'change the trunk too: {DELETE_HINT}')


def warn_on_overwrite(backbone: nn.Module, source: str) -> None:
    """Warns when a later ``load_state_dict`` changes the weights just
    loaded from ``source`` (mmengine's ``Pretrained`` init of a parent model
    runs after its children's ``init_weights``).

    Registers a load-state-dict pre-hook on ``backbone``; it compares the
    incoming tensors of this module with the current ones and warns once if
    any differs.
    """

    def hook(module, state_dict, prefix, *args) -> None:
        if getattr(module, '_overwrite_warned', False):
            return
        own = module.state_dict()
        changed = [
            k for k, v in own.items()
            if prefix + k in state_dict and isinstance(state_dict[
                prefix + k], torch.Tensor) and state_dict[prefix + k].shape ==
            v.shape and not torch.equal(state_dict[prefix + k].to(v.dtype), v)
        ]
        if changed:
            module._overwrite_warned = True
            warnings.warn(
                f'{type(module).__name__} weights loaded from {source} are '
                f'overwritten by a later checkpoint load ({len(changed)} '
                f'tensors differ, e.g. {prefix}{changed[0]}): a stock '
                f'config\'s model.init_cfg=dict(type=\'Pretrained\', ...) '
                f'(AVA configs load Kinetics weights that way) or load_from. '
                f'Set model.init_cfg=None (and backbone.init_cfg=None) to '
                f'keep the ConST-CL weights (docs/stock_configs.md).',
                StockConfigWarning)

    backbone._register_load_state_dict_pre_hook(hook, with_module=True)


def check_input_range(backbone: nn.Module, x: torch.Tensor) -> None:
    """Warns once when the first clip lies outside [-1, 1].

    ConST-CL checkpoints are trained on pixels mapped to [-1, 1]
    (``mean=[127.5] * 3, std=[127.5] * 3``); stock configs normalise with
    ImageNet's mean/std (about [-2.1, 2.6]), which no error reveals.
    """
    backbone._range_checked = True
    lo, hi = float(x.min()), float(x.max())
    if max(-lo, hi) > RANGE_TOLERANCE:
        warnings.warn(
            f'{type(backbone).__name__} loaded {backbone.pretrained} but its '
            f'input lies in [{lo:.2f}, {hi:.2f}]: ConST-CL checkpoints expect '
            f'[-1, 1]. Set model.data_preprocessor mean=[127.5, 127.5, '
            f'127.5], std=[127.5, 127.5, 127.5] (stock configs use '
            f"ImageNet's mean/std; docs/stock_configs.md).",
            StockConfigWarning)


def guard_tensor_heads() -> None:
    """Makes mmaction2's ``I3DHead`` refuse a tuple of feature maps with the
    fix: ResNet3dY builds both res5 branches by default and then returns
    ``(res5, res5_1)``, which ``I3DHead`` otherwise fails on with
    ``AttributeError: 'tuple' object has no attribute 'size'``. Idempotent.
    """
    from mmaction.models.heads import I3DHead
    forward = I3DHead.forward
    if getattr(forward, '_constcl_guard', False):
        return

    def guarded(self, x, **kwargs):
        if isinstance(x, (tuple, list)):
            raise TypeError(
                f'{type(self).__name__} takes one feature map, got a '
                f'{type(x).__name__} of {len(x)}: the backbone returns '
                f'several outputs (ResNet3dY builds the global and the local '
                f"res5 by default). Use backbone=dict(type='ResNet3dY', "
                f"branches=('global',), ...) for recognition "
                f'(docs/stock_configs.md).')
        return forward(self, x, **kwargs)

    guarded._constcl_guard = True
    guarded.__doc__ = forward.__doc__
    I3DHead.forward = guarded
