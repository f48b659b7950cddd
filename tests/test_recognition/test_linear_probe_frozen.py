# Copyright (c) constcl_mm authors. All rights reserved.
"""The linear probe changes no backbone parameter and no BN statistic.

A few optimiser steps of the config's own optimiser (LR 32, unscaled: a
large step) on the model built from the K400 linear-probe config leave every
backbone tensor (weights, biases, BN running mean/var, num_batches_tracked)
bit-identical, while the linear layer moves. The same steps on the
fine-tuning config change the backbone: the comparison can fail.
"""
from typing import Dict

import torch
from helpers.recognition import FINETUNE_HMDB51, LINEAR_K400
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch.nn.modules.batchnorm import _BatchNorm


def snapshot(module: torch.nn.Module) -> Dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def batch(step: int) -> dict:
    """Two uint8 clips (1 view, C=3, T=4, 32x32) with labels."""
    gen = torch.Generator().manual_seed(step)
    inputs = [
        torch.randint(
            0, 256, (1, 3, 4, 32, 32), generator=gen, dtype=torch.uint8)
        for _ in range(2)
    ]
    samples = [ActionDataSample().set_gt_label(i) for i in range(2)]
    return dict(inputs=inputs, data_samples=samples)


def train_a_few_steps(config: str, ckpt: str, steps: int = 2):
    cfg = Config.fromfile(config)
    cfg.model.backbone.pretrained = ckpt
    cfg.model.cls_head.num_classes = 2
    model = MODELS.build(cfg.model)
    model.init_weights()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = snapshot(model)
    model.train()  # what the runner's train loop does
    for step in range(steps):
        model.train_step(batch(step), optim_wrapper)
    return model, before, snapshot(model)


def changed(before, after, prefix):
    return sorted(
        k for k in before
        if k.startswith(prefix) and not torch.equal(before[k], after[k]))


def test_linear_probe_leaves_backbone_untouched(pretrain_ckpt):
    model, before, after = train_a_few_steps(LINEAR_K400, pretrain_ckpt[0])
    backbone_keys = [k for k in before if k.startswith('backbone.')]
    assert any(k.endswith('running_var') for k in backbone_keys)
    assert any(k.endswith('num_batches_tracked') for k in backbone_keys)
    assert changed(before, after, 'backbone.') == []
    # the linear layer did learn, with gradients reaching only it
    assert changed(before, after, 'cls_head.') == [
        'cls_head.fc_cls.bias', 'cls_head.fc_cls.weight'
    ]
    for name, param in model.backbone.named_parameters():
        assert not param.requires_grad, name
        assert param.grad is None, name
    # train() kept every backbone BN in eval mode (norm_eval, frozen_stages)
    bns = [m for m in model.backbone.modules() if isinstance(m, _BatchNorm)]
    assert len(bns) == 53 and not any(m.training for m in bns)


def test_fine_tuning_does_change_the_backbone(pretrain_ckpt):
    """Positive control for the comparison above."""
    _, before, after = train_a_few_steps(
        FINETUNE_HMDB51, pretrain_ckpt[0], steps=1)
    moved = changed(before, after, 'backbone.')
    assert 'backbone.layer4.2.conv3.conv.weight' in moved
    assert 'backbone.conv1.bn.running_mean' in moved
    assert 'backbone.conv1.bn.num_batches_tracked' in moved
