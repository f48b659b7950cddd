# Copyright (c) constcl_mm authors. All rights reserved.
"""tools/data/ava: frame extraction and Kinetics clip matching."""
import importlib.util
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from helpers.paths import REPO_ROOT, data_path

TOOLS = osp.join(REPO_ROOT, 'tools', 'data', 'ava')


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(TOOLS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_resample_to_30_fps_like_ffmpeg_fps_filter():
    tool = load_tool('extract_frames')
    # a 25-fps source: 30-fps slots repeat one frame in five
    frames = [(i / 25, i) for i in range(25)]
    out = list(tool.resample(iter(frames), 30, 0.0, 1.0))
    assert len(out) == 30
    assert out[:8] == [0, 1, 2, 2, 3, 4, 5, 6]
    # a 60-fps source: every other frame, the later of each pair
    frames = [(i / 60, i) for i in range(120)]
    out = list(tool.resample(iter(frames), 30, 0.5, 1.0))
    assert len(out) == 30 and out[0] == 30 and out[-1] == 88
    # frames before the start only fill leading gaps
    frames = [(0.9, 'a'), (1.05, 'b'), (1.1, 'c')]
    assert list(tool.resample(iter(frames), 10, 1.0, 0.2)) == ['a', 'c']


def test_extract_a_real_clip(tmp_path):
    tool = load_tool('extract_frames')
    video = data_path('mmaction2', 'tests', 'data', 'test.mp4')  # 30 fps
    assert tool.main([
        video,
        str(tmp_path), '--start', '2', '--duration', '1.5', '--short-side',
        '32'
    ]) == 0
    names = sorted(os.listdir(tmp_path / 'test'))
    assert names[0] == 'img_00001.jpg' and len(names) == 45
    assert names[-1] == 'img_00045.jpg'
    frame = cv2.imread(str(tmp_path / 'test' / 'img_00001.jpg'))
    assert frame.shape[0] == 32
    # the first frame is the source frame at 2.0 s (frame 60)
    import decord
    source = decord.VideoReader(video)[60].asnumpy()
    small = cv2.resize(
        source, frame.shape[1::-1], interpolation=cv2.INTER_AREA)[..., ::-1]
    assert np.abs(small.astype(int) - frame.astype(int)).mean() < 6
    # already extracted folders are left alone
    assert tool.main(
        [video, str(tmp_path), '--start', '2', '--duration', '0.5']) == 0
    assert len(os.listdir(tmp_path / 'test')) == 45


def test_ffmpeg_commands(tmp_path, capsys):
    tool = load_tool('extract_frames')
    video = data_path('mmaction2', 'tests', 'data', 'test.mp4')
    assert tool.main([
        video,
        str(tmp_path), '--start', '900', '--duration', '901', '--dry-run'
    ]) == 0
    command = capsys.readouterr().out.strip()
    assert command.startswith('ffmpeg ')
    for part in ('-ss 900', '-t 901', '-vf fps=30', '-start_number 1',
                 osp.join(str(tmp_path), 'test', 'img_%05d.jpg')):
        assert part in command
    with pytest.raises(FileNotFoundError):
        tool.list_videos(str(tmp_path / 'nothing'))


def test_kinetics_clip_matching(tmp_path):
    tool = load_tool('ava_kinetics_clips')
    frames = tmp_path / 'rawframes'
    for name in ('kin_video_01_000010_000020', 'kin_video_03_000005_000015',
                 'not_a_clip'):
        (frames / name).mkdir(parents=True)
    ann = tmp_path / 'kinetics_val.csv'
    ann.write_text('kin_video_01,12.5,0.2,0.2,0.6,0.6,12\n'
                   'kin_video_01,12.5,0.2,0.2,0.6,0.6,17\n'
                   'kin_video_02,3.25,0.3,0.3,0.7,0.7,17\n'
                   'kin_video_03,7.75\n')
    k700 = tmp_path / 'k700_val.csv'
    k700.write_text('label,youtube_id,time_start,time_end,split\n'
                    'dancing,kin_video_02,0,10,val\n'
                    'dancing,kin_video_05,0,10,val\n')
    out = {
        n: tmp_path / n
        for n in ('clips.txt', 'covered.csv', 'missing.txt', 'download.csv')
    }
    assert tool.main([
        str(ann), '--frame-root',
        str(frames), '--clip-list',
        str(out['clips.txt']), '--covered-csv',
        str(out['covered.csv']), '--missing',
        str(out['missing.txt']), '--kinetics-csv',
        str(k700), '--to-download',
        str(out['download.csv'])
    ]) == 0
    assert sorted(out['clips.txt'].read_text().split()) == [
        'kin_video_01_000010_000020', 'kin_video_03_000005_000015'
    ]
    assert out['covered.csv'].read_text().count('\n') == 3
    assert out['missing.txt'].read_text() == 'kin_video_02,3.25\n'
    assert out['download.csv'].read_text().splitlines()[1:] == [
        'kin_video_02,0,10'
    ]
    # the clip list feeds the dataset's kinetics_clip_list
    from constcl_mm.datasets.ava_annotations import read_kinetics_clip_index
    index = read_kinetics_clip_index(str(out['clips.txt']))
    assert index['kin_video_01'] == [(10, 20, 'kin_video_01_000010_000020')]
