# Copyright (c) constcl_mm authors. All rights reserved.
"""tools/convert_tf_cvrl.py on the TF-written reduced CVRL checkpoint
(tests/data/tf_cvrl): the files it writes, --check against TF's outputs,
--digest, and its errors."""
import importlib.util
import os.path as osp
import re

import numpy as np
import pytest
import torch
from helpers.paths import REPO_ROOT, data_path
from mmaction.registry import MODELS

from constcl_mm.models.utils.checkpoint import load_backbone_checkpoint
from constcl_mm.models.utils.state_digest import state_dict_digest
from constcl_mm.testing.cvrl_weights import random_clip
from constcl_mm.utils.tf_checkpoint import TFCheckpointError

TOOL = osp.join(REPO_ROOT, 'tools', 'convert_tf_cvrl.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('convert_tf_cvrl', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def converted(tool, tmp_path_factory):
    """The reduced checkpoint converted with --constcl-init and --check
    against the TF outputs the goldens script saved."""
    out = tmp_path_factory.mktemp('cvrl')
    with np.load(data_path('tf_cvrl', 'cvrl_reduced_outputs.npz')) as data:
        ref = {k: data[k] for k in data.files}
    tf_outputs = out / 'tf_outputs.npz'
    np.savez(
        tf_outputs,
        clip=random_clip(tuple(ref['clip_shape']), int(ref['seed'])),
        **{
            k: v
            for k, v in ref.items() if k.startswith('endpoint_')
        })
    return out, tf_outputs


def run(tool, capsys, *argv):
    tool.main([str(a) for a in argv])
    return capsys.readouterr().out


def test_converts_checks_and_writes_every_file(tool, converted, capsys):
    out, tf_outputs = converted
    text = run(tool, capsys, data_path('tf_cvrl',
                                       'cvrl_reduced'), out, '--name', 'tiny',
               '--constcl-init', '--check', '--tf-outputs', tf_outputs)
    for name in ('tiny_r3d50.pth', 'tiny_r3d50y.pth', 'tiny_constcl-init.pth'):
        assert (out / name).is_file(), name
    match = re.search(r'tf_same max relative difference (\S+) \(<= ', text)
    assert match and float(match.group(1)) < 1e-4, text
    assert re.search(r'symmetric padding costs (\S+)', text)

    stock = torch.load(out / 'tiny_r3d50.pth', weights_only=True)
    cfg = stock['meta']['backbone_cfg']
    assert cfg['type'] == 'ResNet3d' and cfg['base_channels'] == 4
    MODELS.build(cfg).load_state_dict(stock['state_dict'], strict=True)
    y = torch.load(out / 'tiny_r3d50y.pth', weights_only=True)
    y_model = MODELS.build(y['meta']['backbone_cfg'])
    load_backbone_checkpoint(y_model, str(out / 'tiny_r3d50y.pth'))
    for key, value in stock['state_dict'].items():
        assert torch.equal(y_model.state_dict()[key], value), key
        if key.startswith('layer4.'):
            local = 'layer4_local.' + key[len('layer4.'):]
            assert torch.equal(y_model.state_dict()[local], value), key
    init = torch.load(out / 'tiny_constcl-init.pth', weights_only=True)
    state = init['state_dict']
    assert any(k.startswith('neck.') for k in state)
    assert any(k.startswith('global_head.') for k in state)
    for key, value in y['state_dict'].items():
        assert torch.equal(state['backbone.' + key], value), key
    # the printed digests are those --digest gives for the files
    printed = dict(
        re.findall(
            r'(\S+\.pth): \d+ tensors, state-dict sha256 '
            r'([0-9a-f]{64})', text))
    assert len(printed) == 3
    assert printed[str(out / 'tiny_r3d50.pth')] == state_dict_digest(
        stock['state_dict'])
    digest = run(tool, capsys, '--digest', out / 'tiny_r3d50.pth')
    assert digest.split()[0] == printed[str(out / 'tiny_r3d50.pth')]


def test_check_fails_on_other_outputs(tool, converted, capsys):
    out, tf_outputs = converted
    with np.load(tf_outputs) as data:
        wrong = {k: data[k] for k in data.files}
    wrong['endpoint_3'] = wrong['endpoint_3'] * 1.01
    path = out / 'wrong.npz'
    np.savez(path, **wrong)
    with pytest.raises(SystemExit) as exit_info:
        run(tool, capsys, data_path('tf_cvrl', 'cvrl_reduced'), out / 'w',
            '--check', '--tf-outputs', path)
    assert exit_info.value.code == 1


def test_digest_ignores_how_the_file_is_saved(tmp_path):
    state = {'a': torch.arange(6.).reshape(2, 3), 'b': torch.tensor(3)}
    torch.save({'state_dict': state}, tmp_path / 'x.pth')
    again = torch.load(tmp_path / 'x.pth', weights_only=True)['state_dict']
    assert state_dict_digest(again) == state_dict_digest({
        'b':
        torch.tensor(3),
        'a':
        torch.arange(6.).reshape(2, 3)
    })
    assert state_dict_digest(state) != state_dict_digest({
        'a':
        torch.arange(6.).reshape(3, 2),
        'b':
        torch.tensor(3)
    })


def test_unknown_checkpoint_lists_the_folder(tool, capsys):
    folder = data_path('tf_cvrl', 'cvrl_reduced')
    with pytest.raises(TFCheckpointError, match='cvrl_reduced_backbone-1'):
        run(tool, capsys, osp.join(folder, 'r3d_1x_k400_200ep_backbone-1'),
            'unused')


def test_check_without_tf_names_the_options(tool, tmp_path, capsys):
    if importlib.util.find_spec('tensorflow') is not None:
        pytest.skip('TensorFlow is importable: --check would run it')
    with pytest.raises(SystemExit) as exit_info:
        run(tool, capsys, data_path('tf_cvrl', 'cvrl_reduced'), tmp_path,
            '--check', '--clip-shape', 1, 16, 40, 32)
    assert '--tf-python' in str(exit_info.value.code)
    assert '--tf-outputs' in str(exit_info.value.code)
