# Copyright (c) constcl_mm authors. All rights reserved.
"""Colour ops on the device: same draws as the CPU transforms, same output
to 1/255."""
import numpy as np
import pytest
import torch
from helpers.data import DEMO_MP4, TEST_MP4
from helpers.paths import data_path
from mmengine.dataset import Compose

from constcl_mm.datasets.transforms import clip_photometric as cpu
from constcl_mm.models.data_preprocessors import ConSTCLDataPreprocessor
from constcl_mm.models.data_preprocessors import batch_photometric as dev


def random_clips(seed, num=3, shape=(4, 20, 24)):
    rng = np.random.RandomState(seed)
    # smooth and saturated regions, grey pixels and exact 0 / 1 values
    clips = rng.rand(num, *shape, 3).astype(np.float32)
    clips[:, :, :5] = clips[:, :, :5, :, :1]  # grey (s = 0)
    clips[:, :, 5:8] = np.round(clips[:, :, 5:8])  # 0 / 1 corners
    return clips


def to_device_layout(clips: np.ndarray) -> torch.Tensor:
    """``(N, T, H, W, C)`` -> ``(N, C, T, H, W)``."""
    return torch.from_numpy(clips.copy()).permute(0, 4, 1, 2, 3).contiguous()


def back(x: torch.Tensor) -> np.ndarray:
    return x.permute(0, 2, 3, 4, 1).numpy()


@pytest.mark.parametrize('name,values', [
    ('brightness', [0.2, 1.0, 1.8]),
    ('contrast', [0.2, 0.93, 1.8]),
    ('saturation', [0.2, 1.37, 1.8]),
    ('hue', [-0.2, 0.05, 0.2]),
])
def test_jitter_ops_match_the_cpu_ops(name, values):
    clips = random_clips(0)
    ref = clips.copy()
    for v, value in enumerate(values):
        cpu._JITTER_OPS[name](ref[v], value)
        np.clip(ref[v], 0.0, 1.0, out=ref[v])
    x = to_device_layout(clips)
    dev._JITTER[name](x, values)
    out = back(x.clamp_(0.0, 1.0))
    np.testing.assert_allclose(out, ref, atol=2e-6)


def test_hsv_round_trip_and_wrapping():
    x = to_device_layout(random_clips(1))
    np.testing.assert_allclose(
        dev.hsv_to_rgb(dev.rgb_to_hsv(x)).numpy(), x.numpy(), atol=2e-6)
    hsv = dev.rgb_to_hsv(x)
    hsv[:, 0] += 360.0  # a full turn changes nothing
    np.testing.assert_allclose(
        dev.hsv_to_rgb(hsv).numpy(), x.numpy(), atol=1e-5)


def test_grayscale_blur_and_solarize_match_the_cpu_ops():
    clips = random_clips(2, shape=(3, 40, 36))
    x = to_device_layout(clips)
    ref = clips.copy()
    cpu.MultiViewGrayscale().apply_params(ref, np.array([True, False, True]))
    dev._grayscale(x, {}, [0, 1, 2], [True, False, True])
    np.testing.assert_allclose(back(x), ref, atol=1e-6)
    sigmas = np.array([0.1, 0.0, 1.93])
    blur = cpu.MultiViewGaussianBlur(kernel_size=23)
    blur.apply_params(ref, sigmas)
    dev._blur(x, dict(kernel_size=23), [0, 1, 2], sigmas.tolist())
    np.testing.assert_allclose(back(x), ref, atol=1e-5)
    solar = cpu.MultiViewSolarize(threshold=0.5)
    solar.apply_params(ref, np.array([False, True, True]))
    dev._solarize(x, dict(threshold=0.5), [0, 1, 2], [False, True, True])
    np.testing.assert_allclose(back(x), ref, atol=1e-5)


def colour_steps(apply_on):
    return [
        dict(type='MultiViewColorJitter', prob=0.8, apply_on=apply_on),
        dict(type='MultiViewGrayscale', prob=0.3, apply_on=apply_on),
        dict(
            type='MultiViewGaussianBlur',
            prob=(1.0, 0.5),
            kernel_size=None,
            apply_on=apply_on),
        dict(type='MultiViewSolarize', prob=(0.3, 0.5), apply_on=apply_on),
    ]


def pipeline(apply_on, size=48):
    return Compose([
        dict(type='VideoReaderInit', backend='pyav_indexed'),
        dict(type='CVRLSampleFrames', clip_len=4, frame_interval=2),
        dict(type='MultiClipDecodeResizedCrop', scale=size),
        dict(type='MultiViewFlip', flip_ratio=0.5),
        dict(type='GenerateRegionBoxes', box_type='random', num_boxes=4),
    ] + colour_steps(apply_on) + [dict(type='PackConSTCLInputs')])


def samples(apply_on, seeds):
    paths = [data_path(*TEST_MP4), data_path(*DEMO_MP4)]
    out = []
    for i, seed in enumerate(seeds):
        np.random.seed(seed)
        out.append(
            pipeline(apply_on)(dict(filename=paths[i % 2], start_index=0)))
    return out


def batch(packed):
    return dict(
        inputs=[p['inputs'] for p in packed],
        data_samples=[p['data_samples'] for p in packed])


def test_deferred_draws_equal_the_cpu_draws():
    """Same seeds, same random numbers: the parameters (and everything the
    geometric steps drew) are those of the CPU transforms."""
    seeds = list(range(40))
    on_cpu, deferred = samples('cpu', seeds), samples('device', seeds)
    chosen = dict(color_jitter=0, grayscale=0, gaussian_blur=0, solarize=0)
    for a, b in zip(on_cpu, deferred):
        assert 'photometric_ops' not in a['data_samples'].metainfo
        ops = b['data_samples'].metainfo['photometric_ops']
        assert [o['type'] for o in ops] == list(chosen)
        np.testing.assert_array_equal(a['data_samples'].boxes.numpy(),
                                      b['data_samples'].boxes.numpy())
        np.testing.assert_array_equal(a['data_samples'].flip.numpy(),
                                      b['data_samples'].flip.numpy())
        assert b['inputs'].dtype == torch.uint8
        chosen['color_jitter'] += sum(p is not None for p in ops[0]['params'])
        chosen['grayscale'] += sum(ops[1]['chosen'])
        chosen['gaussian_blur'] += sum(s > 0 for s in ops[2]['sigma'])
        chosen['solarize'] += sum(ops[3]['chosen'])
    # every op was drawn for some views and not for others
    assert 0 < chosen['color_jitter'] < 80 and 0 < chosen['grayscale'] < 80
    assert 40 < chosen['gaussian_blur'] < 80 and 0 < chosen['solarize'] < 80


def test_device_output_equals_the_cpu_pipeline_to_one_level():
    seeds = list(range(100, 112))
    pre = ConSTCLDataPreprocessor(memory_format='contiguous')
    ref = pre(batch(samples('cpu', seeds)))['inputs']
    out = pre(batch(samples('device', seeds)))['inputs']
    assert out.shape == ref.shape and out.dtype == torch.float32
    levels = ((out - ref).abs() * 127.5).round()
    assert levels.max() <= 1  # 1/255 of the 0..255 range
    assert (levels > 0).float().mean() < 1e-3
    # the channels-last layout gives the same values
    pre_cl = ConSTCLDataPreprocessor()
    out_cl = pre_cl(batch(samples('device', seeds)))['inputs']
    torch.testing.assert_close(out_cl, out, rtol=0, atol=0)


def test_the_preprocessor_refuses_to_drop_deferred_ops():
    deferred = samples('device', [1, 2])
    with pytest.raises(ValueError, match='apply_photometric=False'):
        ConSTCLDataPreprocessor(apply_photometric=False)(batch(deferred))
    mixed = [deferred[0]] + samples('cpu', [3])
    with pytest.raises(ValueError, match='others'):
        ConSTCLDataPreprocessor()(batch(mixed))


def test_cpu_step_after_a_deferred_one_is_refused():
    steps = Compose([
        dict(type='MultiViewGrayscale', prob=1.0, apply_on='device'),
        dict(type='MultiViewSolarize', prob=1.0),
    ])
    with pytest.raises(ValueError, match='same apply_on'):
        steps(dict(imgs=np.zeros((2, 2, 4, 4, 3), np.uint8)))


def test_auto_follows_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert cpu.MultiViewSolarize(apply_on='auto').deferred
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert not cpu.MultiViewSolarize(apply_on='auto').deferred
    with pytest.raises(ValueError, match='apply_on'):
        cpu.MultiViewSolarize(apply_on='gpu')
