# Copyright (c) constcl_mm authors. All rights reserved.
"""``--cfg-options``: literal dicts, misspelt keys and type errors
(issue 25; issue 27 item 1 for the documented TensorBoard line)."""
import argparse
import importlib.util
import os.path as osp
import runpy
import shlex
import sys

import pytest
from helpers.paths import REPO_ROOT
from helpers.reliability import TOY_CFG, TRAIN, run_python
from mmengine.config import Config

from constcl_mm.utils.cfg_options import (CfgOptionError, CfgOptionsAction,
                                          check_cfg_options, merge_cfg_options,
                                          parse_option_value,
                                          warn_misspelt_config_keys)


def _documented_tensorboard_options():
    """The ``--cfg-options`` words of the TensorBoard line of
    docs/logging.md."""
    with open(osp.join(REPO_ROOT, 'docs', 'logging.md')) as f:
        line = next(
            line for line in f if line.startswith('python tools/train.py')
            and 'TensorboardVisBackend' in line)
    words = shlex.split(line)
    return words[words.index('--cfg-options') + 1:]


def test_documented_tensorboard_line_writes_event_files(tmp_path):
    if importlib.util.find_spec('tensorboard') is None:
        pytest.fail('tensorboard is missing: pip install -r '
                    'requirements/tests.txt')
    options = _documented_tensorboard_options()
    work = tmp_path / 'work'
    proc = run_python([
        TRAIN, TOY_CFG, '--work-dir',
        str(work), '--cfg-options', *options, 'train_cfg.max_iters=2'
    ])
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = list(work.glob('*/vis_data/events.out.tfevents.*'))
    assert events and events[0].stat().st_size > 0
    assert list(work.glob('*/vis_data/scalars.json'))


@pytest.mark.parametrize(
    'text, value',
    [
        ("[dict(type='LocalVisBackend'),dict(type='TensorboardVisBackend')]",
         [dict(type='LocalVisBackend'),
          dict(type='TensorboardVisBackend')]),
        ("dict(type='SGD', lr=0.1, betas=(0.9, 0.99))",
         dict(type='SGD', lr=0.1, betas=(0.9, 0.99))),
        ("{'a': [1, -2.5, None]}", {
            'a': [1, -2.5, None]
        }),
        ("dict(name='a b')", dict(name='a b')),  # spaces inside strings kept
        # mmengine's forms keep their meaning
        ('1,2,3', [1, 2, 3]),
        ('[a,b]', ['a', 'b']),
        ('[(1,2),[a,b],c]', [(1, 2), ['a', 'b'], 'c']),
        ('(1,2)', (1, 2)),
        ('true', True),
        ('None', None),
        ('1e8', 1e8),
        ('abc', 'abc'),
    ])
def test_values_are_parsed(text, value):
    assert parse_option_value(text) == value


@pytest.mark.parametrize('text', [
    "dict(type=LocalVisBackend)", "[dict(type='A', f=open('x'))]", "dict(**x)",
    "{'a': __import__('os')}"
])
def test_non_literal_dicts_are_refused_without_evaluation(text):
    with pytest.raises(CfgOptionError, match='quote strings'):
        parse_option_value(text)


def test_action_builds_a_dict():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    args = parser.parse_args(
        ['--cfg-options', "a.b=[dict(type='X')]", 'c=1', 'd=x,y'])
    assert args.cfg_options == {
        'a.b': [dict(type='X')],
        'c': 1,
        'd': ['x', 'y']
    }


@pytest.fixture
def toy_cfg():
    return Config.fromfile(TOY_CFG)


def test_misspelt_top_level_key_is_refused_with_the_closest(toy_cfg):
    with pytest.raises(CfgOptionError) as err:
        check_cfg_options(toy_cfg, {'train_dataloder.batch_size': 2})
    text = str(err.value)
    assert "'train_dataloder'" in text and "'train_dataloader'" in text
    # runner settings absent from the file are valid
    merge_cfg_options(toy_cfg, {
        'auto_scale_lr.base_batch_size': 8,
        'find_unused_parameters': True
    })
    assert toy_cfg.auto_scale_lr.base_batch_size == 8


@pytest.mark.parametrize('key, value, expected', [
    ('train_cfg.max_iters', 'abc', 'a number'),
    ('optim_wrapper.optimizer.lr', 'x', 'a number'),
    ('train_dataloader.persistent_workers', 3, 'a bool'),
    ('visualizer.vis_backends', ["dict(type='LocalVisBackend')"
                                 ], 'a list of dicts'),
])
def test_type_errors_name_key_value_and_type(toy_cfg, key, value, expected):
    with pytest.raises(CfgOptionError) as err:
        check_cfg_options(toy_cfg, {key: value})
    text = str(err.value)
    assert key in text and repr(value) in text and expected in text


def test_accepted_overrides_are_merged(toy_cfg):
    merge_cfg_options(
        toy_cfg, {
            'train_cfg.max_iters': 6,
            'optim_wrapper.optimizer.lr': 1,
            'val_cfg': None,
            'visualizer.vis_backends': [dict(type='LocalVisBackend')]
        })
    assert toy_cfg.train_cfg.max_iters == 6
    assert toy_cfg.optim_wrapper.optimizer.lr == 1
    merge_cfg_options(toy_cfg, {
        'train_cfg.max_iters': 2e5,
        'optim_wrapper.optimizer.lr': 0.5
    })
    assert type(toy_cfg.train_cfg.max_iters) is int
    assert toy_cfg.train_cfg.max_iters == 200000
    assert toy_cfg.optim_wrapper.optimizer.lr == 0.5


@pytest.mark.parametrize('option, words', [
    ('train_dataloder.batch_size=2',
     ["'train_dataloder'", "'train_dataloader'"]),
    ('train_cfg.max_iters=abc', ['train_cfg.max_iters', "'abc'", 'a number']),
])
def test_train_refuses_before_building_the_runner(tmp_path, monkeypatch,
                                                  option, words):
    work = tmp_path / 'work'
    monkeypatch.setattr(
        sys, 'argv',
        [TRAIN, TOY_CFG, '--work-dir',
         str(work), '--cfg-options', option])
    with pytest.raises(CfgOptionError) as err:
        runpy.run_path(TRAIN, run_name='__main__')
    for word in words:
        assert word in str(err.value)
    assert not work.exists(), 'refused before the runner wrote anything'


def test_misspelt_key_in_a_config_file_warns(tmp_path):
    path = tmp_path / 'typo.py'
    path.write_text(f'_base_ = [{TOY_CFG!r}]\n'
                    'train_dataloder = dict(batch_size=2)\n')
    messages = warn_misspelt_config_keys(Config.fromfile(str(path)))
    assert len(messages) == 1
    assert "'train_dataloder'" in messages[0] and \
        "'train_dataloader'" in messages[0] and 'typo.py' in messages[0]
    # the helper variables of every shipped config pass quietly
    assert warn_misspelt_config_keys(
        Config.fromfile(
            osp.join(REPO_ROOT, 'configs', 'constcl',
                     'constcl_r3d50y_1xb4-16x2x2-100it_demo.py'))) == []


def test_test_tool_shares_the_checks(tmp_path, monkeypatch):
    tool = osp.join(REPO_ROOT, 'tools', 'test.py')
    monkeypatch.setattr(sys, 'argv', [
        tool, TOY_CFG,
        str(tmp_path / 'none.pth'), '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', 'test_dataloder.batch_size=1'
    ])
    with pytest.raises(CfgOptionError, match="did you mean 'test_dataloader'"):
        runpy.run_path(tool, run_name='__main__')
