# Copyright (c) constcl_mm authors. All rights reserved.
"""CVRL two-clip sampling: shapes, wrap-around and the offset distribution."""
import numpy as np
import pytest
from scipy import stats

from constcl_mm.datasets.transforms import (CVRLSampleFrames, cvrl_offset_cdf,
                                            cvrl_sample_offset)


def sample(total, **kwargs):
    return CVRLSampleFrames(**kwargs)(dict(total_frames=total))


def test_two_clips_of_the_requested_length():
    np.random.seed(0)
    out = sample(300, clip_len=16, frame_interval=2)
    assert out['frame_inds'].shape == (2, 16)
    assert out['frame_inds'].dtype == np.int64
    assert out['keyframe_index'] == 8 and out['num_clips'] == 2
    for clip, start in zip(out['frame_inds'], out['clip_starts']):
        np.testing.assert_array_equal(clip, start + 2 * np.arange(16))
    out = sample(300, clip_len=8, frame_interval=3)
    assert out['frame_inds'].shape == (2, 8)
    assert np.all(np.diff(out['frame_inds'], axis=1) == 3)
    assert out['keyframe_index'] == 4


def test_long_videos_never_wrap_and_offsets_match():
    np.random.seed(1)
    for total in (31, 32, 45, 300):
        for _ in range(200):
            out = sample(total)
            inds = out['frame_inds']
            assert inds.min() >= 0 and inds.max() < total
            np.testing.assert_array_equal(inds[:, 0], out['clip_starts'])
            assert abs(int(np.diff(out['clip_starts'])[0])) == \
                out['clip_offset']
            assert out['clip_offset'] < total - 30


def test_short_videos_wrap_around():
    np.random.seed(2)
    seen_wrap = False
    for _ in range(100):
        out = sample(10, clip_len=16, frame_interval=2)
        inds = out['frame_inds']
        assert inds.shape == (2, 16)
        assert inds.min() >= 0 and inds.max() < 10
        expected = (out['clip_starts'][:, None] + 2 * np.arange(16)) % 10
        np.testing.assert_array_equal(inds, expected)
        seen_wrap |= bool(np.any(np.diff(inds, axis=1) < 0))
    assert seen_wrap


def test_pair_order_is_random():
    np.random.seed(3)
    later_first = sum(
        int(np.diff(sample(300)['clip_starts'])[0] < 0) for _ in range(2000))
    # Binomial(2000, 0.5) minus ties (offset 0): well inside 40%..60%.
    assert 800 < later_first < 1200
    np.random.seed(3)
    ordered = [
        sample(300, random_swap=False)['clip_starts'] for _ in range(300)
    ]
    assert all(s[1] >= s[0] for s in ordered)


def test_binary_search_matches_the_cdf():
    m = 270
    probs = [
        cvrl_offset_cdf(k + 1, m) - cvrl_offset_cdf(k, m) for k in range(m)
    ]
    np.testing.assert_allclose(sum(probs), 1.0, atol=1e-12)
    # The inverse CDF at the bin edges lands in the right bin.
    for k in (0, 1, 50, 200, m - 1):
        lo, hi = cvrl_offset_cdf(k, m), cvrl_offset_cdf(k + 1, m)
        assert cvrl_sample_offset(m, (lo + hi) / 2) == k
    assert cvrl_sample_offset(1, 0.99) == 0


def test_offset_distribution_is_linearly_decreasing():
    """10k draws vs p(d) = cdf(d+1) - cdf(d), cdf(k) = 2k/m - (k/m)^2."""
    np.random.seed(4)
    total, span = 300, 30
    m = total - span
    sampler = CVRLSampleFrames(clip_len=16, frame_interval=2)
    offsets = np.array(
        [int(sampler.sample_starts(total)[2]) for _ in range(10000)])
    assert offsets.min() >= 0 and offsets.max() < m
    # KS test of the jittered offsets against the continuous linear density
    # 2(1 - x) on [0, 1].
    jittered = (offsets + np.random.rand(offsets.size)) / m
    ks = stats.kstest(jittered, lambda x: 2 * x - x**2)
    assert ks.pvalue > 1e-3, ks
    # Chi-square over 10 equal-width bins of the exact discrete law.
    edges = np.linspace(0, m, 11).round().astype(int)
    expected = np.array([
        cvrl_offset_cdf(b, m) - cvrl_offset_cdf(a, m)
        for a, b in zip(edges[:-1], edges[1:])
    ]) * offsets.size
    observed = np.histogram(offsets, bins=edges)[0]
    chi2 = stats.chisquare(observed, expected)
    assert chi2.pvalue > 1e-3, chi2
    # The mean of the linear law is m/3; uniform offsets would give m/2.
    assert abs(offsets.mean() - m / 3) < 3
    # It must be able to fail: a uniform offset is rejected.
    uniform = np.random.randint(0, m, 10000)
    assert stats.kstest((uniform + np.random.rand(10000)) / m,
                        lambda x: 2 * x - x**2).pvalue < 1e-6


def test_start_given_offset_is_uniform():
    np.random.seed(5)
    sampler = CVRLSampleFrames()
    starts = []
    for _ in range(4000):
        s1, _, d = sampler.sample_starts(300)
        if d == 0:
            starts.append(s1)
    # With offset 0 the first start is uniform on [0, 270).
    assert len(starts) > 20
    assert stats.kstest((np.array(starts) + 0.5) / 270,
                        'uniform').pvalue > 1e-3


def test_invalid_arguments():
    with pytest.raises(ValueError, match='clip_len'):
        CVRLSampleFrames(clip_len=0)
    with pytest.raises(ValueError, match='total_frames=0'):
        CVRLSampleFrames()(dict(total_frames=0, filename='x.mp4'))
