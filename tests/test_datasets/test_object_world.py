# Copyright (c) constcl_mm authors. All rights reserved.
"""The object world of the second learning proof: labels, ground truth,
frame cache and the ground-truth box transform."""
import numpy as np
import pytest

from constcl_mm.datasets.object_world import (MOTIONS, SHAPES, TEXTURES,
                                              ObjectWorld, category_index)
from constcl_mm.datasets.synthetic_world import build_world
from constcl_mm.datasets.transforms import WorldObjectBoxes, boxes_in_view
from constcl_mm.datasets.world_frame_cache import (load_or_render_cache,
                                                   world_cache_path)

WORLD = dict(
    type='objects',
    seed=3,
    num_frames=24,
    frame_size=(48, 48),
    num_objects=(1, 3))


def test_build_world_dispatches_and_refuses_unknown_types():
    assert isinstance(build_world(WORLD), ObjectWorld)
    with pytest.raises(ValueError, match="unknown world type 'cubes'"):
        build_world(dict(type='cubes'))
    with pytest.raises(ValueError, match='unknown object-world settings'):
        build_world(dict(type='objects', colour=1))


def test_videos_are_deterministic_and_worlds_differ():
    world = build_world(WORLD)
    a = world.video(5).render([0, 7])[0]
    assert np.array_equal(a, world.video(5).render([0, 7])[0])
    other = build_world(dict(WORLD, seed=4)).video(5).render([0, 7])[0]
    assert not np.array_equal(a, other)


def test_labels_follow_the_design():
    world = build_world(WORLD)
    scenes = set()
    for index in range(40):
        video = world.video(index)
        scenes.add(video.label)
        assert 1 <= video.num_objects <= 3
        for obj, cat, motion in zip(video.objects, video.categories,
                                    video.motions):
            # every object of a video has the scene's shape family
            assert obj.shape == video.label
            assert cat == category_index(obj.shape, obj.texture)
            assert 0 <= cat < len(SHAPES) * len(TEXTURES)
            assert 0 <= motion < len(MOTIONS)
            assert 0.25 <= obj.size0 <= 0.45
        assert video.hero_index == int(
            np.argmax([o.size0 for o in video.objects]))
    assert scenes == set(range(len(SHAPES)))
    assert world.category_classes[category_index(3, 1)] == 'cross-stripes'


def test_the_scene_is_not_a_colour_statistic():
    """A nearest-class-mean rule on the mean colour of the first frame is
    near chance (1/4) on held-out videos: colours are drawn independently
    of the scene."""
    world = build_world(dict(WORLD, num_frames=2))
    feats, labels = [], []
    for index in range(240):
        video = world.video(index)
        feats.append(video.render([0])[0][0].reshape(-1, 3).mean(0))
        labels.append(video.label)
    feats, labels = np.array(feats), np.array(labels)
    train, test = slice(0, 160), slice(160, None)
    means = np.stack(
        [feats[train][labels[train] == c].mean(0) for c in range(4)])
    pred = np.argmin(((feats[test][:, None] - means[None])**2).sum(-1), axis=1)
    assert (pred == labels[test]).mean() < 0.4


def test_masks_boxes_and_visibility_agree():
    world = build_world(WORLD)
    video = world.video(2)
    frames, boxes, vis, masks = video.render(range(0, 24, 5), with_masks=True)
    assert frames.dtype == np.uint8 and masks.dtype == np.int64
    assert masks.max() <= video.num_objects
    for k, t in enumerate(range(0, 24, 5)):
        gt_boxes, gt_vis = video.ground_truth(t)
        np.testing.assert_allclose(gt_boxes, boxes[k])
        np.testing.assert_allclose(gt_vis, vis[k], atol=1e-6)
        for m in range(video.num_objects):
            ys, xs = np.nonzero(masks[k] == m + 1)
            if len(xs):  # the visible pixels lie inside the box
                x1, y1, x2, y2 = boxes[k, m]
                assert xs.min() >= np.floor(x1) - 1
                assert xs.max() <= np.ceil(x2) + 1
                assert ys.min() >= np.floor(y1) - 1
                assert ys.max() <= np.ceil(y2) + 1
    assert ((vis >= 0) & (vis <= 1)).all()


def test_motion_classes_move_as_named():
    world = build_world(dict(WORLD, num_frames=48))
    seen = set()
    for index in range(60):
        for obj in world.video(index).objects:
            name = MOTIONS[obj.motion]
            c0, s0, a0 = obj.pose(0)
            c1, s1, a1 = obj.pose(12)
            moved = np.abs(c1 - c0).max()
            if name == 'translate':
                assert moved > 0.02 and s1 == s0 and a1 == a0
            elif name == 'rotate':
                assert moved == 0 and s1 == s0 and abs(a1 - a0) >= 60
            elif name == 'scale':
                assert moved == 0 and a1 == a0
            else:  # bounce: vertical only
                assert c1[0] == c0[0] and s1 == s0 and a1 == a0
            seen.add(name)
    assert seen == set(MOTIONS)


def test_frame_cache_holds_the_rendered_frames(tmp_path):
    world = build_world(WORLD)
    frames = load_or_render_cache(world, 4, 3, str(tmp_path))
    assert frames.shape == (3, 24, 48, 48, 3)
    np.testing.assert_array_equal(frames[1],
                                  world.video(5).render(range(24))[0])
    # another world or range is another file
    assert world_cache_path(str(tmp_path), world.config(), 4, 3) != \
        world_cache_path(str(tmp_path), world.config(), 5, 3)
    path = world_cache_path(str(tmp_path), world.config(), 4, 3)
    np.save(path, np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match='delete it'):
        load_or_render_cache(world, 4, 3, str(tmp_path))


def _results(index, crop=None, flip=None):
    return dict(
        imgs=np.zeros((2, 8, 48, 48, 3), np.uint8),
        frame_inds=np.stack([np.arange(8), np.arange(8) + 4]),
        original_shape=(48, 48),
        video_index=index,
        crop_bboxes=crop,
        flip=flip)


def test_world_object_boxes_map_the_ground_truth_into_each_view():
    world = build_world(WORLD)
    transform = WorldObjectBoxes(
        world=WORLD, num_boxes=4, min_size=0.0, min_visibility=0.0)
    out = transform(_results(7))
    video = world.video(7)
    boxes, _ = video.ground_truth(4)  # view 0, keyframe 4 of the clip
    n = video.num_objects
    np.testing.assert_allclose(
        out['boxes'][0, :n], np.clip(boxes / 48, 0, 1), atol=1e-6)
    assert out['box_valid'][0].sum() == n
    assert list(out['box_categories'][0, :n]) == video.categories
    assert list(out['box_motions'][0, :n]) == video.motions
    assert (out['box_categories'][0, n:] == -1).all()
    # a crop of the right half, flipped: x is mirrored inside the crop
    crop = np.array([[24, 0, 48, 48], [0, 0, 48, 48]], np.float32)
    flipped = transform(_results(7, crop, np.array([True, False])))
    res = dict(
        original_shape=(48, 48),
        crop_bboxes=crop,
        flip=np.array([True, False]))
    expected = boxes_in_view(boxes, res, 0)
    keep = flipped['box_valid'][0]
    assert keep.sum() >= 1
    mapped = np.clip((boxes - [24, 0, 24, 0]) / [24, 48, 24, 48], 0, 1)
    np.testing.assert_allclose(
        expected[:, [0, 2]], 1 - mapped[:, [2, 0]], atol=1e-6)


def test_world_object_boxes_needs_the_object_world():
    with pytest.raises(ValueError, match="world type='objects'"):
        WorldObjectBoxes(world=dict(seed=0))


def _assert_same_draws(a, b) -> None:
    """Two videos of one index share labels, motions and background."""
    assert (a.label, a.categories, a.motions) == (b.label, b.categories,
                                                  b.motions)
    assert np.array_equal(a.background, b.background)


def test_shape_variation_gives_each_video_its_own_shape():
    canonical = build_world(WORLD)
    varied = build_world(dict(WORLD, shape_variation=0.15))
    assert 'shape_variation' not in canonical.config()  # cache names kept
    assert build_world(varied.config()).config() == varied.config()
    masks = []
    for index in range(6):
        a, b = canonical.video(index), varied.video(index)
        # the same draws otherwise: labels, colours, motions
        _assert_same_draws(a, b)
        assert all(
            np.array_equal(p.texture_rgb, q.texture_rgb)
            for p, q in zip(a.objects, b.objects))
        assert a.profile is None and b.profile is not None
        # every object of a video shares the video's shape (ellipses also
        # draw an aspect ratio per object) ...
        if SHAPES[b.label] != 'ellipse':
            assert all(
                np.array_equal(o.mask, b.objects[0].mask) for o in b.objects)
        masks.append(b.objects[0].mask)
        changed = np.abs(a.objects[0].mask - b.objects[0].mask)
        assert changed.mean() > 0.01, index
    # ... and videos of one family differ from each other
    same = [(i, j) for i in range(6) for j in range(i)
            if varied.video(i).label == varied.video(j).label
            and SHAPES[varied.video(i).label] != 'ellipse']  # ellipses: aspect
    assert same  # the check below compares at least one pair
    for i, j in same:
        assert not np.array_equal(masks[i], masks[j])
    with pytest.raises(ValueError, match='shape_variation'):
        build_world(dict(WORLD, shape_variation=0.5))


def test_fixed_stripes_and_object_size_keep_the_other_draws():
    canonical = build_world(WORLD)
    varied = build_world(
        dict(WORLD, fixed_stripes=True, object_size=(0.35, 0.55)))
    assert not {'fixed_stripes', 'object_size'} & set(canonical.config())
    assert build_world(varied.config()).config() == varied.config()
    patterns = []
    for index in range(8):
        a, b = canonical.video(index), varied.video(index)
        _assert_same_draws(a, b)
        for p, q in zip(a.objects, b.objects):
            assert np.array_equal(p.mask, q.mask)
            assert 0.35 <= q.size0 <= 0.55
            # the colours are drawn as before
            assert np.array_equal(
                np.unique(p.texture_rgb.reshape(-1, 3), axis=0),
                np.unique(q.texture_rgb.reshape(-1, 3), axis=0))
            if TEXTURES[q.texture] == 'stripes':
                # where the patch takes its first colour: one pattern for all
                patterns.append(
                    np.all(q.texture_rgb == q.texture_rgb[0, 0], axis=-1))
    assert len(patterns) >= 2
    assert all(np.array_equal(p, patterns[0]) for p in patterns)
    for bad in ((0.05, 0.3), (0.5, 0.4), (0.3, 0.7)):
        with pytest.raises(ValueError, match='object_size'):
            build_world(dict(WORLD, object_size=bad))
