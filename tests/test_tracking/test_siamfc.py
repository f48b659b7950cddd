# Copyright (c) constcl_mm authors. All rights reserved.
"""SiamFC head, tracker geometry and OPE inference."""
import copy
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from helpers.otb import crossing_dir
from helpers.paths import REPO_ROOT
from helpers.tracking import moving_pattern, pixel_tracker
from mmaction.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from constcl_mm.datasets.transforms import crop_square
from constcl_mm.evaluation import eval_sot_ope
from constcl_mm.models.heads import cross_correlation, siamfc_labels
from constcl_mm.models.trackers import crop_frames

CONFIG = osp.join(
    REPO_ROOT, 'configs', 'tracking', 'siamfc',
    'siamfc_r3d50y-local-frozen_1xb8-5x1x1-50e_got10k-otb100.py')


@pytest.fixture(scope='module')
def model_cfg():
    return Config.fromfile(CONFIG).model


def small(model_cfg, **test_cfg):
    cfg = copy.deepcopy(model_cfg)
    cfg.test_cfg.update(
        dict(exemplar_size=31, search_size=63, response_size=5), **test_cfg)
    return cfg


def test_cross_correlation_matches_loops():
    torch.manual_seed(0)
    z, x = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 9, 9)
    out = cross_correlation(z, x)
    assert out.shape == (2, 1, 6, 6)
    for n in range(2):
        for i in range(6):
            for j in range(6):
                ref = (x[n, :, i:i + 4, j:j + 4] * z[n]).sum()
                assert out[n, 0, i, j] == pytest.approx(float(ref), abs=1e-4)


def test_labels_and_balanced_loss():
    labels = siamfc_labels(17, 8, 16, 0)
    assert labels.shape == (17, 17) and labels[8, 8] == 1
    assert int(labels.sum()) == 13  # L1 distance <= 2 cells
    assert labels[8, 10] == 1 and labels[9, 10] == 0
    head = MODELS.build(dict(type='SiamFCHead', adjust_channels=None))
    zeros = torch.zeros(2, 1, 17, 17)
    loss = head.loss(zeros, 8)['loss_siamfc']
    assert float(loss) == pytest.approx(np.log(2), rel=1e-5)
    good = (labels * 2 - 1).expand(2, 1, 17, 17) * 20
    assert float(head.loss(good, 8)['loss_siamfc']) < 1e-6


def test_paper_geometry_from_the_backbone(model_cfg):
    model = MODELS.build(model_cfg)
    assert model.total_stride == 8 and model.response_size == 17
    assert model.backbone.out_indices == (4, )
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.head.parameters())
    cfg = copy.deepcopy(model_cfg)
    cfg.test_cfg.response_size = 19
    with pytest.raises(ValueError, match='response_size=19 .* give 17'):
        MODELS.build(cfg)
    cfg.test_cfg.update(response_size=None, search_size=250)
    with pytest.raises(ValueError, match='multiple of the total stride 8'):
        MODELS.build(cfg)
    cfg.test_cfg.update(search_size=255, total_stride=16)
    with pytest.raises(ValueError, match='total_stride=16 .* stride 8'):
        MODELS.build(cfg)
    cfg.test_cfg = dict(window=0.1)
    with pytest.raises(KeyError, match='window'):
        MODELS.build(cfg)


def test_centre_feature_frame_and_loss(model_cfg):
    torch.manual_seed(0)
    model = MODELS.build(small(model_cfg))  # PyTorch's default init
    clips = torch.randn(2, 5, 3, 31, 31)
    with torch.no_grad():
        full = model.backbone(clips.transpose(1, 2))
        assert full.shape == (2, 2048, 3, 4, 4)  # 5 frames -> 3
        torch.testing.assert_close(model.extract_feat(clips), full[:, :, 1])
    with pytest.raises(ValueError, match='stacks of 5 frames'):
        model.extract_feat(clips[:, :3])
    inputs = dict(
        exemplar=torch.randint(0, 256, (2, 5, 3, 31, 31), dtype=torch.uint8),
        search=torch.randint(0, 256, (2, 5, 3, 63, 63), dtype=torch.uint8))
    data = model.data_preprocessor(dict(inputs=inputs), True)
    assert data['inputs']['search'].shape == (2, 5, 3, 63, 63)
    assert -1 <= float(data['inputs']['search'].min()) <= \
        float(data['inputs']['search'].max()) <= 1
    model.train()
    losses = model(**data, mode='loss')
    losses['loss_siamfc'].backward()
    assert torch.isfinite(losses['loss_siamfc'])
    assert model.head.adjust[0].weight.grad.abs().sum() > 0
    assert model.backbone.conv1.conv.weight.grad is None  # frozen


def test_crop_frames_matches_training_crop():
    bgr = cv2.imread(osp.join(crossing_dir(), 'img', '0001.jpg'))
    img = bgr[..., ::-1].astype(np.float32)
    center, size = (20.3, 200.7), 91.4  # partly outside the image
    ref = crop_square(img, center, size, 47)
    frames = torch.from_numpy(img.transpose(2, 0, 1).copy())[None]
    out = crop_frames(frames, center, [size, size * 2], 47)
    assert out.shape == (2, 1, 3, 47, 47)
    np.testing.assert_allclose(
        out[0, 0].permute(1, 2, 0).numpy(), ref, atol=0.05)
    # outside the image: the frame's mean colour
    np.testing.assert_allclose(
        out[0, 0, :, 0, 0].numpy(), img.reshape(-1, 3).mean(0), rtol=1e-4)


def run_ope(model, frames, boxes):
    preds = []
    for t in range(len(frames)):
        idx = [min(max(t + k, 0), len(frames) - 1) for k in range(-2, 3)]
        stack = torch.from_numpy(frames[idx].transpose(0, 3, 1, 2).copy())
        sample = DetDataSample(
            metainfo=dict(frame_id=t, video_id=0, video_length=len(frames)))
        sample.gt_instances = InstanceData(
            bboxes=torch.from_numpy(boxes[t:t + 1]))
        data = model.data_preprocessor(
            dict(inputs=[stack], data_samples=[sample]))
        with torch.no_grad():
            out = model(**data, mode='predict')[0]
        preds.append(out.pred_track_instances)
    return preds


def test_ope_follows_a_moving_target():
    """Pixel features: the tracker's crops, displacement and scale maths
    must follow a textured square moving 4 px right, 2 px down a frame."""
    frames, boxes = moving_pattern(length=12)
    model = pixel_tracker()
    assert model.response_size == 17
    preds = run_ope(model, frames, boxes)
    assert float(preds[0].scores[0]) == -1
    np.testing.assert_allclose(preds[0].bboxes.numpy(), boxes[:1])
    pred = np.concatenate([p.bboxes.numpy() for p in preds])
    centre_err = np.abs((pred[:, :2] + pred[:, 2:]) / 2 -
                        (boxes[:, :2] + boxes[:, 2:]) / 2)
    assert centre_err.max() < 2.0
    out = eval_sot_ope([pred], [boxes])
    assert out['precision'] == 1.0 and out['success'] > 0.8
    # a frozen tracker (no displacement) would lose it
    still = np.repeat(boxes[:1], len(boxes), 0)
    assert eval_sot_ope([still], [boxes])['precision'] < 0.5


def test_ope_needs_frames_in_order():
    frames, boxes = moving_pattern(length=3)
    model = pixel_tracker()
    run_ope(model, frames[:1], boxes[:1])
    sample = DetDataSample(metainfo=dict(frame_id=2, video_id=0))
    stack = torch.zeros(1, 5, 3, 200, 200)
    with pytest.raises(RuntimeError, match='in order from frame 0'):
        model.predict(stack, [sample])
    with pytest.raises(ValueError, match='batch_size=1'):
        model.predict(torch.zeros(2, 5, 3, 20, 20), [sample, sample])


def test_preprocessor_rejects_mixed_sizes(model_cfg):
    pre = MODELS.build(model_cfg.data_preprocessor)
    a = torch.full((5, 3, 8, 8), 255, dtype=torch.uint8)
    out = pre(dict(inputs=[a, torch.zeros_like(a)]))['inputs']
    assert out.shape == (2, 5, 3, 8, 8)
    assert float(out[0].min()) == 1 and float(out[1].max()) == -1
    with pytest.raises(ValueError, match='batch_size=1'):
        pre(dict(inputs=[a, torch.zeros(5, 3, 9, 8, dtype=torch.uint8)]))


def test_loads_constcl_checkpoint_branch(model_cfg, tmp_path):
    """A ConST-CL pretraining checkpoint (both res5 branches, keys
    ``backbone.*``, plus heads) feeds the tracker's single res5 from the
    chosen branch."""
    source = MODELS.build(dict(type='ResNet3dY', depth=50))
    state = {f'backbone.{k}': v for k, v in source.state_dict().items()}
    state['neck.some.weight'] = torch.zeros(1)
    ckpt = tmp_path / 'constcl.pth'
    torch.save(dict(state_dict=state), ckpt)
    key = '0.conv1.conv.weight'
    for branch, src, dst in (('local', 'layer4_local', 'layer4_local'),
                             ('global', 'layer4', 'layer4')):
        cfg = copy.deepcopy(model_cfg)
        cfg.backbone.update(
            pretrained=str(ckpt),
            pretrained_branch=branch,
            branches=(branch, ),
            out_indices=(4 if branch == 'local' else 3, ))
        model = MODELS.build(cfg)
        model.init_weights()
        torch.testing.assert_close(
            getattr(model.backbone, dst).state_dict()[key],
            getattr(source, src).state_dict()[key])
        torch.testing.assert_close(model.backbone.conv1.conv.weight,
                                   source.conv1.conv.weight)


def test_finetune_config_trains_backbone_at_lower_lr():
    from mmengine.optim import build_optim_wrapper
    cfg = Config.fromfile(CONFIG.replace('local-frozen', 'local-finetune'))
    assert cfg.model.backbone.frozen_stages == -1
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    names = {id(p): n for n, p in model.named_parameters()}
    lrs = {}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            lrs[names[id(p)]] = group['lr']
    assert all(p.requires_grad for p in model.backbone.parameters())
    assert lrs['backbone.layer4_local.2.conv3.conv.weight'] == \
        pytest.approx(1e-3)
    assert lrs['head.adjust.0.weight'] == pytest.approx(1e-2)
