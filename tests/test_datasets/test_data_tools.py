# Copyright (c) constcl_mm authors. All rights reserved.
"""tools/data/build_video_list.py, tools/data/check_videos.py and
tools/visualize_views.py on real clips."""
import importlib.util
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from helpers.data import (DEMO_MP4, RAWFRAMES, SHORT_MP4, TEST_MP4,
                          make_bad_files)
from helpers.paths import REPO_ROOT, data_path

from constcl_mm.datasets import TwoViewVideoDataset

CONFIG = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets',
                  'kinetics400_constcl_pretrain.py')


def load_tool(*parts):
    path = osp.join(REPO_ROOT, 'tools', *parts)
    spec = importlib.util.spec_from_file_location('tool_' + parts[-1][:-3],
                                                  path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # picklable for multiprocessing
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def build_list():
    return load_tool('data', 'build_video_list.py')


def link(src, dst):
    os.makedirs(osp.dirname(dst), exist_ok=True)
    os.symlink(src, dst)


def test_list_from_a_class_tree(tmp_path, build_list):
    root = tmp_path / 'videos'
    link(data_path(*TEST_MP4), str(root / 'arm_wrestling' / 'a.mp4'))
    link(data_path(*DEMO_MP4), str(root / 'abseiling' / 'b.mp4'))
    link(data_path(*SHORT_MP4), str(root / 'abseiling' / 'sub' / 'c.mp4'))
    link(data_path(*SHORT_MP4), str(root / 'loose.mp4'))
    (root / 'abseiling' / 'notes.txt').write_text('not listed')
    out = tmp_path / 'list.txt'
    assert build_list.main([str(root), str(out)]) == 0
    assert out.read_text().splitlines() == [
        'abseiling/b.mp4 0', 'abseiling/sub/c.mp4 0', 'arm_wrestling/a.mp4 1',
        'loose.mp4'
    ]
    # Kinetics label map order; folder names use '_' for spaces.
    label_map = tmp_path / 'classes.txt'
    label_map.write_text('abseiling\nair drumming\narm wrestling\n')
    build_list.main([str(root), str(out), '--label-map', str(label_map)])
    assert out.read_text().splitlines()[2] == 'arm_wrestling/a.mp4 2'
    build_list.main([str(root), str(out), '--no-labels'])
    assert out.read_text().splitlines()[0] == 'abseiling/b.mp4'
    # The list feeds the dataset.
    dataset = TwoViewVideoDataset(
        str(out), pipeline=[], data_prefix=dict(video=str(root)))
    assert len(dataset) == 4
    label_map.write_text('abseiling\n')
    with pytest.raises(ValueError, match='arm_wrestling'):
        build_list.main([str(root), str(out), '--label-map', str(label_map)])


def test_list_from_a_kinetics_csv(tmp_path, build_list):
    csv = tmp_path / 'kinetics_train.csv'
    csv.write_text('label,youtube_id,time_start,time_end,split\n'
                   'arm wrestling,aaa,10,20,train\n'
                   'abseiling,bbb,0,10,train\n'
                   'abseiling,ccc,5,15,train\n')
    out = tmp_path / 'list.txt'
    build_list.main([str(csv), str(out)])
    assert out.read_text().splitlines() == [
        'arm_wrestling/aaa_000010_000020.mp4 1',
        'abseiling/bbb_000000_000010.mp4 0',
        'abseiling/ccc_000005_000015.mp4 0'
    ]
    # Only the videos present under --video-root, whatever the extension.
    root = tmp_path / 'videos_train'
    link(
        data_path(*TEST_MP4),
        str(root / 'arm_wrestling' / 'aaa_000010_000020.mp4'))
    link(
        data_path(*DEMO_MP4),
        str(root / 'abseiling' / 'ccc_000005_000015.mkv'))
    build_list.main([str(csv), str(out), '--video-root', str(root)])
    assert out.read_text().splitlines() == [
        'arm_wrestling/aaa_000010_000020.mp4 1',
        'abseiling/ccc_000005_000015.mkv 0'
    ]
    build_list.main([str(csv), str(out), '--flat', '--no-labels'])
    assert out.read_text().splitlines()[0] == 'aaa_000010_000020.mp4'


def test_check_videos_writes_a_clean_list(tmp_path, capsys):
    tool = load_tool('data', 'check_videos.py')
    bad = make_bad_files(str(tmp_path))
    good = [data_path(*SHORT_MP4), data_path(*DEMO_MP4)]
    ann = tmp_path / 'list.txt'
    ann.write_text(f'{good[0]} 3\n' + ''.join(f'{p} 1\n'
                                              for p in bad.values()) +
                   f'# comment\n{good[1]}\n')
    bad_out = tmp_path / 'bad.txt'
    assert tool.main([str(ann), '--bad', str(bad_out)]) == 0
    clean = tmp_path / 'list_clean.txt'
    assert clean.read_text().splitlines() == [f'{good[0]} 3', good[1]]
    assert sorted(bad_out.read_text().split()) == sorted(
        list(bad.values()) + ['1'] * len(bad))
    printed = capsys.readouterr().out
    for path in bad.values():
        assert f'UNREADABLE {path}' in printed
    assert f'{len(bad) + 2} entries checked: 2 readable' in printed
    # Two workers and a full decode give the same verdict.
    tool.main([
        str(ann), '--nproc', '2', '--full', '--out',
        str(tmp_path / 'clean2.txt')
    ])
    assert (tmp_path / 'clean2.txt').read_text() == clean.read_text()


def test_check_videos_on_rawframes(tmp_path, capsys):
    tool = load_tool('data', 'check_videos.py')
    ann = tmp_path / 'frames.txt'
    ann.write_text('imgs 10 0\nimgs 12 0\nnope 5 1\n')
    tool.main([
        str(ann), '--rawframes', '--data-prefix',
        osp.dirname(data_path(*RAWFRAMES))
    ])
    assert (tmp_path / 'frames_clean.txt').read_text() == 'imgs 10 0\n'
    printed = capsys.readouterr().out
    assert 'truncated' in printed and 'missing' in printed


def test_visualize_views_without_checkpoint(tmp_path):
    tool = load_tool('visualize_views.py')
    out = tmp_path / 'views.png'
    assert tool.main([
        CONFIG, '--video',
        data_path(*DEMO_MP4), '--out',
        str(out), '--cfg-options',
        'train_dataloader.dataset.pipeline.3.scale=96'
    ]) == 0
    import matplotlib.image as mpimg
    img = mpimg.imread(str(out))
    assert img.ndim == 3 and img.shape[0] > 300 and img.shape[1] > 500
    assert img[..., :3].std() > 0.05  # not blank
    # The dataset path, with another box type.
    ann = tmp_path / 'list.txt'
    ann.write_text(f'{data_path(*SHORT_MP4)}\n')
    out2 = tmp_path / 'views_slic.png'
    tool.main([
        CONFIG, '--index', '0', '--out',
        str(out2), '--box-type', 'slic', '--num-boxes', '16', '--frames', '0',
        '--cfg-options', f'train_dataloader.dataset.ann_file={ann}',
        'train_dataloader.dataset.data_prefix.video=',
        'train_dataloader.dataset.pipeline.3.scale=64'
    ])
    assert osp.getsize(out2) > 1000
    with pytest.raises(FileNotFoundError, match='nope.mp4'):
        tool.main([CONFIG, '--video', str(tmp_path / 'nope.mp4')])


def test_visualize_draws_region_matches(tmp_path):
    """The match drawing with a region_matches-shaped result (no model)."""
    tool = load_tool('visualize_views.py')
    from mmengine.config import Config
    cfg = Config.fromfile(CONFIG)
    cfg.train_dataloader.dataset.pipeline[3]['scale'] = 64
    np.random.seed(0)
    views = tool.views_from_config(cfg, data_path(*DEMO_MP4), 0, None, None)
    n = views['packed']['data_samples'].boxes.shape[1]
    similarity = torch.rand(1, n, n)
    matches = dict(
        match_a2b=similarity.argmax(2),
        match_b2a=similarity.argmax(1),
        similarity=similarity)
    plain, matched = tmp_path / 'plain.png', tmp_path / 'matched.png'
    tool.draw_views(views['results'], views['packed'], str(plain))
    tool.draw_views(views['results'], views['packed'], str(matched), matches)
    import matplotlib.image as mpimg
    a, b = mpimg.imread(str(plain)), mpimg.imread(str(matched))
    assert a.shape == b.shape and not np.array_equal(a, b)
    with pytest.raises(ValueError, match='model'):
        tool.region_matches(cfg, 'x.pth', views['packed'])


TINY_MODEL = dict(
    type='ConSTCL',
    data_preprocessor=dict(type='ConSTCLDataPreprocessor'),
    backbone=dict(
        type='ResNet3dY',
        depth=18,
        base_channels=8,
        branches=('global', 'local'),
        out_indices=(3, 4)),
    global_head=dict(
        type='GlobalContrastiveHead',
        in_channels=64,
        hid_channels=8,
        out_channels=4),
    neck=dict(
        type='ContextCrossAttentionNeck',
        in_channels=64,
        attention_cfg=dict(tx_channels=8)),
    local_head=dict(type='RegionContrastiveHead'))


def test_visualize_views_with_a_checkpoint(tmp_path):
    """--checkpoint: model.region_matches of a (tiny) pretraining model."""
    from mmaction.registry import MODELS
    tool = load_tool('visualize_views.py')
    config = tmp_path / 'tiny_pretrain.py'
    config.write_text(
        f'_base_ = [{CONFIG!r}]\n'
        f'model = {TINY_MODEL!r}\n'
        'train_dataloader = dict(dataset=dict(pipeline=[\n'
        '    dict(type="VideoReaderInit"),\n'
        '    dict(type="CVRLSampleFrames"),\n'
        '    dict(type="MultiClipDecode"),\n'
        '    dict(type="MultiViewRandomResizedCrop", scale=64),\n'
        '    dict(type="MultiViewFlip"),\n'
        '    dict(type="GenerateRegionBoxes"),\n'
        '    dict(type="PackConSTCLInputs")]))\n')
    model = MODELS.build(TINY_MODEL)
    ckpt = tmp_path / 'tiny.pth'
    torch.save({'state_dict': model.state_dict()}, str(ckpt))
    out = tmp_path / 'matches.png'
    assert tool.main([
        str(config), '--video',
        data_path(*DEMO_MP4), '--checkpoint',
        str(ckpt), '--out',
        str(out)
    ]) == 0
    assert osp.getsize(out) > 1000
