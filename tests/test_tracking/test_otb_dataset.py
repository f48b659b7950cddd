# Copyright (c) constcl_mm authors. All rights reserved.
"""OTB-2015 layout and special cases, on folder fixtures built here."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from helpers.otb import crossing_dir

from constcl_mm.datasets import (OTB100_TARGETS, OTB100Dataset, VideoSampler,
                                 load_sot_bboxes, parse_otb_infos)
from constcl_mm.datasets.samplers import video_sampler

PIPELINE = [dict(type='LoadTrackingFrames'), dict(type='PackSOTInputs')]


def write_gt(path, n, sep=',', first=1, tag=0):
    """n boxes; box k (1-based line) is (first + k - 1, tag, 5, 6)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        for k in range(n):
            f.write(sep.join(str(v) for v in (first + k, tag, 5, 6)) + '\n')


def write_frames(img_dir, numbers, digits=4):
    os.makedirs(img_dir, exist_ok=True)
    for n in numbers:
        img = np.full((16, 24, 3), n % 256, np.uint8)
        cv2.imwrite(osp.join(img_dir, f'{n:0{digits}d}.jpg'), img)


@pytest.fixture(scope='module')
def otb_root(tmp_path_factory):
    """OTB folders for every special case (ground truth as the benchmark's
    line counts; only a few frames are written as images)."""
    root = str(tmp_path_factory.mktemp('otb100'))
    write_gt(osp.join(root, 'David', 'groundtruth_rect.txt'), 471)
    write_frames(osp.join(root, 'David', 'img'), [300, 301, 302, 770])
    write_gt(osp.join(root, 'Tiger1', 'groundtruth_rect.txt'), 354, '\t')
    write_frames(osp.join(root, 'Tiger1', 'img'), [6, 7, 8, 354])
    write_gt(osp.join(root, 'Board', 'groundtruth_rect.txt'), 698, ' ')
    write_frames(osp.join(root, 'Board', 'img'), [1, 2, 3, 698], digits=5)
    write_gt(osp.join(root, 'BlurCar1', 'groundtruth_rect.txt'), 742)
    for folder, n in (('Jogging', 307), ('Skating2', 473)):
        for k in (1, 2):
            write_gt(
                osp.join(root, folder, f'groundtruth_rect.{k}.txt'), n, tag=k)
    # Human4: the benchmark's target is the second file
    write_gt(osp.join(root, 'Human4', 'groundtruth_rect.1.txt'), 3, tag=1)
    write_gt(osp.join(root, 'Human4', 'groundtruth_rect.2.txt'), 667, tag=2)
    os.symlink(crossing_dir(), osp.join(root, 'Crossing'))
    return root


SPECIAL = [
    'David', 'Tiger1', 'Board', 'BlurCar1', 'Jogging-1', 'Jogging-2',
    'Skating2-1', 'Skating2-2', 'Human4', 'Crossing'
]
LENGTHS = dict(
    David=471,
    Tiger1=349,
    Board=698,
    BlurCar1=742,
    Human4=667,
    Crossing=120,
    **{
        'Jogging-1': 307,
        'Jogging-2': 307,
        'Skating2-1': 473,
        'Skating2-2': 473
    })


@pytest.fixture(scope='module')
def dataset(otb_root):
    # the fixture writes only a few frames of each target
    return OTB100Dataset(
        data_root=otb_root,
        targets=SPECIAL,
        pipeline=PIPELINE,
        check_frames=False)


def vid(dataset, name):
    """Index of a target (videos follow the table's order)."""
    names = [
        dataset.get_data_info(i)['video_name']
        for i in range(dataset.num_videos)
    ]
    return names.index(name)


def test_builtin_table():
    names = [t.name for t in OTB100_TARGETS]
    assert len(names) == 100 and len(set(names)) == 100
    assert len({t.folder for t in OTB100_TARGETS}) == 98
    rows = {t.name: t for t in OTB100_TARGETS}
    assert (rows['David'].start, rows['David'].end) == (300, 770)
    assert (rows['Tiger1'].start, rows['Tiger1'].end) == (6, 354)
    assert (rows['BlurCar1'].start, rows['BlurCar1'].end) == (247, 988)
    assert rows['Board'].framename_template == '%05d.jpg'
    assert rows['Human4'].ann_path == 'Human4/groundtruth_rect.2.txt'
    assert rows['Jogging-2'].img_dir == 'Jogging/img'
    assert rows['Skating2-1'].ann_path == 'Skating2/groundtruth_rect.1.txt'
    assert sum(t.framename_template == '%04d.jpg'
               for t in OTB100_TARGETS) == 99


def test_lengths_and_index(dataset):
    assert dataset.num_videos == len(SPECIAL)
    names = [
        dataset.get_data_info(i)['video_name']
        for i in range(dataset.num_videos)
    ]
    assert names == [t.name for t in OTB100_TARGETS if t.name in SPECIAL]
    assert dataset.num_frames_per_video == [LENGTHS[n] for n in names]
    assert len(dataset) == sum(LENGTHS.values())
    crossing = vid(dataset, 'Crossing')
    info = dataset.get_frame_info(dataset.frame_index(crossing, 119))
    assert info['video_name'] == 'Crossing' and info['frame_id'] == 119
    assert info['video_id'] == crossing
    assert info['img_path'] == dataset.get_frame_info(
        (crossing, 119))['img_path']
    with pytest.raises(IndexError):
        dataset.get_frame_info(len(dataset))


def test_david_starts_at_300(dataset):
    first = dataset.get_frame_info((vid(dataset, 'David'), 0))
    assert first['img_path'].endswith(osp.join('David', 'img', '0300.jpg'))
    # 2 neighbours on each side, clamped at the start
    assert [osp.basename(p) for p in first['img_paths']
            ] == ['0300.jpg'] * 3 + ['0301.jpg', '0302.jpg']
    # line 1 of the ground truth is frame 300; 1-based x -> 0-based x1
    np.testing.assert_allclose(first['gt_bboxes'], [[0, -1, 5, 5]])
    last = dataset.get_frame_info((vid(dataset, 'David'), 470))
    assert last['img_path'].endswith('0770.jpg')
    assert [osp.basename(p) for p in last['img_paths']][-3:] == \
        ['0770.jpg'] * 3
    assert last['video_length'] == 471


def test_tiger1_skips_five_boxes(dataset):
    first = dataset.get_frame_info((vid(dataset, 'Tiger1'), 0))
    assert first['img_path'].endswith(osp.join('Tiger1', 'img', '0006.jpg'))
    assert first['gt_bboxes'][0, 0] == 6 - 1  # box of line 6, tab-separated


def test_board_five_digits_and_space_separated(dataset):
    out = dataset[dataset.frame_index(vid(dataset, 'Board'), 0)]
    sample = out['data_samples']
    assert sample.img_path.endswith(osp.join('Board', 'img', '00001.jpg'))
    assert out['inputs'].shape == (5, 3, 16, 24)
    # frames 1, 1, 1, 2, 3 (the fixture's grey levels 1, 2, 3)
    assert [int(v) for v in out['inputs'][:, 0, 8, 8]] == [1, 1, 1, 2, 3]


def test_two_targets_and_human4(dataset):
    tags = {
        dataset.get_data_info(v)['video_name']:
        dataset.get_frame_info((v, 0))['gt_bboxes'][0, 1] + 1
        for v in range(dataset.num_videos)
    }
    assert tags['Jogging-1'] == 1 and tags['Jogging-2'] == 2
    assert tags['Skating2-1'] == 1 and tags['Skating2-2'] == 2
    assert tags['Human4'] == 2
    blurcar = dataset.get_frame_info((vid(dataset, 'BlurCar1'), 0))
    assert blurcar['img_path'].endswith('0247.jpg')


def test_crossing_frames_rgb(dataset):
    out = dataset[dataset.frame_index(vid(dataset, 'Crossing'), 0)]
    sample = out['data_samples']
    assert out['inputs'].dtype == torch.uint8
    assert out['inputs'].shape == (5, 3, 240, 360)
    bgr = cv2.imread(osp.join(crossing_dir(), 'img', '0001.jpg'))
    np.testing.assert_array_equal(out['inputs'][2].permute(1, 2, 0).numpy(),
                                  bgr[..., ::-1])
    np.testing.assert_allclose(sample.gt_instances.bboxes.numpy(),
                               [[204, 150, 221, 200]])  # 205 151 17 50 (TAB)
    assert sample.video_length == 120 and sample.frame_id == 0
    assert bool(sample.gt_instances.visible[0])


def test_separators_and_errors(tmp_path):
    path = tmp_path / 'gt.txt'
    path.write_text('1,2,3,4\n5\t6\t7\t8\n9 10 11 12\n1.5, 2\t3 4\n\n')
    np.testing.assert_allclose(
        load_sot_bboxes(str(path)),
        [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [1.5, 2, 3, 4]])
    path.write_text('1,2,3,4\n5,6,7,8\n1,2,3\n')
    with pytest.raises(ValueError, match=r'gt.txt, line 3: expected 4'):
        load_sot_bboxes(str(path))
    path.write_text('1,2,3,4\n\n5,6,7,8\n')
    with pytest.raises(ValueError, match='line 2'):
        load_sot_bboxes(str(path))


def test_wrong_box_count_raises(tmp_path):
    write_gt(str(tmp_path / 'Coke' / 'groundtruth_rect.txt'), 290)
    with pytest.raises(ValueError, match=r'290 boxes .* Coke .*1-291'):
        OTB100Dataset(data_root=str(tmp_path), targets=['Coke'])
    with pytest.raises(KeyError, match='Cokes'):
        OTB100Dataset(data_root=str(tmp_path), targets=['Cokes'])


def test_info_files(tmp_path, otb_root):
    ours = tmp_path / 'otb_infos.txt'
    ours.write_text(
        '# name,video_path,ann_path,start_frame_id,end_frame_id,template\n'
        'Board,Board/img,Board/groundtruth_rect.txt,1,698,%05d.jpg\n'
        'Tiger1,Tiger1/img,Tiger1/groundtruth_rect.txt,6,354,%04d.jpg\n')
    mmtrack = tmp_path / 'otb100_infos.txt'
    mmtrack.write_text(
        'The format of each line in this txt is (video_path,annotation_path,'
        'start_frame_id,end_frame_id)\n'
        'Board/img,Board/groundtruth_rect.txt,1,698\n'
        'Jogging/img,Jogging/groundtruth_rect.2.txt,1,307\n')
    rows = parse_otb_infos(str(mmtrack))
    assert [r.name for r in rows] == ['Board', 'Jogging-2']
    assert rows[0].framename_template == '%05d.jpg'
    for ann in (ours, mmtrack):
        ds = OTB100Dataset(
            ann_file=str(ann), data_root=otb_root, check_frames=False)
        assert ds.get_frame_info(0)['img_path'].endswith('00001.jpg')
    bad = tmp_path / 'bad.txt'
    bad.write_text('Board,Board/img,Board/groundtruth_rect.txt,1,698,%05d.jpg'
                   '\nTiger1,Tiger1/img,x,6,three,%04d.jpg\n')
    with pytest.raises(ValueError, match='bad.txt, line 2'):
        parse_otb_infos(str(bad))
    bad.write_text('Board,Board/img,Board/groundtruth_rect.txt,1,x,%05d.jpg')
    with pytest.raises(ValueError, match='bad.txt, line 1'):
        parse_otb_infos(str(bad))


def test_video_sampler_keeps_videos_whole(dataset, monkeypatch):
    sampler = VideoSampler(dataset)
    assert list(sampler) == list(range(len(dataset)))
    assert len(sampler) == len(dataset)
    parts = VideoSampler.split_videos(dataset.num_frames_per_video, 3)
    assert sorted(v for p in parts for v in p) == list(range(10))
    seen = []
    for rank in range(3):
        monkeypatch.setattr(
            video_sampler, 'get_dist_info', lambda rank=rank: (rank, 3))
        indices = list(VideoSampler(dataset))
        infos = [dataset.get_frame_info(i) for i in indices[::50]]
        assert {i['video_id'] for i in infos} == set(parts[rank])
        assert indices == sorted(indices)  # in order within the process
        seen += indices
    assert sorted(seen) == list(range(len(dataset)))
    loads = [sum(dataset.num_frames_per_video[v] for v in p) for p in parts]
    assert max(loads) - min(loads) <= 742  # no worse than the longest video
    with pytest.raises(TypeError, match='num_frames_per_video'):
        VideoSampler(list(range(3)))


def test_gen_otb100_infos(otb_root, tmp_path, capsys):
    import importlib.util

    from helpers.paths import REPO_ROOT
    spec = importlib.util.spec_from_file_location(
        'gen_otb100_infos',
        osp.join(REPO_ROOT, 'tools', 'data', 'otb', 'gen_otb100_infos.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / 'infos.txt'
    assert tool.main([otb_root, '--out', str(out)]) == 1  # 96 targets absent
    assert not out.exists()
    assert 'Basketball: no image folder' in capsys.readouterr().err
    assert tool.main([otb_root, '--out', str(out), '--allow-missing']) == 0
    rows = parse_otb_infos(str(out))
    assert [r.name for r in rows] == ['Board', 'Crossing', 'David', 'Tiger1']
    ds = OTB100Dataset(
        ann_file=str(out), data_root=otb_root, check_frames=False)
    assert ds.num_frames_per_video == [698, 120, 471, 349]
    # --check-frames looks at every frame: David has only 4 of 471
    assert tool.main(
        [otb_root, '--out',
         str(out), '--allow-missing', '--check-frames']) == 0
    assert [r.name for r in parse_otb_infos(str(out))] == ['Crossing']
