# Copyright (c) constcl_mm authors. All rights reserved.
"""Every config loads; user configs outside the repo inherit ours."""
import glob
import os.path as osp

import pytest
from helpers.paths import REPO_ROOT
from mmengine.config import Config

CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def test_runtime_base_registers_the_plugin():
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'default_runtime.py'))
    assert cfg.default_scope == 'mmaction'
    assert cfg.custom_imports == dict(
        imports=['constcl_mm'], allow_failed_imports=False)


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, REPO_ROOT) for p in CONFIGS])
def test_config_loads(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmaction'
    assert 'constcl_mm' in cfg.custom_imports['imports']


def test_user_config_outside_repo_inherits(tmp_path):
    base = osp.join(REPO_ROOT, 'configs', '_base_', 'default_runtime.py')
    user = tmp_path / 'my_experiment.py'
    user.write_text(f"_base_ = [{base!r}]\n"
                    "default_hooks = dict(logger=dict(interval=5))\n"
                    "work_dir = './work_dirs/mine'\n")
    cfg = Config.fromfile(str(user))
    assert cfg.default_hooks.logger.interval == 5
    assert cfg.default_hooks.logger.type == 'LoggerHook'  # merged, not lost
    assert cfg.default_scope == 'mmaction'
    assert cfg.work_dir == './work_dirs/mine'
