# Copyright (c) constcl_mm authors. All rights reserved.
"""Clip-consistent, view-independent augmentation on real clips."""
import cv2
import numpy as np
import pytest
from helpers.data import DEMO_MP4, TEST_MP4, decoded_sample, run
from mmcv.transforms import Compose
from scipy import ndimage
from skimage import color

# yapf: disable
from constcl_mm.datasets.transforms import (MultiViewColorJitter,
                                            MultiViewFlip,
                                            MultiViewGaussianBlur,
                                            MultiViewGrayscale,
                                            MultiViewRandomResizedCrop,
                                            MultiViewSolarize,
                                            PackConSTCLInputs,
                                            sample_distorted_crop)
# yapf: enable
from constcl_mm.datasets.transforms.clip_photometric import (GRAY_WEIGHTS,
                                                             adjust_hue,
                                                             adjust_saturation,
                                                             gaussian_kernel1d)

GEOMETRY = [
    dict(type='MultiViewRandomResizedCrop', scale=64),
    dict(type='MultiViewFlip', flip_ratio=0.5),
]


def test_crop_and_flip_are_shared_by_all_frames_of_a_clip():
    np.random.seed(0)
    results = decoded_sample(*TEST_MP4, clip_len=8)
    frames = results['imgs'].copy()  # (2, 8, 256, 340, 3)
    flips_seen = set()
    for seed in range(6):
        np.random.seed(seed)
        out = run(GEOMETRY, dict(results, imgs=frames.copy()))
        assert out['imgs'].shape == (2, 8, 64, 64, 3)
        boxes, flips = out['crop_bboxes'], out['flip']
        assert boxes.shape == (2, 4) and flips.shape == (2, )
        flips_seen.update(flips.tolist())
        # Every frame of view v went through the same crop and flip.
        for v in range(2):
            x1, y1, x2, y2 = boxes[v]
            for t in range(8):
                ref = cv2.resize(
                    frames[v, t, y1:y2, x1:x2], (64, 64),
                    interpolation=cv2.INTER_LINEAR)
                if flips[v]:
                    ref = ref[:, ::-1]
                np.testing.assert_array_equal(out['imgs'][v, t], ref)
        # ... and the two clips got their own crops.
        assert not np.array_equal(boxes[0], boxes[1])
    assert flips_seen == {False, True}


def test_static_video_stays_static_under_the_full_augmentation():
    """A clip of one repeated frame keeps identical frames in each view."""
    results = decoded_sample(*DEMO_MP4, clip_len=8)
    still = np.repeat(results['imgs'][:, :1], 8, axis=1)
    pipeline = GEOMETRY + [
        dict(type='MultiViewColorJitter', prob=1.0),
        dict(type='MultiViewGrayscale', prob=0.5),
        dict(type='MultiViewGaussianBlur', prob=(1.0, 1.0), kernel_size=7),
        dict(type='MultiViewSolarize', prob=(0.5, 0.5)),
    ]
    for seed in range(4):
        np.random.seed(seed)
        out = run(pipeline, dict(results, imgs=still.copy()))['imgs']
        assert out.dtype == np.float32
        assert 0.0 <= out.min() and out.max() <= 1.0
        for v in range(2):
            for t in range(1, 8):
                np.testing.assert_array_equal(out[v, t], out[v, 0])
        assert not np.allclose(out[0, 0], out[1, 0])


def test_contrast_uses_the_whole_clip_mean():
    results = decoded_sample(*TEST_MP4, clip_len=4)
    clip = results['imgs'][:1, :, :64, :64].astype(np.float32) / 255
    clip *= np.linspace(
        0.3, 1.0, 4, dtype=np.float32)[None, :, None, None, None]
    jitter = MultiViewColorJitter(
        prob=1.0, brightness=0, saturation=0, hue=0, contrast=0.8)
    np.random.seed(3)
    out = jitter(dict(imgs=clip.copy()))
    factor = out['color_jitter'][0]['contrast']
    mean = clip[0].reshape(-1, 3).mean(0)
    expected = np.clip((clip[0] - mean) * factor + mean, 0, 1)
    np.testing.assert_allclose(out['imgs'][0], expected, atol=1e-5)
    per_frame = np.clip((clip[0] - clip[0].mean(
        (1, 2), keepdims=True)) * factor + clip[0].mean((1, 2), keepdims=True),
                        0, 1)
    assert np.abs(out['imgs'][0] - per_frame).max() > 0.02


def test_saturation_and_hue_follow_hsv():
    results = decoded_sample(*DEMO_MP4, clip_len=2)
    clip = results['imgs'][0, :, ::8, ::8].astype(np.float32) / 255
    for factor in (0.3, 1.7):
        out = clip.copy()
        adjust_saturation(out, factor)
        hsv = color.rgb2hsv(clip)
        hsv[..., 1] = np.clip(hsv[..., 1] * factor, 0, 1)
        np.testing.assert_allclose(out, color.hsv2rgb(hsv), atol=1e-4)
    for delta in (-0.2, 0.15):
        out = clip.copy()
        adjust_hue(out, delta)
        hsv = color.rgb2hsv(clip)
        hsv[..., 0] = np.mod(hsv[..., 0] + delta, 1.0)
        np.testing.assert_allclose(out, color.hsv2rgb(hsv), atol=1e-4)


def test_jitter_order_and_ranges_are_drawn_per_view():
    jitter = MultiViewColorJitter(prob=1.0, strength=0.5)
    orders = set()
    np.random.seed(0)
    for _ in range(40):
        out = jitter(
            dict(imgs=np.random.rand(2, 2, 8, 8, 3).astype(np.float32)))
        for params in out['color_jitter']:
            orders.add(tuple(params['order']))
            for name in ('brightness', 'contrast', 'saturation'):
                assert 0.6 <= params[name] <= 1.4  # 1 -+ 0.8 * 0.5
            assert -0.1 <= params['hue'] <= 0.1
    assert len(orders) > 5


def test_grayscale_uses_tf_weights():
    np.random.seed(0)
    imgs = np.random.rand(2, 3, 8, 8, 3).astype(np.float32)
    out = MultiViewGrayscale(prob=(1.0, 0.0))(dict(imgs=imgs.copy()))
    assert out['grayscale'].tolist() == [True, False]
    expected = imgs[0] @ GRAY_WEIGHTS
    for c in range(3):
        np.testing.assert_allclose(out['imgs'][0, ..., c], expected, rtol=1e-6)
    np.testing.assert_array_equal(out['imgs'][1], imgs[1])


def test_blur_matches_zero_padded_separable_gaussian():
    results = decoded_sample(*DEMO_MP4, clip_len=2)
    imgs = results['imgs'][:, :, :48, :48].astype(np.float32) / 255
    np.random.seed(1)
    out = MultiViewGaussianBlur(
        prob=1.0, kernel_size=23)(
            dict(imgs=imgs.copy()))
    for v in range(2):
        kernel = gaussian_kernel1d(23, out['blur_sigma'][v]).astype(np.float64)
        for t in range(2):
            ref = ndimage.convolve1d(
                imgs[v, t].astype(np.float64), kernel, axis=0, mode='constant')
            ref = ndimage.convolve1d(ref, kernel, axis=1, mode='constant')
            np.testing.assert_allclose(out['imgs'][v, t], ref, atol=1e-5)
    assert out['blur_sigma'][0] != out['blur_sigma'][1]
    # Zero padding darkens the border of a flat image.
    flat = MultiViewGaussianBlur(
        prob=1.0, sigma_range=(2.0, 2.0))(
            dict(imgs=np.ones((1, 1, 32, 32, 3), np.float32)))['imgs'][0, 0]
    assert flat[16, 16, 0] == pytest.approx(1.0, abs=1e-5)
    inside = gaussian_kernel1d(23, 2.0)[11:].sum()  # taps within the image
    assert flat[0, 0, 0] == pytest.approx(inside**2, abs=1e-5)
    assert flat[0, 0, 0] < 0.4


def test_blur_and_solarisation_asymmetry_between_views():
    blur = MultiViewGaussianBlur()  # (1.0, 0.1)
    solar = MultiViewSolarize()  # (0.0, 0.2)
    np.random.seed(2)
    blurred = np.zeros(2)
    solarised = np.zeros(2)
    n = 600
    for _ in range(n):
        imgs = np.full((2, 1, 4, 4, 3), 0.75, np.float32)
        out = solar(blur(dict(imgs=imgs)))
        blurred += out['blur_sigma'] > 0
        solarised += out['solarized']
    assert blurred[0] == n  # view 1: always
    assert 0.06 * n < blurred[1] < 0.14 * n  # view 2: p = 0.1
    assert solarised[0] == 0  # view 1: never
    assert 0.15 * n < solarised[1] < 0.25 * n  # view 2: p = 0.2
    out = MultiViewSolarize(prob=1.0)(
        dict(
            imgs=np.array([0.2, 0.5, 0.9], np.float32).reshape(1, 1, 1, 1, 3)))
    np.testing.assert_allclose(out['imgs'].ravel(), [0.2, 0.5, 0.1], atol=1e-6)


def test_tf_crop_sampler_ranges():
    np.random.seed(4)
    areas, aspects = [], []
    for _ in range(2000):
        x1, y1, x2, y2 = sample_distorted_crop(256, 340)
        assert 0 <= x1 < x2 <= 340 and 0 <= y1 < y2 <= 256
        w, h = x2 - x1, y2 - y1
        areas.append(w * h / (256 * 340))
        aspects.append(w / h)
    areas, aspects = np.array(areas), np.array(aspects)
    assert areas.min() >= 0.3 - 1e-3 and areas.max() <= 1.0
    assert aspects.min() >= 0.5 - 0.02 and aspects.max() <= 2.0 + 0.02
    assert areas.mean() < 0.8 and aspects.std() > 0.2
    # Impossible constraints fall back to the whole frame.
    assert sample_distorted_crop(
        100, 100, area_range=(0.9, 1.0),
        aspect_ratio_range=(5.0, 6.0)) == (0, 0, 100, 100)


def test_pack_rounds_and_lays_out_views():
    np.random.seed(0)
    imgs = np.random.rand(2, 3, 5, 6, 3).astype(np.float32)
    imgs[0, 0, 0, 0] = (-0.2, 1.3, 0.5 / 255)  # saturated, and a .5 tie
    results = dict(
        imgs=imgs.copy(),
        boxes=np.tile(np.array([0, 0, 1, 1], np.float32), (2, 4, 1)),
        box_valid=np.ones((2, 4), bool),
        clip_starts=np.array([4, 0]),
        flip=np.array([True, False]),
        keyframe_index=1,
        filename='v.mp4')
    out = PackConSTCLInputs()(results)
    inputs = out['inputs']
    assert inputs.shape == (2, 3, 3, 5, 6) and inputs.dtype.is_floating_point \
        is False
    expected = np.clip(np.rint(imgs * 255), 0,
                       255).astype(np.uint8).transpose(0, 4, 1, 2, 3)
    np.testing.assert_array_equal(inputs.numpy(), expected)
    meta = out['data_samples'].metainfo
    assert meta['keyframe_index'] == 1 and meta['num_boxes'] == 4
    assert meta['filename'] == 'v.mp4'
    with pytest.raises(KeyError, match='boxes'):
        PackConSTCLInputs()(dict(imgs=imgs, clip_starts=np.zeros(2)))


def test_bad_configuration_is_named():
    with pytest.raises(ValueError, match='MultiViewGaussianBlur.prob'):
        MultiViewGaussianBlur(prob=(1.0, 1.5))
    blur = MultiViewGaussianBlur(prob=(1.0, 0.1, 0.1))
    with pytest.raises(ValueError, match='3 per-view.*2 views'):
        blur(dict(imgs=np.zeros((2, 1, 4, 4, 3), np.float32)))
    with pytest.raises(ValueError, match='kernel_size'):
        MultiViewGaussianBlur(kernel_size=4)
    with pytest.raises(ValueError, match='area_range'):
        MultiViewRandomResizedCrop(area_range=(0.5, 1.5))
    with pytest.raises(ValueError, match='imgs'):
        MultiViewFlip()(dict(imgs=np.zeros((4, 4, 3))))
    with pytest.raises(ValueError, match='already cropped'):
        Compose([dict(type='MultiViewRandomResizedCrop', scale=8)] * 2)(
            dict(imgs=np.zeros((2, 1, 16, 16, 3), np.uint8)))
