# Copyright (c) constcl_mm authors. All rights reserved.
"""tools/data/{ucf101,hmdb51,kinetics}: official annotations -> lists.

The fixtures are small files in the official formats: UCF101's
``classInd.txt`` / ``trainlist0X.txt`` / ``testlist0X.txt`` (CRLF line ends,
the HandstandPushups file-name casing), HMDB51's
``<class>_test_split<k>.txt`` (flags 0/1/2, trailing spaces) and Kinetics'
csv files (quoted labels with commas and spaces).
"""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest
from helpers.paths import REPO_ROOT
from mmaction.datasets import VideoDataset


def load_tool(name: str):
    path = osp.join(REPO_ROOT, 'tools', 'data',
                    name.split('_')[0], f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'_tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ucf = load_tool('ucf101_lists')
hmdb = load_tool('hmdb51_lists')
kin = load_tool('kinetics_lists')


def write(path, text, newline='\n'):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w', newline='') as f:
        f.write(text.replace('\n', newline))
    return str(path)


def read(path):
    with open(path) as f:
        return f.read().splitlines()


def touch(root, rel):
    path = osp.join(root, rel)
    os.makedirs(osp.dirname(path), exist_ok=True)
    open(path, 'w').close()


# --------------------------------------------------------------------- UCF101
@pytest.fixture
def ucf_ann(tmp_path):
    ann = tmp_path / 'annotations'
    write(ann / 'classInd.txt',
          '1 ApplyEyeMakeup\n2 Basketball\n3 HandstandPushups\n', '\r\n')
    for k in (1, 2, 3):
        train = [
            f'ApplyEyeMakeup/v_ApplyEyeMakeup_g0{k}_c01.avi 1',
            f'HandstandPushups/v_HandStandPushups_g0{k}_c02.avi 3',
            f'Basketball/v_Basketball_g0{k}_c03.avi 2'
        ]
        test = [
            f'Basketball/v_Basketball_g1{k}_c01.avi',
            f'HandstandPushups/v_HandStandPushups_g1{k}_c01.avi'
        ]
        write(ann / f'trainlist0{k}.txt', '\n'.join(train) + '\n', '\r\n')
        write(ann / f'testlist0{k}.txt', '\n'.join(test) + '\n', '\r\n')
    return str(ann)


def test_ucf101_lists(ucf_ann, tmp_path):
    out = tmp_path / 'out'
    summary = ucf.build_lists(ucf_ann, str(out), splits=(1, 3))
    assert sorted(osp.basename(p) for p in summary) == [
        'ucf101_train_split_1_videos.txt', 'ucf101_train_split_3_videos.txt',
        'ucf101_val_split_1_videos.txt', 'ucf101_val_split_3_videos.txt'
    ]
    assert read(out / 'ucf101_train_split_3_videos.txt') == [
        'ApplyEyeMakeup/v_ApplyEyeMakeup_g03_c01.avi 0',
        'HandstandPushups/v_HandStandPushups_g03_c02.avi 2',
        'Basketball/v_Basketball_g03_c03.avi 1'
    ]
    assert read(out / 'ucf101_val_split_1_videos.txt') == [
        'Basketball/v_Basketball_g11_c01.avi 1',
        'HandstandPushups/v_HandStandPushups_g11_c01.avi 2'
    ]
    assert not osp.exists(out / 'ucf101_train_split_2_videos.txt')


def test_ucf101_missing_videos_counted(ucf_ann, tmp_path):
    videos = tmp_path / 'videos'
    touch(videos, 'Basketball/v_Basketball_g11_c01.avi')
    out = tmp_path / 'out'
    summary = ucf.build_lists(
        ucf_ann, str(out), splits=(1, ), video_dir=str(videos))
    val = str(out / 'ucf101_val_split_1_videos.txt')
    assert summary[val] == dict(written=1, missing=1)
    assert read(val) == ['Basketball/v_Basketball_g11_c01.avi 1']
    assert read(val[:-4] + '_missing.txt') == [
        'HandstandPushups/v_HandStandPushups_g11_c01.avi'
    ]
    with pytest.raises(FileNotFoundError, match='3 videos are missing'):
        ucf.build_lists(
            ucf_ann,
            str(out),
            splits=(1, ),
            video_dir=str(videos),
            strict=True)


@pytest.mark.parametrize('name, text, message', [
    ('trainlist01.txt', 'Basketball/v_Basketball_g01_c01.avi 3\n',
     r'trainlist01\.txt:1: label 3 \(1-based\) disagrees with the class '
     r"folder 'Basketball'"),
    ('trainlist01.txt', 'x.avi 1\n\nBasketball/a.avi 2 7\n',
     r'trainlist01\.txt:1: expected "<Class>/<video>\.avi"'),
    ('testlist01.txt', 'Basketball/a.avi\nSurfing/v_Surfing_g01_c01.avi\n',
     r"testlist01\.txt:2: class folder 'Surfing' is not in classInd"),
    ('classInd.txt', '1 A\n3 B\n', r'classInd\.txt:2: class index 3 out of'),
])
def test_ucf101_bad_lines_named(ucf_ann, tmp_path, name, text, message):
    write(osp.join(ucf_ann, name), text)
    with pytest.raises(ucf.AnnotationError, match=message):
        ucf.build_lists(ucf_ann, str(tmp_path / 'out'), splits=(1, ))


def test_ucf101_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='classInd.txt'):
        ucf.build_lists(str(tmp_path), str(tmp_path / 'out'))


# --------------------------------------------------------------------- HMDB51
@pytest.fixture
def hmdb_ann(tmp_path):
    ann = tmp_path / 'annotations'
    for cls in ('wave', 'brush_hair'):
        for k in (1, 2, 3):
            lines = [
                f'{cls}_a{k}.avi 1 ', f'{cls}_b{k}.avi 2 ',
                f'{cls}_c{k}.avi 0 ', f'{cls}_d{k}.avi 1 '
            ]
            write(ann / f'{cls}_test_split{k}.txt', '\n'.join(lines) + '\n')
    write(ann / 'README.txt', 'not a split file\n')
    return str(ann)


def test_hmdb51_lists(hmdb_ann, tmp_path):
    out = tmp_path / 'out'
    summary = hmdb.build_lists(hmdb_ann, str(out), splits=(2, ))
    train = str(out / 'hmdb51_train_split_2_videos.txt')
    assert read(train) == [  # alphabetical classes: brush_hair 0, wave 1
        'brush_hair/brush_hair_a2.avi 0', 'brush_hair/brush_hair_d2.avi 0',
        'wave/wave_a2.avi 1', 'wave/wave_d2.avi 1'
    ]
    assert read(out / 'hmdb51_val_split_2_videos.txt') == [
        'brush_hair/brush_hair_b2.avi 0', 'wave/wave_b2.avi 1'
    ]
    assert summary[train] == dict(written=4, missing=0, unused=2)


def test_hmdb51_bad_flag_and_missing_split(hmdb_ann, tmp_path):
    write(
        osp.join(hmdb_ann, 'wave_test_split1.txt'),
        'wave_a1.avi 1\nwave_b1.avi 3\n')
    with pytest.raises(
            hmdb.AnnotationError,
            match=r'wave_test_split1\.txt:2: expected '
            r'"<video>\.avi <0\|1\|2>"'):
        hmdb.build_lists(hmdb_ann, str(tmp_path / 'out'), splits=(1, ))
    os.remove(osp.join(hmdb_ann, 'brush_hair_test_split3.txt'))
    with pytest.raises(
            hmdb.AnnotationError,
            match=r'brush_hair_test_split3\.txt is missing'):
        hmdb.build_lists(hmdb_ann, str(tmp_path / 'out'), splits=(3, ))


def test_hmdb51_lists_load_in_mmaction2(hmdb_ann, tmp_path):
    """The written list is what mmaction2's VideoDataset reads."""
    videos = tmp_path / 'videos'
    for cls in ('wave', 'brush_hair'):
        for v in 'abcd':
            touch(videos, f'{cls}/{cls}_{v}1.avi')
    os.remove(videos / 'wave' / 'wave_d1.avi')
    out = tmp_path / 'out'
    summary = hmdb.build_lists(
        hmdb_ann, str(out), splits=(1, ), video_dir=str(videos))
    train = str(out / 'hmdb51_train_split_1_videos.txt')
    assert summary[train]['missing'] == 1
    dataset = VideoDataset(
        ann_file=train, pipeline=[], data_prefix=dict(video=str(videos)))
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [(osp.relpath(d['filename'], videos), d['label'])
            for d in infos] == [('brush_hair/brush_hair_a1.avi', 0),
                                ('brush_hair/brush_hair_d1.avi', 0),
                                ('wave/wave_a1.avi', 1)]
    assert all(osp.isfile(d['filename']) for d in infos)


# ------------------------------------------------------------------ Kinetics
HEADER = 'label,youtube_id,time_start,time_end,split,is_cc\n'


@pytest.fixture
def kin_csv(tmp_path):
    train = write(
        tmp_path / 'kinetics_train.csv', HEADER +
        ('abseiling,0347ZoDXyP0,95,105,train,0\n'
         '"passing American football (in game)",-5T1wbZBfSY,9,19,train,0\n'
         '"dancing, ballet",zzz,0.0,10.0,train,1\n'
         'abseiling,0wR5jVB-WPk,417,427,train,0\n'))
    val = write(
        tmp_path / 'kinetics_val.csv',
        HEADER + ('"dancing, ballet",v1,1,11,val,0\n'
                  'abseiling,v2,30,40,val,0\n'))
    return dict(train=train, val=val)


def test_kinetics_lists(kin_csv, tmp_path):
    out = tmp_path / 'out'
    kin.build_lists(kin_csv, str(out))
    assert read(out / 'kinetics400_train_list_videos.txt') == [
        'abseiling/0347ZoDXyP0_000095_000105.mp4 0',
        'passing_American_football_(in_game)/-5T1wbZBfSY_000009_000019.mp4 '
        '2', 'dancing,_ballet/zzz_000000_000010.mp4 1',
        'abseiling/0wR5jVB-WPk_000417_000427.mp4 0'
    ]
    kin.build_lists({'val': kin_csv['val']},
                    str(out),
                    dataset='k3',
                    label_map=write(tmp_path / 'map.txt',
                                    ('dancing, ballet\nabseiling\n'
                                     'passing American football (in game)\n')),
                    class_dirs=False)
    assert read(out / 'k3_val_list_videos.txt') == [
        'v1_000001_000011.mp4 0', 'v2_000030_000040.mp4 1'
    ]


def test_kinetics_missing_videos(kin_csv, tmp_path):
    videos = tmp_path / 'videos_val'
    touch(videos, 'abseiling/v2_000030_000040.mp4')
    out = tmp_path / 'out'
    summary = kin.build_lists(
        kin_csv, str(out), video_dirs={'val': str(videos)})
    val = str(out / 'kinetics400_val_list_videos.txt')
    assert summary[val] == dict(written=1, missing=1)
    assert read(val[:-4] +
                '_missing.txt') == ['dancing,_ballet/v1_000001_000011.mp4']
    train = str(out / 'kinetics400_train_list_videos.txt')
    assert summary[train] == dict(written=4, missing=0)  # not checked


@pytest.mark.parametrize('text, message', [
    ('youtube_id,time_start,time_end,split\nabc,1,11,test\n',
     r"lacks \['label'\] \(a csv without labels"),
    (HEADER + 'abseiling,abc,1,11,val,0\nsurfing,abd,1,11,val,0\n',
     r"val\.csv:3: label 'surfing' is not a known class"),
    (HEADER + 'abseiling,abc,x,11,val,0\n',
     r"val\.csv:2: time_start 'x' is not a number"),
    (HEADER + 'abseiling,abc,12,11,val,0\n',
     r'val\.csv:2: time_end 11 is not after time_start 12'),
])
def test_kinetics_bad_rows_named(kin_csv, tmp_path, text, message):
    bad = write(tmp_path / 'val.csv', text)
    with pytest.raises(kin.AnnotationError, match=message):
        kin.build_lists(
            dict(train=kin_csv['train'], val=bad), str(tmp_path / 'out'))


def test_kinetics_needs_classes(kin_csv, tmp_path):
    with pytest.raises(ValueError, match='--label-map'):
        kin.build_lists({'val': kin_csv['val']}, str(tmp_path / 'out'))


def test_scripts_run_from_the_command_line(ucf_ann, hmdb_ann, kin_csv,
                                           tmp_path):
    out = tmp_path / 'cli'
    runs = [
        [
            'ucf101/ucf101_lists.py', ucf_ann, '--out-dir',
            str(out), '--splits', '2'
        ],
        ['hmdb51/hmdb51_lists.py', hmdb_ann, '--out-dir',
         str(out)],
        [
            'kinetics/kinetics_lists.py', '--csv', 'train', kin_csv['train'],
            '--csv', 'val', kin_csv['val'], '--out-dir',
            str(out), '--video-dir', 'val',
            str(tmp_path)
        ],
    ]
    for args in runs:
        result = subprocess.run([
            sys.executable,
            osp.join(REPO_ROOT, 'tools', 'data', args[0]), *args[1:]
        ],
                                capture_output=True,
                                text=True,
                                timeout=60)
        assert result.returncode == 0, result.stderr
        assert 'videos' in result.stdout
    assert 'missing (left out)' in result.stdout
    assert sorted(os.listdir(out)) == sorted([
        'ucf101_train_split_2_videos.txt', 'ucf101_val_split_2_videos.txt',
        *(f'hmdb51_{s}_split_{k}_videos.txt' for s in ('train', 'val')
          for k in (1, 2, 3)), 'kinetics400_train_list_videos.txt',
        'kinetics400_val_list_videos.txt',
        'kinetics400_val_list_videos_missing.txt'
    ])
