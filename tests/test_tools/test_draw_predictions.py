# Copyright (c) constcl_mm authors. All rights reserved.
"""constcl_mm.visualization and tools/analysis/draw_tracking_results.py (on
the generated OTB sequence Crossing, with results written by SOTMetric).

The AVA tool is tested in tests/test_detection/test_draw_ava_detections.py
(it needs the detection fixtures).
"""
import os
import os.path as osp
import runpy

import numpy as np
import pytest
from helpers.otb import HEIGHT, NUM_FRAMES, WIDTH, crossing_dir
from helpers.paths import REPO_ROOT

from constcl_mm.datasets import OTB100Dataset
from constcl_mm.evaluation.metrics.sot_metric import SOTMetric
from constcl_mm.visualization import (GT_COLOR, PRED_COLOR, box_to_pixels,
                                      draw_boxes, draw_text, evenly_spaced,
                                      make_montage, read_rgb, write_rgb)

TOOL = osp.join(REPO_ROOT, 'tools', 'analysis', 'draw_tracking_results.py')
RED = np.array(PRED_COLOR, np.uint8)
GREEN = np.array(GT_COLOR, np.uint8)


def _image(h=60, w=80, seed=0):
    return np.random.RandomState(seed).randint(30, 220,
                                               (h, w, 3)).astype(np.uint8)


def _outline_mask(h, w, left, top, right, bottom, t):
    """Pixels of a ``t``-wide outline inside the inclusive pixel box."""
    mask = np.zeros((h, w), bool)
    mask[top:bottom + 1, left:right + 1] = True
    mask[top + t:bottom + 1 - t, left + t:right + 1 - t] = False
    return mask


# ----------------------------------------------------------------------
# drawing helpers
# ----------------------------------------------------------------------
def test_box_outline_is_drawn_inside_the_box_only():
    image = _image()
    before = image.copy()
    out = draw_boxes(image, np.array([[10., 20., 30., 40.]]), thickness=2)
    np.testing.assert_array_equal(image, before)  # a copy is returned
    # the box covers columns 10-29 and rows 20-39
    mask = _outline_mask(60, 80, 10, 20, 29, 39, 2)
    assert (out[mask] == RED).all()
    np.testing.assert_array_equal(out[~mask], image[~mask])
    assert out.dtype == np.uint8 and out.shape == image.shape


def test_boxes_are_clipped_and_invalid_ones_skipped():
    image = _image(40, 40)
    out = draw_boxes(
        image,
        np.array([[-5., -5., 15., 15.], [50., 50., 60., 60.],
                  [np.nan, 1., 5., 5.], [8., 8., 8., 20.]]),
        color=GT_COLOR,
        thickness=1)
    mask = _outline_mask(40, 40, 0, 0, 14, 14, 1)
    assert (out[mask] == GREEN).all()
    np.testing.assert_array_equal(out[~mask], image[~mask])
    assert box_to_pixels([-5, -5, 15, 15], 40, 40) == (0, 0, 14, 14)
    assert box_to_pixels([50, 50, 60, 60], 40, 40) is None
    assert box_to_pixels([8, 8, 8, 20], 40, 40) is None
    assert box_to_pixels([3.2, 3.2, 3.4, 3.4], 40, 40) == (3, 3, 3, 3)


def test_label_sits_above_the_box_inside_the_frame():
    image = np.full((120, 160, 3), 128, np.uint8)
    box = np.array([[40., 60., 100., 110.]])
    plain = draw_boxes(image, box)
    labelled = draw_boxes(image, box, ['walk 0.87\nstand 0.40'])
    changed = (labelled != plain).any(-1)
    rows, cols = np.nonzero(changed)
    assert len(rows) and rows.max() < 60  # entirely above the box
    assert cols.min() >= 40  # starts at the box's left edge
    # the label background has the box colour
    assert (labelled[changed] == RED).all(-1).mean() > 0.5
    # at the top of the frame the label moves inside it
    top = draw_boxes(image, np.array([[150., 0., 159., 50.]]), ['sit 0.9'])
    assert top.shape == image.shape
    assert (top[:10, 100:150] == RED).all(-1).any()


def test_draw_rejects_bad_input():
    with pytest.raises(ValueError, match='uint8'):
        draw_boxes(np.zeros((10, 10), np.uint8), np.zeros((0, 4)))
    with pytest.raises(ValueError, match='float'):
        draw_boxes(np.zeros((10, 10, 3), np.float32), np.zeros((0, 4)))
    with pytest.raises(ValueError, match=r'\(N, 4\)'):
        draw_boxes(_image(), np.zeros((2, 5)))
    with pytest.raises(ValueError, match='2 labels for 1 boxes'):
        draw_boxes(_image(), np.zeros((1, 4)), ['a', 'b'])
    # no boxes: an unchanged copy
    image = _image()
    np.testing.assert_array_equal(draw_boxes(image, np.zeros((0, 4))), image)


def test_draw_text_fits_in_the_image():
    image = np.zeros((30, 200, 3), np.uint8)
    out = draw_text(image, '#120', (190, 25), color=(255, 255, 255))
    changed = (out != 0).any(-1)
    assert changed.any() and not (image != 0).any()
    assert changed[:, -1].any()  # moved left to fit, not cut off


def test_montage_grid_and_evenly_spaced_frames():
    tiles = [np.full((10, 20, 3), v, np.uint8) for v in (10, 20, 30)]
    grid = make_montage(tiles, cols=2, pad=1, pad_value=255)
    assert grid.shape == (2 * 11 + 1, 2 * 21 + 1, 3)
    assert (grid[1:11, 1:21] == 10).all() and (grid[1:11, 22:42] == 20).all()
    assert (grid[12:22, 1:21] == 30).all()
    assert (grid[12:22, 22:42] == 255).all()  # empty slot
    small = make_montage(tiles, cols=4, tile_size=(8, 4), pad=0)
    assert small.shape == (4, 24, 3)
    with pytest.raises(ValueError):
        make_montage([], cols=2)
    assert evenly_spaced(120, 8) == [0, 17, 34, 51, 68, 85, 102, 119]
    assert evenly_spaced(3, 8) == [0, 1, 2]
    assert evenly_spaced(10, 1) == [0]


def test_image_io_round_trip_and_errors(tmp_path):
    image = _image()
    path = write_rgb(str(tmp_path / 'a' / 'x.png'), image)
    np.testing.assert_array_equal(read_rgb(path), image)
    with pytest.raises(FileNotFoundError, match='nothing.jpg'):
        read_rgb(str(tmp_path / 'nothing.jpg'))
    (tmp_path / 'bad.jpg').write_text('not an image')
    with pytest.raises(ValueError, match='bad.jpg'):
        read_rgb(str(tmp_path / 'bad.jpg'))


# ----------------------------------------------------------------------
# tools/analysis/draw_tracking_results.py
# ----------------------------------------------------------------------
SHIFT = 40.  # px to the right: the prediction does not touch the truth


@pytest.fixture(scope='module')
def tool():
    return runpy.run_path(TOOL)


@pytest.fixture(scope='module')
def otb(tmp_path_factory):
    """``(root, out_dir of SOTMetric, gt 0-based x1y1x2y2, pred)``."""
    root = osp.dirname(crossing_dir())
    dataset = OTB100Dataset(
        targets=['Crossing'],
        num_neighbors=0,
        data_root=root,
        data_prefix=dict(img_path=root))
    gt = dataset.get_data_info(0)['gt_bboxes'].astype(np.float64)
    pred = gt + np.array([SHIFT, 0., SHIFT, 0.])
    out_dir = str(tmp_path_factory.mktemp('sot'))
    # the metric's own dump: results/Crossing.txt, 1-based x,y,w,h
    SOTMetric(out_dir=out_dir)._dump([dict(name='Crossing', pred=pred, gt=gt)],
                                     [
                                         dict(
                                             success=0.,
                                             precision=0.,
                                             norm_precision=0.,
                                             success_curve=np.zeros(21),
                                             precision_curve=np.zeros(51))
                                     ])
    return root, out_dir, gt, pred


def test_tracking_frames_and_montage(tool, otb, tmp_path):
    root, results, gt, pred = otb
    out = tmp_path / 'vis'
    tool['main']([
        root, results,
        str(out), '--interval', '10', '--thickness', '3', '--jpeg-quality',
        '100'
    ])
    names = sorted(os.listdir(out / 'Crossing'))
    assert names == [f'{i:04d}.jpg' for i in range(1, NUM_FRAMES + 1, 10)]
    montage = read_rgb(str(out / 'Crossing_montage.png'))
    assert montage.shape == (2 * (HEIGHT + 2) + 2, 4 * (WIDTH + 2) + 2, 3)

    for i in (0, 50):
        src = read_rgb(osp.join(crossing_dir(), 'img', f'{i + 1:04d}.jpg'))
        drawn = read_rgb(str(out / 'Crossing' / f'{i + 1:04d}.jpg'))
        for box, colour in ((gt[i], GREEN), (pred[i], RED)):
            left, top, right, bottom = box_to_pixels(box, HEIGHT, WIDTH)
            mid = (top + bottom) // 2
            # the middle of each 3-px side has the box colour (JPEG: about)
            for y, x in ((mid, left + 1), (mid, right - 1),
                         (top + 1, (left + right) // 2)):
                assert np.abs(drawn[y, x].astype(int) -
                              colour).max() < 60, (i, box, y, x, drawn[y, x])
        # far from both boxes the frame is the source frame
        x_far = int(min(gt[i, 0], pred[i, 0])) - 40
        assert x_far > 20
        diff = np.abs(drawn[:, :x_far].astype(int) - src[:, :x_far])
        assert diff.mean() < 2 and np.percentile(diff, 99) < 12


def test_tracking_row_count_mismatch_names_the_file(tool, otb, tmp_path):
    root, results, _, _ = otb
    res_dir = tmp_path / 'results'
    res_dir.mkdir()
    rows = open(osp.join(results, 'results', 'Crossing.txt')).readlines()
    (res_dir / 'Crossing.txt').write_text(''.join(rows[:-1]))
    bad = str(res_dir / 'Crossing.txt')
    with pytest.raises(ValueError, match=rf'{bad} has 119 boxes .* 120'):
        tool['main']([root, str(tmp_path), str(tmp_path / 'vis')])
    assert not (tmp_path / 'vis').exists()


def test_tracking_relative_data_root(tool, otb, tmp_path, monkeypatch):
    """A data root relative to the working folder is taken once (it was
    joined to itself: 'syn/otb/syn/otb/...')."""
    root, results, _, _ = otb
    monkeypatch.chdir(osp.dirname(osp.dirname(root)))
    relative = osp.join(osp.basename(osp.dirname(root)), osp.basename(root))
    tool['main']([relative, results, str(tmp_path / 'vis')])
    assert (tmp_path / 'vis' / 'Crossing_montage.png').is_file()


def test_tracking_missing_sequence_folder(tool, otb, tmp_path):
    root, results, _, _ = otb
    with pytest.raises(FileNotFoundError, match=r'Bolt.*does not exist'):
        tool['main']([
            root, results,
            str(tmp_path / 'vis'), '--sequences', 'Crossing', 'Bolt'
        ])
    with pytest.raises(KeyError, match='NotASequence'):
        tool['main']([
            root, results,
            str(tmp_path / 'vis'), '--sequences', 'NotASequence'
        ])


def test_tracking_results_offset_round_trips(tool, otb):
    """The results file read back gives the metric's 0-based boxes."""
    _, results, _, pred = otb
    boxes = tool['pred_boxes'](osp.join(results, 'results', 'Crossing.txt'),
                               len(pred), 1., 'Crossing')
    np.testing.assert_allclose(boxes, pred, atol=1e-3)
    assert tool['parse_args'](['root', 'res', 'out']).bbox_offset == 1.
    # and the drawn red box is at the prediction, not one pixel off
    image = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    drawn = draw_boxes(image, boxes[:1], thickness=1)
    left, top = int(round(pred[0, 0])), int(round(pred[0, 1]))
    assert (drawn[top, left] == RED).all()
    assert not drawn[top - 1, left].any() and not drawn[top, left - 1].any()
