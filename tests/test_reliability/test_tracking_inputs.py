# Copyright (c) constcl_mm authors. All rights reserved.
"""OTB / GOT-10k frame and box problems are found at build (issue 13)."""
import cv2
import numpy as np
import pytest

from constcl_mm.datasets import GOT10kPairDataset, OTB100Dataset
from constcl_mm.evaluation.metrics.sot_metric import SOTMetric

BOX = '2,2,4,4\n'


def frames(folder, count, template='%04d.jpg', skip=()):
    folder.mkdir(parents=True)
    img = np.full((16, 16, 3), 128, np.uint8)
    for i in range(1, count + 1):
        if i not in skip:
            cv2.imwrite(str(folder / (template % i)), img)


def otb_root(tmp_path):
    """Good (5 frames), Gap (frame 3 missing), NanBox and EmptyBox."""
    root = tmp_path / 'otb'
    rows = []
    for name, skip, first in (('Good', (), BOX), ('Gap', (3, ), BOX),
                              ('NanBox', (), 'nan,nan,nan,nan\n'),
                              ('EmptyBox', (), '2,2,0,4\n')):
        frames(root / name / 'img', 5, skip=skip)
        (root / name / 'groundtruth_rect.txt').write_text(first + BOX * 4)
        rows.append(f'{name},{name}/img,{name}/groundtruth_rect.txt,1,5,'
                    '%04d.jpg\n')
    info = tmp_path / 'otb_infos.txt'
    info.write_text(''.join(rows))
    return str(root), str(info)


def test_otb_targets_with_missing_frames_or_bad_first_box_are_listed(tmp_path):
    root, info = otb_root(tmp_path)
    dataset = OTB100Dataset(ann_file=info, data_prefix=dict(img_path=root))
    assert dataset.num_videos == 1 and len(dataset) == 5
    failed = dataset.metainfo['failed_targets']
    assert set(failed) == {'Gap', 'NanBox', 'EmptyBox'}
    assert '0003.jpg' in failed['Gap']
    assert 'first box' in failed['NanBox'] and 'line 1' in failed['NanBox']
    assert 'NanBox/groundtruth_rect.txt' in failed['NanBox']

    # OPE finishes the good sequence and lists the failed ones
    metric = SOTMetric(plot=False)
    metric.dataset_meta = dataset.metainfo
    for i in range(len(dataset)):
        info = dataset.get_frame_info(i)
        box = info['gt_bboxes']
        metric.process(None, [
            dict(
                video_id=info['video_id'],
                video_name=info['video_name'],
                frame_id=info['frame_id'],
                video_length=info['video_length'],
                pred_track_instances=dict(bboxes=box),
                gt_instances=dict(bboxes=box))
        ])
    logged = []
    import constcl_mm.evaluation.metrics.sot_metric as module
    real = module.print_log
    module.print_log = lambda msg, **kw: logged.append(msg)
    try:
        out = metric.compute_metrics(metric.results)
    finally:
        module.print_log = real
    assert out['success'] > 90 and out['failed_sequences'] == 3
    assert any('Gap' in m and 'NOT in the figures' in m for m in logged)


def test_otb_with_every_target_broken_names_them(tmp_path):
    root, info = otb_root(tmp_path)
    with pytest.raises(ValueError, match='no OTB target') as err:
        OTB100Dataset(
            ann_file=info,
            data_prefix=dict(img_path=root),
            targets=['Gap', 'NanBox'])
    assert 'Gap' in str(err.value) and 'NanBox' in str(err.value)


def got10k(tmp_path, count, boxes, skip=()):
    root = tmp_path / 'got'
    frames(root / 'seq1', count, template='%08d.jpg', skip=skip)
    (root / 'seq1' / 'groundtruth.txt').write_text(BOX * boxes)
    (root / 'list.txt').write_text('seq1\n')
    return GOT10kPairDataset(
        str(root / 'list.txt'), data_prefix=dict(img_path=str(root)))


def test_got10k_missing_middle_frame_fails_at_build(tmp_path):
    with pytest.raises(FileNotFoundError, match='00000004.jpg') as err:
        got10k(tmp_path, 8, 8, skip=(4, ))
    assert "sequence 'seq1'" in str(err.value)


def test_got10k_ground_truth_shorter_than_frames(tmp_path):
    with pytest.raises(ValueError, match='shorter than the sequence') as err:
        got10k(tmp_path, 8, 6)
    assert 'groundtruth.txt has 6 boxes' in str(err.value)


def test_got10k_complete_sequence_builds(tmp_path):
    assert got10k(tmp_path, 8, 8).num_sequences == 1
