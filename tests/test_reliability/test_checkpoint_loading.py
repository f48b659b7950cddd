# Copyright (c) constcl_mm authors. All rights reserved.
"""Loading and resuming checkpoints: weights only, named refusals."""
import pytest
import torch
from helpers.reliability import TOY_CFG
from mmengine.config import Config
from mmengine.logging import HistoryBuffer
from mmengine.runner import Runner

from constcl_mm import compat
from constcl_mm.engine.resume_checks import ResumeError


def toy_runner(work_dir, iters, resume=False, load_from=None):
    cfg = Config.fromfile(TOY_CFG)
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = iters
    cfg.default_hooks.checkpoint.interval = 2
    cfg.custom_hooks = []
    cfg.resume, cfg.load_from = resume, load_from
    return Runner.from_cfg(cfg)


@pytest.fixture(scope='module')
def toy_checkpoint(tmp_path_factory):
    """A runner checkpoint whose message hub holds never-updated buffers."""
    work = tmp_path_factory.mktemp('toy')
    runner = toy_runner(work, 2)
    runner.train()
    hub = runner.message_hub
    # (under val/: mmengine's train logger cannot print an empty buffer,
    # and this toy run never validates)
    hub._log_scalars['val/never_updated'] = HistoryBuffer()
    hub.update_info('empty_array', __import__('numpy').zeros((0, 5)))
    runner.save_checkpoint(str(work), 'empty.pth')
    return work / 'empty.pth'


def test_empty_history_buffer_resumes_with_weights_only(
        toy_checkpoint, tmp_path, monkeypatch):
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get('weights_only'))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, 'load', spy)
    runner = toy_runner(
        tmp_path, 4, resume=True, load_from=str(toy_checkpoint))
    runner.train()
    assert calls and all(c is True for c in calls)
    assert runner.iter == 4
    assert runner.message_hub.get_info('empty_array').shape == (0, 5)


class _Bytes:
    """Pickles as ``builtins.bytes(n)``: a big allocation if allowed."""

    def __reduce__(self):
        return (bytes, (10**6, ))


def test_bytes_with_arguments_is_refused(tmp_path):
    path = tmp_path / 'alloc.pth'
    torch.save({'x': _Bytes()}, path)
    with pytest.raises(compat.CheckpointSafetyError):
        compat.safe_torch_load(str(path))


def test_resume_of_a_state_dict_only_file_is_named(toy_checkpoint, tmp_path):
    weights = tmp_path / 'weights_only.pth'
    ckpt = torch.load(toy_checkpoint, weights_only=True)
    torch.save(ckpt['state_dict'], weights)
    runner = toy_runner(tmp_path / 'w', 4, resume=True, load_from=str(weights))
    with pytest.raises(ResumeError, match='not a runner checkpoint') as err:
        runner.train()
    assert str(weights) in str(err.value) and 'load_from' in str(err.value)
    # the same file is fine as load_from (a new run from those weights)
    toy_runner(tmp_path / 'w2', 2, load_from=str(weights)).train()


def test_resume_of_another_models_checkpoint_is_named(toy_checkpoint,
                                                      tmp_path):
    """As a CVRL checkpoint (no neck, no region head) into ConST-CL."""
    ckpt = torch.load(toy_checkpoint, weights_only=True)
    for key in [k for k in ckpt['state_dict'] if k.startswith('bn.')]:
        del ckpt['state_dict'][key]
    ckpt['state_dict']['neck.proj.weight'] = torch.ones(2, 2)
    ckpt['meta']['cfg'] = "model = dict(type='CVRL')\n"
    other = tmp_path / 'other_model.pth'
    torch.save(ckpt, other)
    runner = toy_runner(tmp_path / 'w', 4, resume=True, load_from=str(other))
    before = {k: v.clone() for k, v in runner.model.state_dict().items()}
    with pytest.raises(ResumeError, match='another model') as err:
        runner.train()
    text = str(err.value)
    assert str(other) in text and "'CVRL'" in text and 'ToyRegressor' in text
    assert 'bn.weight' in text and 'neck.proj.weight' in text
    for key, value in runner.model.state_dict().items():
        assert torch.equal(value, before[key]), f'{key} was partly loaded'
