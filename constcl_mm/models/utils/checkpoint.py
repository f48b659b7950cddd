# Copyright (c) constcl_mm authors. All rights reserved.
"""Backbone weights from ConST-CL, mmaction2 or exported checkpoints."""
from collections import OrderedDict
from typing import Dict, Mapping, Optional

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader

GLOBAL_RES5 = 'layer4.'
LOCAL_RES5 = 'layer4_local.'
_PREFIXES = ('backbone.', 'module.backbone.', 'module.')


class CheckpointMismatchError(RuntimeError):
    """A checkpoint does not fit the model it is loaded into."""


#: mmaction2 ``ResNet3d`` config of what ``tools/export_backbone.py`` writes.
R3D50_CFG = dict(
    type='ResNet3d',
    depth=50,
    pretrained=None,
    pretrained2d=False,
    conv1_kernel=(5, 7, 7),
    conv1_stride_t=2,
    pool1_stride_t=1,
    with_pool2=False,
    inflate=(0, 0, 1, 1),
    zero_init_residual=False)


def check_architecture(state: Mapping[str, torch.Tensor],
                       cfg: Mapping = R3D50_CFG,
                       name: str = 'R3D-50') -> None:
    """Raises :class:`CheckpointMismatchError` unless ``state`` has exactly
    the keys and shapes of the backbone built from ``cfg``.

    Args:
        state (Mapping): A backbone state dict (no prefix).
        cfg (Mapping): mmaction2 backbone config. Defaults to R3D-50.
        name (str): The architecture's name, for the message.
    """
    from mmaction.registry import MODELS
    with torch.device('meta'):  # shapes only, no memory, no init
        target = MODELS.build(dict(cfg)).state_dict()
    missing = [k for k in target if k not in state]
    unexpected = [k for k in state if k not in target]
    shapes = [
        f'{k}: {tuple(state[k].shape)} instead of '
        f'{tuple(target[k].shape)}' for k in target
        if k in state and tuple(state[k].shape) != tuple(target[k].shape)
    ]
    if not (missing or unexpected or shapes):
        return

    def show(items):
        return ', '.join(items[:5]) + (f' ... ({len(items)} in all)'
                                       if len(items) > 5 else '')

    parts = [
        f'missing {show(missing)}' if missing else '',
        f'unexpected {show(unexpected)}' if unexpected else '',
        f'shapes {show(shapes)}' if shapes else ''
    ]
    raise CheckpointMismatchError(
        f'the backbone is not a {name} (mmaction2 {cfg["type"]} '
        f'depth={cfg.get("depth")}): ' + '; '.join(p for p in parts if p))


def backbone_state_dict(checkpoint: Mapping) -> Dict[str, torch.Tensor]:
    """The backbone part of a checkpoint, without its prefix.

    Accepts a runner checkpoint (``state_dict`` with ``backbone.`` keys, as
    written by ConST-CL pretraining or an mmaction2 recognizer), or a bare
    backbone state dict (``tools/export_backbone.py`` output).
    """
    state = checkpoint.get('state_dict', checkpoint) \
        if isinstance(checkpoint, Mapping) else None
    if not isinstance(state, Mapping):
        raise CheckpointMismatchError(
            'checkpoint holds no state dict (expected a mapping of tensors)')
    for prefix in _PREFIXES:
        if any(k.startswith(prefix) for k in state):
            return OrderedDict((k[len(prefix):], v) for k, v in state.items()
                               if k.startswith(prefix))
    return OrderedDict(state)


def select_res5(state: Mapping[str, torch.Tensor], target_keys,
                pretrained_branch: Optional[str]) -> Dict[str, torch.Tensor]:
    """Maps the source res5 branches onto the target's.

    Names map unchanged by default. ``pretrained_branch`` picks the source
    res5 ('global' = ``layer4``, 'local' = ``layer4_local``) that feeds a
    target with a single res5 branch; the other source branch is dropped.
    """
    if pretrained_branch is None:
        return OrderedDict(state)
    if pretrained_branch not in ('global', 'local'):
        raise ValueError("pretrained_branch must be 'global', 'local' or "
                         f'None, got {pretrained_branch!r}')
    has_global = any(k.startswith(GLOBAL_RES5) for k in target_keys)
    has_local = any(k.startswith(LOCAL_RES5) for k in target_keys)
    if has_global == has_local:
        raise ValueError(
            'pretrained_branch applies to a backbone with exactly one res5 '
            'branch; this one has ' + ('both' if has_global else 'none'))
    src = GLOBAL_RES5 if pretrained_branch == 'global' else LOCAL_RES5
    dst = GLOBAL_RES5 if has_global else LOCAL_RES5
    if not any(k.startswith(src) for k in state):
        raise CheckpointMismatchError(
            f'pretrained_branch={pretrained_branch!r} but the checkpoint has '
            f'no {src[:-1]} weights')
    out = OrderedDict()
    for key, value in state.items():
        if key.startswith(src):
            out[dst + key[len(src):]] = value
        elif not key.startswith((GLOBAL_RES5, LOCAL_RES5)):
            out[key] = value
    return out


def export_backbone_state(checkpoint: Mapping,
                          branch: str = 'global') -> Dict[str, torch.Tensor]:
    """A stock R3D-50 state dict from one res5 branch of a checkpoint.

    Args:
        checkpoint (Mapping): A ConST-CL pretraining checkpoint (or any
            checkpoint :func:`backbone_state_dict` accepts).
        branch (str): 'global' (res5, ``layer4``) or 'local' (res5_1,
            ``layer4_local``), written as ``layer4``.

    Returns:
        dict[str, Tensor]: Keys of mmaction2's ``ResNet3d``.
    """
    state = backbone_state_dict(checkpoint)
    if not any(k.startswith('conv1.') for k in state):
        raise CheckpointMismatchError(
            'the checkpoint holds no backbone (no conv1.* or backbone.conv1.* '
            'weights)')
    keys = [
        'layer4.' + k.split('.', 1)[1] for k in state
        if k.startswith((GLOBAL_RES5, LOCAL_RES5))
    ]
    return select_res5(state, keys, branch)


def load_backbone_checkpoint(backbone: nn.Module,
                             filename: str,
                             pretrained_branch: Optional[str] = None,
                             map_location: str = 'cpu',
                             logger: str = 'current') -> None:
    """Loads backbone weights strictly, naming every mismatch.

    The checkpoint may be a ConST-CL pretraining checkpoint (its neck and
    heads are dropped), an mmaction2 recognizer or detector checkpoint, or an
    exported backbone. Missing or unexpected keys and shape mismatches raise
    :class:`CheckpointMismatchError` listing them, never pass silently.

    Args:
        backbone (nn.Module): Target backbone.
        filename (str): Checkpoint path or URL.
        pretrained_branch (str, optional): See :func:`select_res5`.
        map_location (str): Defaults to 'cpu'.
        logger (str): mmengine logger name. Defaults to 'current'.
    """
    checkpoint = CheckpointLoader.load_checkpoint(
        filename, map_location=map_location, logger=logger)
    target = backbone.state_dict()
    state = select_res5(
        backbone_state_dict(checkpoint), target.keys(), pretrained_branch)
    missing = [k for k in target if k not in state]
    unexpected = [k for k in state if k not in target]
    shapes = [
        f'{k}: checkpoint {tuple(state[k].shape)} vs model '
        f'{tuple(target[k].shape)}' for k in target
        if k in state and state[k].shape != target[k].shape
    ]
    if missing or unexpected or shapes:

        def show(keys):
            return ', '.join(keys[:8]) + (f' ... ({len(keys)} in all)'
                                          if len(keys) > 8 else '')

        lines = [
            f'checkpoint {filename} does not fit '
            f'{type(backbone).__name__} (is it from another '
            'architecture, or does pretrained_branch need setting?)'
        ]
        if missing:
            lines.append(f'missing keys: {show(missing)}')
        if unexpected:
            lines.append(f'unexpected keys: {show(unexpected)}')
        if shapes:
            lines.append(f'shape mismatches: {show(shapes)}')
        raise CheckpointMismatchError('\n  '.join(lines))
    backbone.load_state_dict(state, strict=True)
    print_log(
        f'loaded {len(state)} backbone tensors from {filename}' +
        (f' ({pretrained_branch} res5)' if pretrained_branch else ''),
        logger=logger)
