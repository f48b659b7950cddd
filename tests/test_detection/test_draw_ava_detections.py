# Copyright (c) constcl_mm authors. All rights reserved.
"""tools/analysis/draw_ava_detections.py on detections in the format of
``tools/test.py --dump`` (checked in test_ava_train_test.py): the AVA fixture
(frames built from a real clip, its csv and label map) and flat frames whose
pixels can be checked."""
import os
import os.path as osp
import pickle
import runpy

import numpy as np
import pytest
import torch
from helpers.detection import (ava_fixture, build_ava_kinetics_tree,
                               make_frame_folders)
from helpers.paths import REPO_ROOT

from constcl_mm.utils.errors import AnnotationError
from constcl_mm.visualization import (GT_COLOR, PRED_COLOR, box_to_pixels,
                                      read_rgb, write_rgb)

TOOL = osp.join(REPO_ROOT, 'tools', 'analysis', 'draw_ava_detections.py')
H, W = 240, 320
GREY = 128


@pytest.fixture(scope='module')
def tool():
    return runpy.run_path(TOOL)


def _scores(n, classes):
    """``(n, 81)`` scores, 0.05 everywhere but ``{column: score}``."""
    scores = np.full((n, 81), 0.05, np.float32)
    for column, score in classes.items():
        scores[:, column] = score
    return scores


def _dump(path, entries):
    """A ``--dump`` pickle: what DumpResults keeps of the AVA data
    samples (``to_dict()``, tensors on the CPU)."""
    results = []
    for key, bboxes, scores in entries:
        video_id, timestamp = key.split(',')
        results.append(
            dict(
                img_key=key,
                video_id=video_id,
                timestamp=int(timestamp),
                img_shape=(64, 85),
                pred_instances=dict(
                    bboxes=torch.tensor(bboxes, dtype=torch.float32),
                    scores=torch.from_numpy(np.asarray(scores)))))
    with open(path, 'wb') as f:
        pickle.dump(results, f)
    return str(path)


@pytest.fixture
def flat(tmp_path):
    """``vidA/img_00061.png`` (keyframe 902 s), a flat grey 320x240."""
    write_rgb(
        str(tmp_path / 'frames' / 'vidA' / 'img_00061.png'),
        np.full((H, W, 3), GREY, np.uint8))
    return tmp_path


def _pixels(box):
    x1, y1, x2, y2 = box
    return box_to_pixels([x1 * W, y1 * H, x2 * W, y2 * H], H, W)


def _side_colours(image, box):
    """Pixels in the middle of the left and right sides of a 3-px outline."""
    left, top, right, bottom = _pixels(box)
    mid = (top + bottom) // 2
    return [
        image[mid, left + 1].astype(int), image[mid, right - 1].astype(int)
    ]


def test_boxes_above_threshold_drawn_below_not(tool, flat):
    drawn_box = [0.1, 0.4, 0.4, 0.9]
    weak_box = [0.6, 0.4, 0.9, 0.9]  # best action 0.25 < 0.3
    gt_box = [0.45, 0.05, 0.55, 0.3]
    det = _dump(flat / 'det.pkl', [('vidA,0902', [
        drawn_box, weak_box
    ], np.concatenate([_scores(1, {
        12: 0.9,
        17: 0.6
    }), _scores(1, {12: 0.25})]))])
    (flat / 'gt.csv').write_text(
        'vidA,0902,{},{},{},{},12,0\nvidA,0902,{},{},{},{},17,0\n'.format(
            *gt_box, *gt_box))
    out = flat / 'vis'
    tool['main']([
        det,
        str(flat / 'frames'),
        ava_fixture('action_list.txt'),
        str(out), '--filename-tmpl', 'img_{:05d}.png', '--gt',
        str(flat / 'gt.csv'), '--thickness', '3', '--jpeg-quality', '100'
    ])
    assert os.listdir(out) == ['vidA_0902.jpg']
    image = read_rgb(str(out / 'vidA_0902.jpg'))
    for pixel in _side_colours(image, drawn_box):
        assert np.abs(pixel - PRED_COLOR).max() < 60, pixel
    for pixel in _side_colours(image, gt_box):
        assert np.abs(pixel - GT_COLOR).max() < 60, pixel
    # the weak detection is not drawn: its outline, inside and the space
    # above it (where its label would be) are still the flat frame
    left, top, right, bottom = _pixels(weak_box)
    region = image[top - 30:bottom + 1, left:right + 1].astype(int)
    assert np.abs(region - GREY).max() < 8
    # the drawn box's label: red block just above it, inside the frame
    left, top, right, _ = _pixels(drawn_box)
    above = image[:top, left:right + 1].astype(int)
    red = (np.abs(above - PRED_COLOR).max(-1) < 60)
    assert red.sum() > 200 and red.nonzero()[0].max() >= top - 5


def test_top_k_and_label_lines(tool):
    names = {12: 'talk', 17: 'stand', 79: 'watch', 80: 'listen'}
    scores = _scores(1, {12: 0.5, 17: 0.9, 79: 0.7, 80: 0.1})[0]
    assert tool['box_lines']('k', scores, names, 'map', 0.3, 2) == \
        'stand 0.90\nwatch 0.70'
    assert tool['box_lines']('k', scores, names, 'map', 0.3, 5) == \
        'stand 0.90\nwatch 0.70\ntalk 0.50'
    assert tool['box_lines']('k', scores, names, 'map', 0.95, 3) == ''
    # custom_classes: column 1 is action 79
    assert tool['box_lines']('k', np.array([0., 0.8, 0.1]), names, 'map', 0.3,
                             3, [79, 80]) == 'watch 0.80'


def test_unknown_label_id_raises_unless_skipped(tool, flat):
    det = _dump(flat / 'det.pkl', [
        ('vidA,0902', [[0.1, 0.1, 0.5, 0.5]], _scores(1, {
            3: 0.8,
            12: 0.6
        }))
    ])
    labels = ava_fixture('action_list.txt')
    args = [
        det,
        str(flat / 'frames'), labels,
        str(flat / 'vis'), '--filename-tmpl', 'img_{:05d}.png'
    ]
    with pytest.raises(ValueError, match=rf'action id 3 .* {labels}'):
        tool['main'](args)
    tool['main'](args + ['--skip-unknown'])
    assert os.listdir(flat / 'vis') == ['vidA_0902.jpg']


def test_missing_frame_is_named(tool, flat):
    det = _dump(flat / 'det.pkl',
                [('vidA,0910', [[0.1, 0.1, 0.5, 0.5]], _scores(1, {12: 0.8}))])
    expected = osp.join(str(flat / 'frames'), 'vidA', 'img_00301.png')
    with pytest.raises(FileNotFoundError, match=expected):
        tool['main']([
            det,
            str(flat / 'frames'),
            ava_fixture('action_list.txt'),
            str(flat / 'vis'), '--filename-tmpl', 'img_{:05d}.png'
        ])
    with pytest.raises(FileNotFoundError, match='vidB'):
        tool['main']([
            _dump(flat / 'det2.pkl', [
                ('vidB,0902', [[0.1, 0.1, 0.5, 0.5]], _scores(1, {12: 0.8}))
            ]),
            str(flat / 'frames'),
            ava_fixture('action_list.txt'),
            str(flat / 'vis')
        ])


def test_label_map_formats(tool, tmp_path):
    assert tool['read_label_map'](ava_fixture('action_list.txt')) == {
        12: 'action1',
        17: 'action2',
        79: 'action3',
        80: 'action3'
    }
    plain = tmp_path / 'label_map.txt'
    plain.write_text('1: bend/bow (at the waist)\n\n12: stand\n')
    assert tool['read_label_map'](str(plain)) == {
        1: 'bend/bow (at the waist)',
        12: 'stand'
    }
    plain.write_text('1: bend\nstand\n')
    with pytest.raises(AnnotationError, match=rf'{plain}:2'):
        tool['read_label_map'](str(plain))


def test_bad_detections_file(tool, tmp_path):
    with open(tmp_path / 'bad.pkl', 'wb') as f:
        pickle.dump([dict(img_key='a,0902')], f)
    with pytest.raises(ValueError, match='bad.pkl, entry 0'):
        tool['load_detections'](str(tmp_path / 'bad.pkl'))
    pixels = _dump(tmp_path / 'px.pkl',
                   [('a,0902', [[10., 20., 50., 60.]], _scores(1, {}))])
    with pytest.raises(ValueError, match='not normalised'):
        tool['load_detections'](pixels)


def test_ava_fixture_keyframes(tool, tmp_path, real_frames_dir):
    """The fixture's three keyframes on frames of a real clip, with its
    ground truth and its person detections as the boxes."""
    root = tmp_path / 'rawframes'
    make_frame_folders(
        str(root), ['0f39OWEqJ24', '_-Z6wFjXtGQ'], real_frames_dir)
    with open(ava_fixture('ava_proposals_sample.pkl'), 'rb') as f:
        proposals = pickle.load(f)
    det = _dump(tmp_path / 'det.pkl',
                [(key, boxes[:, :4], _scores(len(boxes), {12: 0.9}))
                 for key, boxes in sorted(proposals.items())])
    out = tmp_path / 'vis'
    tool['main']([
        det,
        str(root),
        ava_fixture('action_list.txt'),
        str(out), '--gt',
        ava_fixture('ava_sample.csv')
    ])
    assert sorted(os.listdir(out)) == [
        '0f39OWEqJ24_0902.jpg', '0f39OWEqJ24_0903.jpg', '_-Z6wFjXtGQ_0902.jpg'
    ]
    # keyframe 902 s is frame (902 - 900) * 30 + 1 = 61; 903 s is frame 91
    for name, frame in (('0f39OWEqJ24_0902.jpg', 61), ('0f39OWEqJ24_0903.jpg',
                                                       91)):
        drawn = read_rgb(str(out / name))
        src = read_rgb(str(root / '0f39OWEqJ24' / f'img_{frame:05d}.jpg'))
        other = read_rgb(
            str(root / '0f39OWEqJ24' / f'img_{frame + 15:05d}.jpg'))
        assert drawn.shape == src.shape
        # pixels untouched by boxes and labels match this frame, not another
        same = np.abs(drawn.astype(int) - src).max(-1) < 25
        assert same.mean() > 0.3
        assert (np.abs(drawn.astype(int) - src)[same].mean()
                < np.abs(drawn.astype(int) - other)[same].mean())


def test_ava_kinetics_keyframes_are_located_as_the_dataset(
        tool, tmp_path, real_frames_dir):
    """AVA movie folders, Kinetics clip folders found from a YouTube id and
    a fractional time, clip-name ids (clamped to the clip's 120 frames as
    MixedAVAKineticsDataset does)."""
    root = build_ava_kinetics_tree(tmp_path, real_frames_dir)
    locate = tool['KeyframeLocator'](str(root / 'ava'), str(root / 'kinetics'),
                                     900, 30, 'img_{:05d}.jpg')
    assert locate('ava_movie01,0902') == str(root / 'ava' / 'ava_movie01' /
                                             'img_00061.jpg')
    # 12.5 s in the clip 10-20 s: frame (12.5 - 10) * 30 + 1 = 76
    assert locate('kin_video_01,12.500000') == str(
        root / 'kinetics' / 'kin_video_01_000010_000020' / 'img_00076.jpg')
    assert locate('kin_video_04_000000_000010,0005') == str(
        root / 'kinetics' / 'kin_video_04_000000_000010' / 'img_00120.jpg')
    with pytest.raises(FileNotFoundError, match='kin_video_02'):
        locate('kin_video_02,3.250000')
