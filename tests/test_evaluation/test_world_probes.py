# Copyright (c) constcl_mm authors. All rights reserved.
"""Video/region probes of the object world and the supervised control."""
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

from constcl_mm.evaluation.downstream.world_probes import (
    WorldProbeClips, evaluate_world_probes, extract_world_features,
    knn_accuracy, pixel_world_features, probe_accuracy)

WORLD = dict(
    type='objects',
    seed=5,
    num_frames=20,
    frame_size=(32, 32),
    num_objects=(1, 3))
BACKBONE = dict(
    type='ResNet3dY', depth=18, base_channels=4, spatial_strides=(1, 2, 2, 1))


def _blobs(n, centres, gen):
    labels = torch.arange(n) % len(centres)
    return centres[labels] + torch.randn(n, 8, generator=gen), labels


def test_probes_read_separable_features_and_not_noise():
    gen = torch.Generator().manual_seed(0)
    centres = torch.randn(4, 8, generator=gen) * 3
    x, y = _blobs(120, centres, gen)
    xt, yt = _blobs(80, centres, gen)
    scores = probe_accuracy(x, y, xt, yt, 4)
    assert scores['top1'] > 0.95 and scores['cv_top1'] > 0.9
    assert knn_accuracy(x, y, xt, yt, 4) > 0.95
    noise, noise_t = torch.randn(
        120, 8, generator=gen), torch.randn(
            80, 8, generator=gen)
    assert probe_accuracy(noise, y, noise_t, yt, 4)['top1'] < 0.45


def test_clips_and_features_of_a_backbone():
    clips = WorldProbeClips(WORLD, 6, clip_len=8, frame_interval=2)
    assert len(clips) == 6
    assert clips.inputs[0].shape == (3, 8, 32, 32)
    assert len(clips.categories) == sum(len(b) for b in clips.boxes)
    backbone = MODELS.build(BACKBONE)
    backbone.init_weights()
    backbone.train()
    indices = backbone.out_indices
    feats = extract_world_features(backbone, clips)
    assert feats['video'].shape == (6, 32)
    assert feats['region'].shape == (len(clips.categories), 32)
    # the backbone is left as it was
    assert backbone.out_indices == indices and backbone.training
    pixels = pixel_world_features(clips)
    assert pixels['video'].shape == (6, 192)
    assert pixels['region'].shape == (len(clips.categories), 6)


def test_evaluate_world_probes_reports_every_task():
    train = WorldProbeClips(WORLD, 20, clip_len=8)
    test = WorldProbeClips(dict(WORLD, seed=6), 10, clip_len=8)
    scores = evaluate_world_probes(
        pixel_world_features(train), pixel_world_features(test), train, test)
    for task in ('scene', 'category', 'motion'):
        for kind in ('top1', 'knn', 'majority'):
            assert 0 <= scores[f'{task}_{kind}'] <= 1
    assert scores['num_test_regions'] == len(test.categories)


def _batch(num_videos=4, frames=8, size=32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for v in range(num_videos):
        inputs.append(
            torch.randint(
                0,
                256, (2, 3, frames, size, size),
                dtype=torch.uint8,
                generator=gen))
        sample = ActionDataSample()
        xy = torch.rand(2, 2, 2, generator=gen) * 0.5
        sample.set_field(torch.cat([xy, xy + 0.4], -1), 'boxes')
        sample.set_field(
            torch.tensor([[True, True], [True, False]]), 'box_valid')
        sample.set_field(
            torch.tensor([[v % 8, 1], [v % 8, -1]]), 'box_categories')
        sample.set_field(
            torch.tensor([[v % 4, 2], [v % 4, -1]]), 'box_motions')
        sample.set_gt_label(v % 4)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def test_supervised_control_learns_a_fixed_batch():
    import constcl_mm  # noqa: F401
    model = MODELS.build(
        dict(
            type='WorldSupervised',
            backbone=dict(
                BACKBONE, branches=('global', 'local'), out_indices=(3, 4))))
    model.init_weights()
    data = model.data_preprocessor(_batch(), True)
    opt = torch.optim.AdamW(model.parameters(), 3e-3)
    first = None
    for _ in range(25):
        losses = model(**data, mode='loss')
        total = sum(v for k, v in losses.items() if k.startswith('loss'))
        first = float(total.detach()) if first is None else first
        opt.zero_grad()
        total.backward()
        opt.step()
    assert set(losses) >= {
        'loss_scene', 'loss_category', 'loss_motion', 'acc_scene'
    }
    assert float(total) < 0.5 * first, (first, float(total))
