# Copyright (c) constcl_mm authors. All rights reserved.
"""The stack fixes: DRN module, mmcv ops check, weights-only checkpoints."""
import os
import os.path as osp
import subprocess
import sys
import textwrap

import pytest
import torch
from helpers.paths import REPO_ROOT, TOY_CFG
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.runner.checkpoint import CheckpointLoader

from constcl_mm import compat


def test_drn_module_is_provided():
    import mmaction.models  # noqa: F401  (imports localizers.drn)
    from mmaction.models.localizers import DRN
    with pytest.raises(RuntimeError, match='mmaction2 1.2.0 wheel'):
        DRN()


def test_mmaction_models_build_after_import():
    from mmaction.registry import MODELS
    head = MODELS.build(dict(type='I3DHead', num_classes=3, in_channels=8))
    assert head.fc_cls.out_features == 3


def test_missing_mmcv_ops_fail_at_import_with_the_fix():
    code = textwrap.dedent("""
        import importlib.abc, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == 'mmcv._ext':
                    raise ImportError('blocked for the test')
        sys.meta_path.insert(0, Block())
        import constcl_mm
    """)
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          cwd=REPO_ROOT)
    assert proc.returncode != 0
    assert 'without its compiled ops' in proc.stderr
    assert 'MMCV_WITH_OPS=1' in proc.stderr


def _train_toy(work_dir, max_iters, resume=False, load_from=None):
    cfg = Config.fromfile(TOY_CFG)
    cfg.work_dir = str(work_dir)
    # runners created within one second would share their message hub
    cfg.experiment_name = f'{osp.basename(work_dir)}_{max_iters}_{resume}'
    cfg.train_cfg.max_iters = max_iters
    cfg.param_scheduler = [
        dict(type='CosineAnnealingLR', T_max=4, by_epoch=False, end=4)
    ]
    cfg.resume = resume
    cfg.load_from = load_from
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test_runner_checkpoint_resumes_with_weights_only(tmp_path, monkeypatch):
    full = _train_toy(tmp_path / 'full', 4)
    _train_toy(tmp_path / 'part', 2)
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get('weights_only'))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, 'load', spy)
    resumed = _train_toy(
        tmp_path / 'part',
        4,
        resume=True,
        load_from=str(tmp_path / 'part' / 'iter_2.pth'))
    assert calls and all(c is True for c in calls)
    assert resumed.iter == 4
    for (name, a), b in zip(full.model.state_dict().items(),
                            resumed.model.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name
    # the message hub (HistoryBuffer with numpy data) came back too
    hub = resumed.message_hub.log_scalars
    assert 'train/loss' in hub and len(hub['train/loss'].data[0]) == 4


class _Evil:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_malicious_checkpoint_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': _Evil(marker)}, path)
    with pytest.raises(
            compat.CheckpointSafetyError,
            match='Refused to load checkpoint') as info:
        CheckpointLoader.load_checkpoint(str(path))
    assert str(path) in str(info.value)
    assert not marker.exists()
    # and through a runner's load_from as well
    cfg = Config.fromfile(TOY_CFG)
    cfg.work_dir = str(tmp_path / 'w')
    cfg.load_from = str(path)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(compat.CheckpointSafetyError):
        runner.load_or_resume()
    assert not marker.exists()


class _Getattr:
    """Pickles as ``builtins.getattr(obj, name)``."""

    def __init__(self, obj, name):
        self.obj, self.name = obj, name

    def __reduce__(self):
        return (getattr, (self.obj, self.name))


def test_getattr_is_served_only_for_history_buffer(tmp_path):
    from mmengine.logging import HistoryBuffer
    ok = tmp_path / 'ok.pth'
    torch.save({'m': _Getattr(HistoryBuffer, 'mean')}, ok)
    assert compat.safe_torch_load(str(ok))['m'] is HistoryBuffer.mean
    # the allow-listed getattr must not walk anywhere else
    bad = tmp_path / 'bad.pth'
    torch.save({'m': _Getattr(HistoryBuffer, '__init__')}, bad)
    with pytest.raises(compat.CheckpointSafetyError, match='__init__'):
        compat.safe_torch_load(str(bad))
    with pytest.raises(compat.CheckpointSafetyError):
        compat._history_buffer_getattr(os, 'system')


def test_corrupt_checkpoint_names_the_file(tmp_path):
    path = tmp_path / 'truncated.pth'
    torch.save({'w': torch.ones(100)}, path)
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(RuntimeError, match='truncated.pth'):
        CheckpointLoader.load_checkpoint(str(path))


def test_missing_checkpoint_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothere.pth'):
        CheckpointLoader.load_checkpoint(str(tmp_path / 'nothere.pth'))
