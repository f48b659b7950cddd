# Copyright (c) constcl_mm authors. All rights reserved.
"""Channels-last 3D: layouts, no silent fallback, and fp32 equality with the
contiguous path for every model kind (pretraining, recognition, AVA,
tracking)."""
import copy
import os.path as osp

import pytest
import torch
from helpers.paths import REPO_ROOT
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData, LabelData
from torch.nn.modules.batchnorm import _BatchNorm

from constcl_mm.models import ResNet3dY
from constcl_mm.models.utils.memory_format import (get_memory_format,
                                                   to_memory_format)
from constcl_mm.testing import random_two_view_batch

CL = torch.channels_last_3d
FORMATS = ('channels_last_3d', 'contiguous')


def base_model(name: str) -> Config:
    return Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'models', name)).model


def is_cl(x: torch.Tensor) -> bool:
    # (tensors with C = 1 or T = H = W = 1 are both layouts at once)
    return x.is_contiguous(memory_format=CL)


def close(a, b, tol=1e-5):
    torch.testing.assert_close(a, b, rtol=tol, atol=tol)


def rel_close(a, b, tol=1e-5):
    # gradients are sums of many mixed-sign terms: relative to the norm
    assert ((a - b).norm() / a.norm()).item() < tol


def train_with_running_bn(model):
    """Train mode with BN on its running statistics.

    With batch statistics of a test-sized batch, BN amplifies float
    rounding through 50 layers: the contiguous path alone, run with 1 and
    with 2 threads, then differs by ~2e-5 in res5 and ~2e-3 in the stem's
    gradient. With running statistics both layouts agree to ~1e-6.
    """
    model.train()
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            m.eval()
    return model


def build_pair(cfg: Config, set_format):
    """The same model (same weights) built channels-last and contiguous."""
    models = []
    for fmt in FORMATS:
        c = copy.deepcopy(cfg)
        set_format(c, fmt)
        torch.manual_seed(0)
        models.append(MODELS.build(c))
    models[1].load_state_dict(models[0].state_dict())
    assert is_cl(models[0].backbone.conv1.conv.weight)
    assert models[1].backbone.conv1.conv.weight.is_contiguous()
    return models


def set_backbone_and_preprocessor(cfg, fmt):
    cfg.backbone.memory_format = fmt
    cfg.data_preprocessor.memory_format = fmt


# --------------------------------------------------------------- layouts
def test_to_memory_format_layouts():
    x = torch.randn(2, 3, 4, 5, 6)
    y = to_memory_format(x, 'channels_last_3d')
    assert is_cl(y) and torch.equal(x, y)
    assert to_memory_format(y, CL).data_ptr() == y.data_ptr()  # no copy
    assert to_memory_format(y, 'contiguous').is_contiguous()
    # tracking stacks (N, T, C, H, W): the tracker's transpose is CL 3D
    sot = to_memory_format(torch.randn(2, 5, 3, 8, 8), CL, channel_dim=2)
    assert is_cl(sot.transpose(1, 2))
    # multi-view recognition (N, V, C, T, H, W): the recognizer's view is
    views = to_memory_format(torch.randn(2, 3, 3, 4, 8, 8), CL, channel_dim=-4)
    assert is_cl(views.view(-1, 3, 4, 8, 8))
    with pytest.raises(ValueError, match='memory_format'):
        get_memory_format('channels_last')
    with pytest.raises(ValueError, match='memory_format'):
        ResNet3dY(memory_format='nhwc')


@pytest.fixture
def two_threads():
    # PyTorch runs unstrided 1x1x1 fp32 convolutions with fewer than 16
    # clips on its native kernels (contiguous output) when single-threaded,
    # and on oneDNN (channels-last output) otherwise; training runs the
    # latter (docs/pretraining.md, memory format)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize('padding', ['symmetric', 'tf_same'])
@pytest.mark.parametrize('amp', [False, True])
def test_backbone_keeps_channels_last_everywhere(padding, amp, two_threads):
    """Every 5-D tensor a module returns is channels-last (no op falls
    back to contiguous and copies), fp32 and under bf16 autocast."""
    model = ResNet3dY(padding=padding, out_indices=(0, 1, 2, 3, 4)).train()
    assert all(is_cl(p) for p in model.parameters() if p.dim() == 5)
    model.init_weights()  # in place: keeps the layout
    assert all(is_cl(p) for p in model.parameters() if p.dim() == 5)
    bad = []

    def hook(module, inputs, out):
        outs = out if isinstance(out, tuple) else (out, )
        for o in outs:
            if o.dim() == 5 and min(o.shape[1:]) > 1 and not is_cl(o):
                bad.append(type(module).__name__)

    for m in model.modules():
        m.register_forward_hook(hook)
    x = torch.randn(2, 3, 4, 32, 32)  # contiguous: converted once
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=amp):
        outs = model(x)
    assert not bad, f'modules returning contiguous maps: {sorted(set(bad))}'
    assert all(is_cl(o) for o in outs[:4])
    sum(o.float().square().mean() for o in outs).backward()
    assert is_cl(model.conv1.conv.weight.grad)


def test_backbone_fp32_equal_to_contiguous(tmp_path):
    torch.manual_seed(0)
    cl = ResNet3dY(depth=50).train()
    cl.init_weights()
    plain = ResNet3dY(depth=50, memory_format='contiguous').train()
    plain.load_state_dict(cl.state_dict())
    # checkpoints move between the two layouts
    path = str(tmp_path / 'cl.pth')
    torch.save(cl.state_dict(), path)
    again = ResNet3dY(depth=50, pretrained=path)
    again.init_weights()
    assert is_cl(again.conv1.conv.weight)
    x = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        for a, b in zip(cl.eval()(x), plain.eval()(x)):
            close(a, b)
    grads = []
    for model in (cl, plain):
        out = train_with_running_bn(model)(x)
        (out[0].square().mean() + out[1].mean()).backward()
        grads.append([
            model.conv1.conv.weight.grad,
            model.layer4_local[0].conv2.conv.weight.grad
        ])
    for a, b in zip(*grads):
        rel_close(a, b)


# ----------------------------------------------------------- model kinds
def test_constcl_pretraining_equal_to_contiguous():
    models = build_pair(
        base_model('constcl_r3d50y.py'), set_backbone_and_preprocessor)
    losses, grads = [], []
    for model in models:
        train_with_running_bn(model)
        data = model.data_preprocessor(random_two_view_batch(), True)
        assert is_cl(data['inputs']) == (model is models[0])
        out = model(**data, mode='loss')
        # (the local loss's positives are argmax matches: a gradient
        # comparison would hinge on near-ties)
        out['loss_global'].backward()
        losses.append(out)
        grads.append([
            model.backbone.layer4[0].conv1.conv.weight.grad,
            model.global_head.mlp[0].weight.grad
        ])
    for key in ('loss_global', 'loss_local', 'global_acc'):
        close(losses[0][key], losses[1][key])
    for a, b in zip(*grads):
        # NT-Xent at temperature 0.1 amplifies float rounding in the
        # gradient: the contiguous path alone, with 1 or 2 threads, differs
        # by ~2e-5 as well
        rel_close(a, b, 1e-4)


def recognition_batch(views: int, frames=4, size=32, num=2):
    gen = torch.Generator().manual_seed(1)
    inputs, samples = [], []
    for i in range(num):
        inputs.append(
            torch.randint(
                0,
                256, (views, 3, frames, size, size),
                dtype=torch.uint8,
                generator=gen))
        sample = ActionDataSample()
        sample.gt_label = LabelData(item=torch.tensor([i]))
        sample.set_field(torch.tensor(i), 'gt_label')
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.parametrize('name',
                         ['r3d50y_i3d-head.py', 'r3d50y_linear-probe.py'])
def test_recognition_equal_to_contiguous(name):
    cfg = base_model(name)
    cfg.backbone.pretrained = None
    cfg.cls_head.num_classes = 3
    if 'dropout_ratio' in cfg.cls_head:
        cfg.cls_head.dropout_ratio = 0.
    models = build_pair(cfg, set_backbone_and_preprocessor)
    losses, scores = [], []
    for model in models:
        train_with_running_bn(model)
        data = model.data_preprocessor(recognition_batch(views=1), True)
        assert is_cl(data['inputs'].flatten(0, 1)) == (model is models[0])
        out = model(**data, mode='loss')
        out['loss_cls'].backward()
        losses.append(out['loss_cls'])
        model.eval()
        with torch.no_grad():
            data = model.data_preprocessor(recognition_batch(views=3), False)
            preds = model(**data, mode='predict')
        scores.append(torch.stack([p.pred_score for p in preds]))
    close(losses[0], losses[1])
    close(scores[0], scores[1])
    head = [next(p.grad for p in m.cls_head.parameters()) for m in models]
    rel_close(head[0], head[1])


def ava_samples(size=64):
    samples = []
    for n in (1, 2):
        labels = torch.zeros(n, 81)
        labels[:, 12] = 1
        boxes = torch.tensor([[0., 0., 40., 40.], [8., 8., 60., 50.]])[:n]
        sample = ActionDataSample()
        sample.gt_instances = InstanceData(bboxes=boxes, labels=labels)
        sample.proposals = InstanceData(bboxes=boxes.clone())
        sample.set_metainfo(dict(img_shape=(size, size)))
        samples.append(sample)
    return samples


@pytest.mark.parametrize(
    'name', ['fastrcnn_r3d50y-local.py', 'fastrcnn-actiontx_r3d50y-local.py'])
def test_ava_fastrcnn_equal_to_contiguous(name):
    from mmdet.registry import MODELS as DET_MODELS
    cfg = base_model(name)
    cfg.backbone.pretrained = None
    if 'dropout_ratio' in cfg.roi_head.bbox_head:
        cfg.roi_head.bbox_head.dropout_ratio = 0.
    pair = []
    for fmt in FORMATS:
        c = copy.deepcopy(cfg)
        set_backbone_and_preprocessor(c, fmt)
        torch.manual_seed(0)
        pair.append(DET_MODELS.build(c))
    pair[1].load_state_dict(pair[0].state_dict())
    gen = torch.Generator().manual_seed(2)
    clips = [
        torch.randint(
            0, 256, (3, 4, 64, 64), dtype=torch.uint8, generator=gen)
        for _ in range(2)
    ]
    losses, grads = [], []
    for model in pair:
        train_with_running_bn(model)
        data = model.data_preprocessor(
            dict(inputs=clips, data_samples=ava_samples()), True)
        assert is_cl(data['inputs']) == (model is pair[0])
        torch.manual_seed(0)  # the RoI sampler
        out = model(**data, mode='loss')
        out['loss_action_cls'].backward()
        losses.append(out['loss_action_cls'])
        grads.append(
            next(p.grad for p in model.roi_head.parameters()
                 if p.grad is not None))
    close(losses[0], losses[1])
    rel_close(grads[0], grads[1])


def test_siamfc_equal_to_contiguous():
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'tracking', 'siamfc',
                 'siamfc_r3d50y-local-frozen_1xb8-5x1x1-50e_got10k-otb100.py')
    ).model
    cfg.backbone.pretrained = None
    cfg.test_cfg.update(exemplar_size=31, search_size=63, response_size=5)
    models = build_pair(cfg, set_backbone_and_preprocessor)
    gen = torch.Generator().manual_seed(3)
    inputs = dict(
        exemplar=torch.randint(
            0, 256, (2, 5, 3, 31, 31), dtype=torch.uint8, generator=gen),
        search=torch.randint(
            0, 256, (2, 5, 3, 63, 63), dtype=torch.uint8, generator=gen))
    losses, grads = [], []
    for model in models:
        train_with_running_bn(model)
        data = model.data_preprocessor(dict(inputs=inputs), True)
        search = data['inputs']['search']
        assert search.shape == (2, 5, 3, 63, 63)
        assert is_cl(search.transpose(1, 2)) == (model is models[0])
        out = model(**data, mode='loss')
        out['loss_siamfc'].backward()
        losses.append(out['loss_siamfc'])
        grads.append(model.head.adjust[0].weight.grad)
    close(losses[0], losses[1])
    rel_close(grads[0], grads[1])
