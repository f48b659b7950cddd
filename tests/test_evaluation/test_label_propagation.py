# Copyright (c) constcl_mm authors. All rights reserved.
"""Label propagation: the functional math on generated clips, the controls
and the backbone path on a tiny ResNet3dY."""
import numpy as np
import pytest
import torch

from constcl_mm.evaluation.downstream.label_propagation import (
    backbone_features, evaluate_label_propagation,
    evaluate_label_propagation_copy, evaluate_label_propagation_pixels,
    feature_strides, input_normalisation, pixel_features,
    save_label_propagation_picture)
from constcl_mm.evaluation.functional.label_propagation import (
    labels_from_mask, propagate_labels, propagate_video, region_iou,
    relabel_objects)
from constcl_mm.models.backbones.resnet3d_y import ResNet3dY
from constcl_mm.models.data_preprocessors import ConSTCLDataPreprocessor


def moving_objects_clip(seed=0,
                        num_frames=8,
                        size=64,
                        side=24,
                        step=(2, 3),
                        disc=True,
                        extra_late_object=False):
    """Noise background, a textured square moving by ``step`` px per frame
    and (``disc``) a static textured disc; masks 1 = square, 2 = disc (and
    3 = a square appearing at frame 2 with ``extra_late_object``)."""
    rng = np.random.default_rng(seed)
    background = rng.integers(0, 256, (size, size, 3))
    square_tex = np.clip(
        rng.normal([200, 60, 40], 30, (side, side, 3)), 0, 255)
    disc_tex = np.clip(rng.normal([40, 80, 210], 30, (size, size, 3)), 0, 255)
    yy, xx = np.mgrid[:size, :size]
    in_disc = (yy - 46)**2 + (xx - 46)**2 <= 10**2
    frames = np.empty((num_frames, size, size, 3), np.uint8)
    masks = np.zeros((num_frames, size, size), np.int64)
    for t in range(num_frames):
        frame = background.copy()
        mask = masks[t]
        if disc:
            frame[in_disc] = disc_tex[in_disc]
            mask[in_disc] = 2
        y0, x0 = 4 + step[0] * t, 4 + step[1] * t
        frame[y0:y0 + side, x0:x0 + side] = square_tex
        mask[y0:y0 + side, x0:x0 + side] = 1
        if extra_late_object and t >= 2:
            frame[50:60, 2:12] = 255
            mask[50:60, 2:12] = 3
        frames[t] = frame
    return dict(frames=frames, masks=masks)


def test_raw_pixels_track_a_translating_square_and_shuffled_do_not():
    clips = [moving_objects_clip(seed) for seed in range(2)]
    result = evaluate_label_propagation_pixels(clips, stride=4, frame_stride=1)
    assert result['j_mean'] > 0.7, result
    assert result['num_videos'] == 2 and result['num_objects'] == 4
    assert result['feature_stride'] == 4 and result['layer'] == 'pixels-rgb'
    assert len(result['j_per_video']) == 2

    # the same features with every frame's positions shuffled
    gen = torch.Generator().manual_seed(0)
    shuffled = []
    for clip in clips:
        frames = torch.from_numpy(clip['frames'])
        feats = pixel_features(frames, stride=4)
        flat = feats.flatten(2)
        perm = torch.stack([
            torch.randperm(flat.shape[2], generator=gen)
            for _ in range(len(flat))
        ])
        feats = flat.gather(2, perm[:, None].expand_as(flat)).view_as(feats)
        out = propagate_video(feats, torch.from_numpy(clip['masks']))
        shuffled.extend(out['j_per_object'])
    assert np.mean(shuffled) < 0.3
    assert result['j_mean'] - np.mean(shuffled) > 0.4


def test_copy_first_frame_matches_hand_iou():
    clip = moving_objects_clip(num_frames=5, extra_late_object=True)
    result = evaluate_label_propagation_copy([clip], frame_stride=2)
    # scored frames 0, 2, 4; square of 24 px moved by (2, 3) px per frame;
    # the static disc scores 1; object 3 is absent in frame 0: not scored
    side = 24
    ious = []
    for t in (2, 4):
        dy, dx = 2 * t, 3 * t
        inter = (side - dy) * (side - dx)
        ious.append(inter / (2 * side * side - inter))
    expected_square = np.mean(ious)
    assert result['num_objects'] == 2
    assert result['j_mean'] == pytest.approx((expected_square + 1.0) / 2)
    assert result['j_per_video'] == [pytest.approx(result['j_mean'])]
    # the square's IoU is 360 / 792 at t=2 and 192 / 960 at t=4, never
    # above 0.5; the disc's always is
    assert ious == pytest.approx([360 / 792, 192 / 960])
    assert result['j_recall'] == pytest.approx(0.5)
    assert result['layer'] == 'copy-first-frame'


def test_identity_clip_scores_one():
    torch.manual_seed(0)
    feats = torch.randn(1, 16, 12, 12).repeat(5, 1, 1, 1)
    mask = torch.zeros(12, 12, dtype=torch.long)
    mask[2:7, 3:9] = 4
    mask[8:11, 1:4] = 9
    out = propagate_video(feats, mask.repeat(5, 1, 1))
    assert out['num_objects'] == 2
    assert out['object_ids'].tolist() == [4, 9]
    assert out['j_per_object'] == [1.0, 1.0]
    assert out['iou'].shape == (2, 4)


def naive_propagation(feats, first, context, radius, topk, temperature):
    """Position-by-position reference of :func:`propagate_labels`."""
    num_frames, _, height, width = feats.shape
    unit = torch.nn.functional.normalize(feats.double(), dim=1)
    labels = [first.double()]
    for t in range(1, num_frames):
        queue = [0] + list(range(max(1, t - context), t))
        out = torch.zeros_like(first, dtype=torch.float64)
        for y in range(height):
            for x in range(width):
                cands = []
                for n in queue:
                    for v in range(height):
                        for u in range(width):
                            if (v - y)**2 + (u - x)**2 <= radius**2:
                                sim = float(
                                    unit[t, :, y, x] @ unit[n, :, v, u])
                                cands.append((sim, labels[n][:, v, u]))
                cands.sort(key=lambda c: -c[0])
                best = cands[:topk]
                w = torch.softmax(
                    torch.tensor([c[0] for c in best]) / temperature, 0)
                out[:, y, x] = sum(wi * c[1] for wi, c in zip(w, best))
        labels.append(out)
    return torch.stack(labels)


def test_vectorised_propagation_equals_the_reference(monkeypatch):
    from constcl_mm.evaluation.functional import label_propagation as lp
    torch.manual_seed(0)
    feats = torch.randn(5, 6, 4, 5)
    first = torch.softmax(torch.randn(3, 4, 5), 0)
    expected = naive_propagation(feats, first, 2, 1.5, 4, 0.1)
    got = propagate_labels(
        feats, first, context=2, radius=1.5, topk=4, temperature=0.1)
    assert torch.allclose(got.double(), expected, atol=1e-5)
    # query rows in chunks give the same labels
    monkeypatch.setattr(lp, 'AFFINITY_BUDGET', 50)
    chunked = propagate_labels(
        feats, first, context=2, radius=1.5, topk=4, temperature=0.1)
    assert torch.allclose(chunked, got, atol=1e-6)


def test_first_frame_labels_are_area_fractions():
    mask = torch.zeros(8, 8, dtype=torch.long)
    mask[0:2, 0:4] = 1
    labels = labels_from_mask(mask, 1, (2, 2))
    assert labels.shape == (3 - 1, 2, 2)
    assert labels[1].tolist() == [[0.5, 0.0], [0.0, 0.0]]
    assert torch.allclose(labels.sum(0), torch.ones(2, 2))


def test_region_iou_empty_frames_score_one():
    gt = torch.zeros(2, 4, 4, dtype=torch.long)
    gt[0, :2] = 1
    pred = gt.clone()
    pred[1, 0, 0] = 1  # object left in truth, predicted in one pixel
    iou = region_iou(pred, gt, 1)
    assert iou.tolist() == [[1.0, 0.0]]
    assert region_iou(gt, gt, 1).tolist() == [[1.0, 1.0]]


def test_relabel_drops_objects_absent_from_frame_0():
    masks = torch.tensor([[[0, 5], [2, 0]], [[7, 5], [2, 2]]])
    gt, ids = relabel_objects(masks)
    assert ids.tolist() == [2, 5]
    assert gt.tolist() == [[[0, 2], [1, 0]], [[0, 2], [1, 1]]]
    with pytest.raises(ValueError, match='integer'):
        relabel_objects(masks.float())


@pytest.mark.parametrize('kwargs, match', [
    (dict(topk=0), 'topk must be an int >= 1'),
    (dict(topk=2.5), 'topk must be an int >= 1'),
    (dict(radius=-1), 'radius must be None'),
    (dict(radius='all'), 'radius must be None'),
    (dict(temperature=0), 'temperature must be a finite number > 0'),
    (dict(temperature=float('inf')), 'temperature'),
    (dict(context=-1), 'context must be an int >= 0'),
])
def test_bad_arguments_are_named(kwargs, match):
    feats = torch.randn(3, 4, 5, 5)
    labels = torch.ones(2, 5, 5)
    with pytest.raises(ValueError, match=match):
        propagate_labels(feats, labels, **kwargs)
    with pytest.raises(ValueError, match=match):
        evaluate_label_propagation_pixels([], **kwargs)


def test_shape_errors_and_options():
    feats = torch.randn(3, 4, 5, 5)
    with pytest.raises(ValueError, match=r'\(L, 5, 5\)'):
        propagate_labels(feats, torch.ones(2, 4, 4))
    with pytest.raises(ValueError, match="'rgb' or 'lab'"):
        evaluate_label_propagation_pixels([], space='hsv')
    clip = moving_objects_clip(num_frames=4)
    with pytest.raises(ValueError, match=r'clip 0: masks must be'):
        evaluate_label_propagation_copy([dict(clip, masks=clip['masks'][1:])])
    with pytest.raises(KeyError, match="clip 0 has no 'masks'"):
        evaluate_label_propagation_copy([dict(frames=clip['frames'])])
    empty = dict(clip, masks=np.zeros_like(clip['masks']))
    out = evaluate_label_propagation_copy([clip, empty])
    assert out['num_videos'] == 1 and out['skipped_videos'] == 1
    # radius 0: each position sees only itself in the context frames, so
    # labels never move; a radius covering the map equals no radius
    first = labels_from_mask(torch.from_numpy(clip['masks'][0]) % 3, 2, (5, 5))
    still = propagate_labels(feats, first, radius=0)
    assert torch.allclose(still, first.expand_as(still), atol=1e-6)
    assert torch.equal(
        propagate_labels(feats, first, radius=None),
        propagate_labels(feats, first, radius=6))
    # Lab and patch features run and keep the cell grid
    frames = torch.from_numpy(clip['frames'])
    assert pixel_features(frames, 8, 'lab').shape == (4, 3, 8, 8)
    assert pixel_features(
        frames[:, :60], 8, patch=True).shape == (4, 192, 8, 8)


@pytest.fixture(scope='module')
def tiny_backbone():
    torch.manual_seed(0)
    backbone = ResNet3dY(
        depth=18, base_channels=8, spatial_strides=(1, 2, 2, 1))
    backbone.init_weights()
    return backbone


@pytest.mark.parametrize('layer, stride, channels', [('res3', 8, 16),
                                                     ('res5_1', 16, 64)])
def test_backbone_path(tiny_backbone, layer, stride, channels, tmp_path):
    clips = [moving_objects_clip(seed, num_frames=8) for seed in range(2)]
    model = torch.nn.Module()
    model.backbone = tiny_backbone
    model.train()
    before = tiny_backbone.out_indices
    state = {k: v.clone() for k, v in tiny_backbone.state_dict().items()}
    result = evaluate_label_propagation(
        model, clips, layer=layer, return_predictions=True)
    assert tiny_backbone.out_indices == before
    assert tiny_backbone.training and model.training
    # eval mode inside: BN statistics untouched
    for key, value in tiny_backbone.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert result['layer'] == layer
    assert result['feature_stride'] == stride
    assert result['frame_stride'] == 2
    assert result['num_videos'] == 2 and result['num_objects'] == 4
    assert 0.0 <= result['j_mean'] <= 1.0
    pred = result['predictions'][0]
    assert pred['frame_indices'].tolist() == [0, 2, 4, 6]
    assert pred['prediction'].shape == (4, 64, 64)
    assert feature_strides(tiny_backbone, layer) == (2, stride)
    feats, inds = backbone_features(tiny_backbone,
                                    torch.from_numpy(clips[0]['frames']),
                                    layer)
    assert feats.shape == (4, channels, 64 // stride, 64 // stride)
    assert inds.tolist() == [0, 2, 4, 6]
    if layer == 'res3':
        image = save_label_propagation_picture(
            str(tmp_path / 'lp.png'),
            clips[0], {'random': model},
            layer=layer,
            max_frames=3,
            scale=1)
        assert (tmp_path / 'lp.png').exists()
        # 2 title lines + 3 frames of 64 px, margin + 4 columns (GT,
        # model, pixels, copy) of 64 px, 4 px gaps
        assert image.shape == (30 + 3 * 68, 30 + 4 * 68, 3)


def test_edge_frames_replace_the_zero_padding_of_frame_0(tiny_backbone):
    clip = moving_objects_clip(num_frames=8)
    frames = torch.from_numpy(clip['frames'][:1]).repeat(8, 1, 1, 1)
    plain, _ = backbone_features(tiny_backbone, frames, 'res3', 0)
    padded, inds = backbone_features(tiny_backbone, frames, 'res3', 1)
    assert inds.tolist() == [0, 2, 4, 6]
    # a static clip: res2-res3 have no temporal kernels, so with replicated
    # edges every feature frame is the same; with zero padding frame 0 is not
    assert torch.allclose(padded, padded[1:2].expand_as(padded), atol=1e-5)
    assert torch.allclose(plain[1], padded[1], atol=1e-5)
    assert not torch.allclose(plain[0], plain[1], atol=1e-2)
    with pytest.raises(ValueError, match='edge_frames must be an int >= 0'):
        backbone_features(tiny_backbone, frames, 'res3', -1)


def test_input_normalisation_follows_the_data_preprocessor(tiny_backbone):
    model = torch.nn.Module()
    model.backbone = tiny_backbone
    mean, std = input_normalisation(model)  # no preprocessor: [-1, 1]
    assert mean.tolist() == [127.5] * 3 and std.tolist() == [127.5] * 3
    model.data_preprocessor = ConSTCLDataPreprocessor(
        mean=(0., 10., 20.), std=(255., 128., 64.))
    mean, std = input_normalisation(model)
    assert mean.tolist() == [0., 10., 20.]
    assert std.tolist() == [255., 128., 64.]
    frames = torch.from_numpy(moving_objects_clip(num_frames=4)['frames'])
    scaled = backbone_features(model, frames, 'res2')[0]
    # the default preprocessor: the same features as the bare backbone
    model.data_preprocessor = ConSTCLDataPreprocessor()
    plain = backbone_features(model, frames, 'res2')[0]
    assert torch.allclose(plain,
                          backbone_features(tiny_backbone, frames, 'res2')[0])
    assert not torch.allclose(plain, scaled, atol=1e-3)


def test_backbone_errors(tiny_backbone):
    clip = moving_objects_clip(num_frames=4)
    with pytest.raises(TypeError, match='needs a ResNet3dY'):
        evaluate_label_propagation(torch.nn.Conv3d(3, 4, 1), [clip])
    with pytest.raises(ValueError, match='layer must be one of'):
        evaluate_label_propagation(tiny_backbone, [clip], layer='res6')
    local_only = ResNet3dY(depth=18, base_channels=8, branches=('local', ))
    with pytest.raises(ValueError, match='without layer4'):
        evaluate_label_propagation(local_only, [clip], layer='res5')
