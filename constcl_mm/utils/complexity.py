# Copyright (c) constcl_mm authors. All rights reserved.
"""Parameter and multiply-accumulate counts (the convention of
official_implementation.md §8.1-§8.2)."""
from collections import OrderedDict
from typing import Dict, Tuple

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

_MAC_LAYERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)


def count_parameters(model: nn.Module) -> Dict[str, int]:
    """Trainable parameters, BN running statistics and their sum.

    ``bn_stats`` counts running means and variances (Keras'
    ``moving_mean/variance``), so ``total`` equals Keras' ``count_params``.
    """
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    stats = sum(m.running_mean.numel() + m.running_var.numel()
                for m in model.modules()
                if isinstance(m, _BatchNorm) and m.running_mean is not None)
    return dict(
        trainable=trainable,
        frozen=frozen,
        bn_stats=stats,
        total=trainable + frozen + stats)


def count_macs(module: nn.Module,
               inputs: Tuple,
               group_depth: int = 1) -> Tuple[int, Dict[str, int]]:
    """Multiply-accumulates of convolutions and linear layers in one forward.

    Args:
        module (nn.Module): Run once on ``inputs`` (under ``no_grad``).
        inputs (tuple): Positional inputs.
        group_depth (int): Name components used to group the counts
            (1: ``conv1``, ``layer1`` ...).

    Returns:
        tuple[int, dict[str, int]]: The total and the counts per group.
    """
    groups: Dict[str, int] = OrderedDict()
    handles = []

    def hook(name):

        def fn(mod, args, out):
            if isinstance(mod, nn.Linear):
                macs = out.numel() * mod.in_features
            else:
                kernel = mod.weight[0].numel()  # in/groups * prod(kernel)
                macs = out.numel() * kernel
            key = '.'.join(name.split('.')[:group_depth]) or '(root)'
            groups[key] = groups.get(key, 0) + macs

        return fn

    for name, mod in module.named_modules():
        if isinstance(mod, _MAC_LAYERS):
            handles.append(mod.register_forward_hook(hook(name)))
    try:
        was_training = module.training
        module.eval()
        with torch.no_grad():
            module(*inputs)
        module.train(was_training)
    finally:
        for h in handles:
            h.remove()
    return sum(groups.values()), groups


def table6_parameters(model: nn.Module) -> int:
    """Parameters as the paper's Table 6 counts them.

    The backbone with its BN moving statistics (Keras' ``count_params``)
    plus the trainable parameters of everything else (heads, neck). This is
    the one reading that gives all of Table 6's figures from the official
    architecture: CVRL 44.6 M, context 0 77.7 M, context 1/3/5 71.7 M.
    Counting every BN statistic gives 71.8 M for context 5; counting none
    gives 44.5 M for CVRL and 77.6 M for context 0.

    Args:
        model (nn.Module): A model with a ``backbone`` attribute.

    Returns:
        int: The count.
    """
    backbone = count_parameters(model.backbone)['total']
    rest = sum(p.numel() for name, p in model.named_parameters()
               if p.requires_grad and not name.startswith('backbone.'))
    return backbone + rest
