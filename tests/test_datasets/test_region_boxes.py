# Copyright (c) constcl_mm authors. All rights reserved.
"""Region boxes: inside the final crop and mapped under flip, every type."""
import json
import pickle

import numpy as np
import pytest
from helpers.data import TEST_MP4, decoded_sample, run
from skimage.segmentation import felzenszwalb

from constcl_mm.datasets.transforms import (GenerateRegionBoxes,
                                            ProposalRegionBoxes,
                                            RandomRegionBoxes, SLICRegionBoxes,
                                            boxes_from_segments, mirror_boxes)

SIZE = 96


def geometry(flip_ratio, boxes):
    return [
        dict(type='MultiViewRandomResizedCrop', scale=SIZE),
        dict(type='MultiViewFlip', flip_ratio=flip_ratio),
        boxes,
    ]


def run_both_flips(sample, boxes, seed):
    """Same crop, once unflipped and once flipped."""
    outs = []
    for ratio in (0.0, 1.0):
        np.random.seed(seed)
        outs.append(
            run(
                geometry(ratio, boxes),
                dict(sample, imgs=sample['imgs'].copy())))
    np.testing.assert_array_equal(outs[0]['crop_bboxes'],
                                  outs[1]['crop_bboxes'])
    assert not outs[0]['flip'].any() and outs[1]['flip'].all()
    return outs


def check_inside(boxes, valid):
    good = boxes[valid]
    assert good.size > 0
    assert np.all(good >= 0) and np.all(good <= 1)
    assert np.all(good[:, 0] <= good[:, 2]) and np.all(good[:, 1] <= good[:,
                                                                          3])
    np.testing.assert_array_equal(boxes[~valid],
                                  np.tile([0, 0, 1, 1], ((~valid).sum(), 1)))


@pytest.fixture(scope='module')
def sample():
    np.random.seed(0)
    return decoded_sample(*TEST_MP4, clip_len=4)


def paint(sample, rect, value=(0, 255, 0)):
    """Paints a uniform rectangle ``[x1, y1, x2, y2]`` (px) on every frame."""
    imgs = sample['imgs'].copy()
    x1, y1, x2, y2 = rect
    imgs[:, :, y1:y2, x1:x2] = value
    return dict(sample, imgs=imgs)


# ---------------------------------------------------------------- random
def test_random_boxes_independent_draws():
    np.random.seed(0)
    gen = RandomRegionBoxes()
    boxes = gen.draw(20000)
    assert boxes.shape == (20000, 4)
    check_inside(boxes, np.ones(20000, bool))
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    assert w.max() < 0.5 and h.max() < 1.0
    unclipped = (boxes[:, 2] < 0.999) & (boxes[:, 3] < 0.999)
    assert w[unclipped].min() >= 0.1
    ratio = h[unclipped] / w[unclipped]
    assert ratio.min() >= 0.5 - 1e-4 and ratio.max() <= 2.0 + 1e-4
    assert abs(np.corrcoef(boxes[:, 0], boxes[:, 1])[0, 1]) < 0.05
    # official_implementation.md §4: with truly independent draws mean w =
    # 0.248, h = 0.284
    assert w.mean() == pytest.approx(0.248, abs=0.01)
    assert h.mean() == pytest.approx(0.284, abs=0.01)


def test_random_boxes_diagonal_artifact():
    np.random.seed(1)
    boxes = RandomRegionBoxes(diagonal_artifact=True).draw(20000)
    check_inside(boxes, np.ones(20000, bool))
    u = boxes[:, 0]
    np.testing.assert_array_equal(boxes[:, 0], boxes[:, 1])  # on the diagonal
    width = 0.1 + 0.4 * u
    np.testing.assert_allclose(
        boxes[:, 2], np.minimum(u + width, 0.999), atol=1e-6)
    np.testing.assert_allclose(
        boxes[:, 3], np.minimum(u + width * (0.5 + 1.5 * u), 0.999), atol=1e-6)
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    # official_implementation.md §4, "as executed": mean w = 0.210, mean h =
    # 0.214
    assert w.mean() == pytest.approx(0.210, abs=0.01)
    assert h.mean() == pytest.approx(0.214, abs=0.01)


def test_random_boxes_are_drawn_in_the_final_crop(sample):
    box_cfg = dict(type='GenerateRegionBoxes', box_type='random')
    plain, flipped = run_both_flips(sample, box_cfg, seed=3)
    # Drawn after the flip, in final coordinates: no mapping, same draws.
    np.testing.assert_array_equal(plain['boxes'], flipped['boxes'])
    check_inside(plain['boxes'], plain['box_valid'])
    assert plain['boxes'].shape == (2, 8, 4) and plain['box_valid'].all()
    assert not np.allclose(plain['boxes'][0], plain['boxes'][1])


# --------------------------------------------------------------- segments
@pytest.mark.parametrize('box_type', ['slic', 'felzenszwalb'])
def test_segment_boxes_inside_and_mirrored_under_flip(sample, box_type):
    box_cfg = dict(type='GenerateRegionBoxes', box_type=box_type)
    plain, flipped = run_both_flips(sample, box_cfg, seed=4)
    for out in (plain, flipped):
        assert out['boxes'].shape == (2, 16, 4)
        check_inside(out['boxes'], out['box_valid'])
        assert out['box_valid'].sum(1).min() >= 8
    np.testing.assert_array_equal(plain['box_valid'], flipped['box_valid'])
    np.testing.assert_allclose(
        flipped['boxes'], mirror_boxes(plain['boxes']), atol=1e-6)
    # Each box bounds a segment of the keyframe the view shows.
    gen = GenerateRegionBoxes(box_type=box_type).generator
    keyframe = plain['imgs'][0, plain['keyframe_index']]
    labels = gen.segment(keyframe.astype(np.float32) / 255)
    expected = boxes_from_segments(labels)[:16]
    np.testing.assert_allclose(plain['boxes'][0, :len(expected)], expected)


def test_felzenszwalb_box_follows_a_painted_object_under_flip(sample):
    painted = paint(sample, (100, 60, 220, 180))
    checked = 0
    for seed in range(3):
        np.random.seed(seed)
        crop_out = run(
            geometry(0.0, dict(type='RandomRegionBoxes')),
            dict(painted, imgs=painted['imgs'].copy()))
        for ratio in (0.0, 1.0):
            np.random.seed(seed)
            out = run(
                geometry(ratio,
                         dict(type='FelzenszwalbRegionBoxes', num_boxes=64)),
                dict(painted, imgs=painted['imgs'].copy()))
            for v in range(2):
                x1, y1, x2, y2 = crop_out['crop_bboxes'][v]
                sx, sy = SIZE / (x2 - x1), SIZE / (y2 - y1)
                rect = np.array([(100 - x1) * sx, (60 - y1) * sy,
                                 (220 - x1) * sx, (180 - y1) * sy]) / SIZE
                rect = np.clip(rect, 0, 1)
                if rect[2] - rect[0] < 0.2 or rect[3] - rect[1] < 0.2:
                    continue  # the crop misses most of the object
                if out['flip'][v]:
                    rect = mirror_boxes(rect)
                boxes = out['boxes'][v][out['box_valid'][v]]
                err = np.abs(boxes - rect).max(axis=1).min()
                assert err < 3 / SIZE, (seed, ratio, v, rect, boxes)
                checked += 1
    assert checked >= 6


# --------------------------------------------------------------- proposals
def write_proposals(path, table, fmt):
    if fmt == 'json':
        with open(path, 'w') as f:
            json.dump(
                {
                    video: {
                        str(k): v.tolist()
                        for k, v in frames.items()
                    }
                    for video, frames in table.items()
                }, f)
    else:
        with open(path, 'wb') as f:
            pickle.dump(table, f)


def expected_proposals(props, crop, flip, shape, min_size=0.02):
    """Independent re-derivation of the crop/flip mapping."""
    h, w = shape
    x0, y0, x1, y1 = crop
    out = []
    for x_a, y_a, x_b, y_b, score in props:
        box = np.array([(x_a * w - x0) / (x1 - x0), (y_a * h - y0) / (y1 - y0),
                        (x_b * w - x0) / (x1 - x0),
                        (y_b * h - y0) / (y1 - y0)])
        box = np.clip(box, 0, 1)
        if box[2] - box[0] < min_size or box[3] - box[1] < min_size:
            continue
        if flip:
            box = np.array([1 - box[2], box[1], 1 - box[0], box[3]])
        out.append((score, box))
    out.sort(key=lambda sb: -sb[0])
    return np.array([b for _, b in out]).reshape(-1, 4)


@pytest.mark.parametrize('fmt', ['json', 'pkl'])
def test_proposals_mapped_through_crop_and_flip(sample, tmp_path, fmt):
    rng = np.random.default_rng(0)
    frames = {}
    for k in range(0, 300, 10):  # sparse: one detection pass every 10 frames
        xy = rng.uniform(0, 0.7, (12, 2))
        wh = rng.uniform(0.05, 0.3, (12, 2))
        frames[k] = np.concatenate(
            [xy, xy + wh, rng.uniform(0, 1, (12, 1))], 1).astype(np.float32)
    path = str(tmp_path / f'props.{fmt}')
    write_proposals(path, {'test': frames}, fmt)  # keyed by the file stem
    box_cfg = dict(
        type='GenerateRegionBoxes',
        box_type='proposals',
        proposal_file=path,
        num_boxes=6)
    plain, flipped = run_both_flips(sample, box_cfg, seed=5)
    for out in (plain, flipped):
        check_inside(out['boxes'], out['box_valid'])
        for v in range(2):
            pos = out['frame_inds'][v, out['keyframe_index']]
            nearest = min(frames, key=lambda k: abs(k - pos))
            exp = expected_proposals(frames[nearest], out['crop_bboxes'][v],
                                     out['flip'][v], (256, 340))[:6]
            got = out['boxes'][v][out['box_valid'][v]]
            assert len(got) == len(exp) > 0
            np.testing.assert_allclose(got, exp, atol=1e-5)
    np.testing.assert_allclose(
        flipped['boxes'][flipped['box_valid']],
        mirror_boxes(plain['boxes'][plain['box_valid']]),
        atol=1e-6)


def test_proposal_box_lands_on_the_painted_object(sample, tmp_path):
    rect = (100, 60, 220, 180)
    painted = paint(sample, rect)
    props = np.array([[100 / 340, 60 / 256, 220 / 340, 180 / 256, 1.0]],
                     np.float32)
    path = str(tmp_path / 'props.pkl')
    write_proposals(path, {'test.mp4': {k: props for k in range(300)}}, 'pkl')
    checked = 0
    for seed in range(4):
        np.random.seed(seed)
        out = run(
            geometry(0.5, dict(type='ProposalRegionBoxes',
                               proposal_file=path)),
            dict(painted, imgs=painted['imgs'].copy(), video_key='test.mp4'))
        for v in range(2):
            if not out['box_valid'][v, 0]:
                continue  # the crop missed the object
            x1, y1, x2, y2 = np.round(out['boxes'][v, 0] * SIZE).astype(int)
            inner = out['imgs'][v, out['keyframe_index'], y1 + 2:y2 - 2,
                                x1 + 2:x2 - 2]
            if inner.size:
                # Pure green inside the mapped box, flipped or not.
                assert inner[..., 1].min() > 200 and inner[..., 0].max() < 60
            outer = out['imgs'][v, out['keyframe_index']].astype(int)
            green = (outer[..., 1] > 200) & (outer[..., 0] < 60) & (
                outer[..., 2] < 60)
            ys, xs = np.nonzero(green)
            assert xs.min() >= x1 - 2 and xs.max() <= x2 + 1
            assert ys.min() >= y1 - 2 and ys.max() <= y2 + 1
            checked += 1
    assert checked >= 4


def test_proposals_padding_missing_videos_and_bad_files(sample, tmp_path):
    path = str(tmp_path / 'p.pkl')
    few = np.array([[0.1, 0.1, 0.9, 0.9]], np.float32)  # 4 columns, no score
    write_proposals(path, {'test': {0: few, 150: few}}, 'pkl')
    gen = ProposalRegionBoxes(path, num_boxes=4)
    out = gen(dict(sample, imgs=sample['imgs'].copy()))
    assert out['box_valid'].sum(1).tolist() == [1, 1]
    check_inside(out['boxes'], out['box_valid'])
    other = dict(sample, imgs=sample['imgs'].copy(), filename='other.mp4')
    assert not gen(other)['box_valid'].any()
    assert gen.missing_videos == 1
    with pytest.raises(KeyError, match='other.mp4'):
        ProposalRegionBoxes(path, on_missing='error')(other)
    far = ProposalRegionBoxes(path, max_frame_distance=0)
    kept = far(dict(sample, imgs=sample['imgs'].copy()))['box_valid']
    assert kept.sum() == sum(
        int(sample['frame_inds'][v, 2] in (0, 150)) for v in range(2))
    write_proposals(
        str(tmp_path / 'bad.pkl'), {'test': {
            0: np.zeros((2, 3))
        }}, 'pkl')
    with pytest.raises(ValueError, match=r'bad\.pkl.*\(2, 3\)'):
        ProposalRegionBoxes(str(tmp_path / 'bad.pkl'))(
            dict(sample, imgs=sample['imgs'].copy()))
    with pytest.raises(FileNotFoundError, match='nope.pkl'):
        ProposalRegionBoxes(str(tmp_path / 'nope.pkl'))


def test_switch_and_errors():
    assert isinstance(
        GenerateRegionBoxes(box_type='slic').generator, SLICRegionBoxes)
    assert GenerateRegionBoxes(box_type='slic').generator.num_boxes == 16
    assert GenerateRegionBoxes().generator.num_boxes == 8
    with pytest.raises(ValueError, match='unknown box_type'):
        GenerateRegionBoxes(box_type='edges')
    with pytest.raises(TypeError):
        GenerateRegionBoxes(box_type='slic', diagonal_artifact=True)


def test_boxes_from_segments_edges():
    labels = np.zeros((4, 6), int)
    labels[1:3, 2:6] = 1
    np.testing.assert_allclose(
        boxes_from_segments(labels),
        [[0, 0, 1, 1], [2 / 6, 1 / 4, 1, 3 / 4]])  # largest first
    fh = felzenszwalb(np.zeros((8, 8, 3)), scale=1)
    assert boxes_from_segments(fh).shape == (1, 4)
