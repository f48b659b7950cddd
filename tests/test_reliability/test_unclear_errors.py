# Copyright (c) constcl_mm authors. All rights reserved.
"""Errors that used to be tracebacks now name the file, field or value and
the fix (issue 25)."""
import json
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from helpers.reliability import REPO_ROOT, write_video
from mmaction.models import ResNet3d
from mmaction.registry import MODELS
from mmengine.config import Config

from constcl_mm.compat import CheckpointFormatError
from constcl_mm.datasets import LabeledVideoDataset
from constcl_mm.datasets.transforms import ProposalRegionBoxes
from constcl_mm.models import ResNet3dY
from constcl_mm.models.heads import (GlobalContrastiveHead,
                                     RegionContrastiveHead)
from constcl_mm.models.utils.checkpoint import (R3D50_CFG,
                                                CheckpointMismatchError)
from constcl_mm.utils import AnnotationError

EXPORT = osp.join(REPO_ROOT, 'tools', 'export_backbone.py')
MINI = osp.join(REPO_ROOT, 'configs', 'mini',
                'constcl_r3d50y-w16_1xb8-16x2x2-400it_synthetic.py')


def export(monkeypatch, *args):
    """Runs tools/export_backbone.py in this process (stdout is returned)."""
    import contextlib
    import io
    import runpy
    tool = runpy.run_path(EXPORT)
    monkeypatch.setattr('sys.argv', [EXPORT, *map(str, args)])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        tool['main']()
    return out.getvalue()


def test_export_of_a_video_says_it_is_not_a_checkpoint(tmp_path, monkeypatch):
    video = tmp_path / 'clip.mp4'
    write_video(str(video), frames=4)
    with pytest.raises(CheckpointFormatError) as err:
        export(monkeypatch, video, tmp_path / 'out.pth')
    text = str(err.value)
    assert text.startswith(f'{video} is not a checkpoint file: it is an MP4')
    assert 'allow' not in text
    assert not (tmp_path / 'out.pth').exists()


@pytest.mark.parametrize('content,what',
                         [(b'', 'empty'),
                          (b'epoch,loss\n1,2.3\n', "starts with b'epoch,lo'"),
                          (b'\x89PNG\r\n\x1a\n' + bytes(20), 'a PNG image')])
def test_pretrained_that_is_no_checkpoint_is_named(tmp_path, content, what):
    path = tmp_path / 'weights.pth'
    path.write_bytes(content)
    backbone = ResNet3dY(
        depth=18,
        base_channels=4,
        branches=('global', ),
        out_indices=(3, ),
        pretrained=str(path))
    with pytest.raises(CheckpointFormatError) as err:
        backbone.init_weights()
    assert f'{path} is not a checkpoint file' in str(err.value)
    assert what in str(err.value)


@pytest.fixture(scope='module')
def mini_ckpt(tmp_path_factory):
    """A checkpoint of the width-16 mini ConST-CL (random weights)."""
    model = MODELS.build(Config.fromfile(MINI).model)  # PyTorch's init
    path = tmp_path_factory.mktemp('mini') / 'iter_400.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {'iter': 400}}, path)
    return path, model


def test_export_of_a_width_16_mini_checkpoint(mini_ckpt, tmp_path,
                                              monkeypatch):
    ckpt, model = mini_ckpt
    out = tmp_path / 'r3d50_w16.pth'
    stdout = export(monkeypatch, ckpt, out, '--branch', 'local')
    assert 'exported the local branch of a R3D-50 (width 16)' in stdout
    assert 'base_channels=16' in stdout
    saved = torch.load(out, weights_only=True)
    assert saved['meta']['backbone_cfg']['base_channels'] == 16
    assert saved['meta']['iter'] == 400
    stock = ResNet3d(**{
        k: v
        for k, v in saved['meta']['backbone_cfg'].items() if k != 'type'
    })
    stock.load_state_dict(saved['state_dict'], strict=True)
    source = model.backbone.layer4_local
    torch.testing.assert_close(stock.layer4[2].conv3.conv.weight,
                               source[2].conv3.conv.weight)
    ours = ResNet3dY(
        base_channels=16,
        branches=('global', ),
        out_indices=(3, ),
        pretrained=str(out))
    ours.init_weights()
    ours.eval()
    stock.eval()
    x = torch.randn(1, 3, 4, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), stock(x))


def test_export_still_refuses_another_depth(tmp_path, monkeypatch):
    r3d18 = MODELS.build(dict(R3D50_CFG, depth=18, base_channels=16))
    ckpt = tmp_path / 'r3d18.pth'
    torch.save(
        {
            'state_dict': {
                f'backbone.{k}': v
                for k, v in r3d18.state_dict().items()
            }
        }, ckpt)
    with pytest.raises(
            CheckpointMismatchError, match=r'not a R3D-50 \(width 16\)'):
        export(monkeypatch, ckpt, tmp_path / 'o.pth')


@pytest.fixture()
def probe_videos(tmp_path):
    for i in range(2):
        write_video(str(tmp_path / f'v{i}.mp4'), frames=4, seed=i)
    return tmp_path


def probe_dataset(folder, lines, **kwargs):
    ann = folder / 'train.txt'
    ann.write_text(''.join(f'{line}\n' for line in lines))
    return str(ann), lambda: LabeledVideoDataset(
        str(ann), [],
        num_classes=6,
        data_prefix=dict(video=str(folder)),
        **kwargs)


def test_probe_label_outside_num_classes_is_refused_at_build(probe_videos):
    ann, build = probe_dataset(probe_videos, ['v0.mp4 0', 'v1.mp4 7'])
    with pytest.raises(AnnotationError) as err:
        build()
    assert f'{ann}:2: label 7 is outside 0..5 (num_classes=6' in \
        str(err.value)
    assert 'model.cls_head.num_classes' in str(err.value)


def test_probe_empty_list_names_the_list(probe_videos):
    ann, build = probe_dataset(probe_videos, [])
    with pytest.raises(AnnotationError, match=f'video list {ann} lists no'):
        build()


def test_unlabelled_lines_only_in_test_mode(probe_videos):
    _, build = probe_dataset(probe_videos, ['v0.mp4 5', 'v1.mp4'])
    with pytest.raises(AnnotationError, match='label -1'):
        build()
    _, build = probe_dataset(
        probe_videos, ['v0.mp4 5', 'v1.mp4'], test_mode=True)
    assert len(build()) == 2


def test_evaluate_linear_probe_refuses_the_label_before_training(
        probe_videos, tmp_path):
    from constcl_mm.evaluation.downstream import evaluate_linear_probe
    ann, _ = probe_dataset(probe_videos, ['v0.mp4 0', 'v1.mp4 7'])
    test = probe_videos / 'test.txt'
    test.write_text('v0.mp4 0\n')
    with pytest.raises(AnnotationError, match=r'train.txt:2: label 7'):
        evaluate_linear_probe(
            ann,
            str(test),
            train_video_dir=str(probe_videos),
            test_video_dir=str(probe_videos),
            backbone=dict(depth=50, base_channels=4),
            max_epochs=1,
            work_dir=str(tmp_path / 'work'))
    # the mini probe config checks its lists when run with tools/train.py
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'mini',
                 'linear-probe_r3d50y-w16_1xb16-16x2x1-6e_synthetic-rgb.py'))
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        assert loader.dataset.type == 'LabeledVideoDataset'
        assert loader.dataset.num_classes == cfg.model.cls_head.num_classes


@pytest.mark.parametrize('head,field', [
    (GlobalContrastiveHead, 'model.global_head.temperature'),
    (RegionContrastiveHead, 'model.local_head.temperature'),
])
@pytest.mark.parametrize('value', [0, -0.1, 'abc', float('nan')])
def test_temperature_error_names_the_head_and_field(head, field, value):
    with pytest.raises(ValueError) as err:
        head(temperature=value)
    text = str(err.value)
    assert text.startswith(f'{head.__name__}: temperature')
    assert field in text and repr(value) in text


@pytest.mark.parametrize('content,shown', [
    ([1, 2], 'got a list'),
    ({
        'clip.mp4': [[0.1, 0.1, 0.5, 0.5]]
    }, "entry 'clip.mp4' is a list"),
])
def test_proposal_boxes_format_error_reads_well(tmp_path, content, shown):
    for ext, write in (('.pkl',
                        lambda p: p.write_bytes(pickle.dumps(content))),
                       ('.json', lambda p: p.write_text(json.dumps(content)))):
        path = tmp_path / f'boxes{ext}'
        write(path)
        with pytest.raises(ValueError) as err:
            ProposalRegionBoxes(proposal_file=str(path))
        text = str(err.value)
        assert '{video key: {frame: boxes}}' in text, text
        assert '}}}' not in text and shown in text
        assert str(path) in text


def test_proposal_boxes_array_values_still_read(tmp_path):
    path = tmp_path / 'boxes.json'
    path.write_text(json.dumps({'clip.mp4': {'3': [[0.1, 0.1, 0.5, 0.5]]}}))
    frames, boxes = ProposalRegionBoxes(
        proposal_file=str(path))._frames('clip.mp4')
    assert frames.tolist() == [3]
    np.testing.assert_allclose(boxes[0], [[0.1, 0.1, 0.5, 0.5]])
