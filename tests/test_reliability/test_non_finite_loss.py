# Copyright (c) constcl_mm authors. All rights reserved.
"""A NaN/Inf loss stops the run with the last good checkpoint intact."""
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch
from helpers.reliability import REPO_ROOT, TOY_CFG, TRAIN, run_env, run_python
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from constcl_mm.engine.hooks import NonFiniteLossError, NonFiniteLossHook


def test_exploding_lr_stops_before_saving_nan_weights(tmp_path):
    work = tmp_path / 'work'
    # the loss is NaN from iteration 3 on (lr 1e8); the run has 3 iterations
    # so that, without the guard, the last-iteration save writes NaN weights
    proc = run_python([
        TRAIN, TOY_CFG, '--work-dir',
        str(work), '--cfg-options', 'optim_wrapper.optimizer.lr=1e8',
        'train_cfg.max_iters=3', 'param_scheduler=[]'
    ])
    assert proc.returncode != 0
    err = proc.stderr
    assert 'non-finite loss at iteration 3/3' in err, err[-3000:]
    assert 'loss=nan' in err and 'learning rate: lr 1e+08' in err
    assert str(work / 'iter_2.pth') in err, 'names the last good checkpoint'
    assert sorted(p.name for p in work.glob('*.pth')) == ['iter_2.pth']
    assert (work /
            'last_checkpoint').read_text().strip().endswith('iter_2.pth')
    ckpt = torch.load(work / 'iter_2.pth', weights_only=True)
    assert ckpt['meta']['iter'] == 2
    assert all(
        torch.isfinite(v).all() for v in ckpt['state_dict'].values()
        if v.is_floating_point())


def toy_runner(work_dir, iters=6, nan_calls=(), **hook):
    cfg = Config.fromfile(TOY_CFG)
    cfg.work_dir = str(work_dir)
    # runners built within one second would share a message hub
    cfg.experiment_name = f'non_finite_{osp.basename(str(work_dir))}'
    cfg.model = dict(type='NaNAtCallsRegressor', nan_calls=nan_calls)
    cfg.train_cfg.max_iters = iters
    cfg.param_scheduler = []
    cfg.custom_hooks = []
    cfg.default_hooks.checkpoint.interval = 2
    cfg.default_hooks.non_finite_loss.update(hook)
    return Runner.from_cfg(cfg)


class WeightsAfterIter(Hook):
    """Records the model's state after every iteration (runs last)."""

    def __init__(self) -> None:
        self.seen = {}

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        self.seen[runner.iter] = {
            k: v.clone()
            for k, v in runner.model.state_dict().items()
        }


def test_skip_leaves_weights_and_bn_statistics_alone(tmp_path):
    runner = toy_runner(tmp_path, nan_calls=(3, 4), action='skip', max_skips=2)
    recorder = WeightsAfterIter()
    runner.register_hook(recorder, priority='LOWEST')
    runner.train()
    assert runner.message_hub.get_info('non_finite_skips') == 2
    seen = recorder.seen
    # iterations 3 and 4 (0-based 2, 3) changed nothing, 5 trained again
    for key in seen[1]:
        assert torch.equal(seen[2][key], seen[1][key]), key
        assert torch.equal(seen[3][key], seen[1][key]), key
    assert not torch.equal(seen[4]['linear.weight'], seen[3]['linear.weight'])
    for value in seen[5].values():
        assert torch.isfinite(value.float()).all()
    assert (tmp_path / 'iter_6.pth').exists()


def test_skip_stops_after_max_skips(tmp_path):
    runner = toy_runner(tmp_path, nan_calls=(2, 3), action='skip', max_skips=1)
    with pytest.raises(
            NonFiniteLossError, match='more than max_skips=1.*iteration 3/6'):
        runner.train()
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['iter_2.pth']


def test_stop_is_the_default_and_names_the_terms(tmp_path):
    runner = toy_runner(tmp_path, nan_calls=(5, ))
    with pytest.raises(NonFiniteLossError) as err:
        runner.train()
    text = str(err.value)
    assert 'iteration 5/6' in text and 'loss=nan' in text and 'lr 0.01' in text
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == \
        ['iter_2.pth', 'iter_4.pth']


def test_checkpoint_of_nan_weights_is_refused(tmp_path):
    runner = toy_runner(tmp_path, iters=2)
    runner.train()
    with torch.no_grad():
        runner.model.linear.weight[0, 0] = float('inf')
    with pytest.raises(NonFiniteLossError, match='linear.weight'):
        runner.save_checkpoint(str(tmp_path), 'bad.pth')
    assert not (tmp_path / 'bad.pth').exists()


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="'stop', 'skip'"):
        NonFiniteLossHook(action='ignore')
    with pytest.raises(ValueError, match='max_skips'):
        NonFiniteLossHook(max_skips=-1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_a_nan_on_one_process_is_skipped_by_every_process(tmp_path):
    """Rank 1 alone has a NaN loss at its 3rd step: both processes skip that
    step (one all-reduced flag), so neither waits in a gradient all-reduce
    the other never joins, and the weights stay equal."""
    work = tmp_path / 'dist'
    proc = subprocess.run([
        'bash',
        osp.join(REPO_ROOT, 'tools',
                 'dist_train.sh'), TOY_CFG, '2', '--work-dir',
        str(work), '--cfg-options', 'model.type=NaNAtCallsRegressor',
        'model.nan_calls=[3]', 'model.nan_rank=1',
        "default_hooks.non_finite_loss.action='skip'"
    ],
                          env=run_env(
                              PORT=str(_free_port()), PYTHON=sys.executable),
                          capture_output=True,
                          text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    log = next(work.glob('*/*.log')).read_text()
    assert 'Skipped the optimizer step (1/10' in log
    assert 'non-finite loss at iteration 3/4' in log
    ckpt = torch.load(work / 'iter_4.pth', weights_only=True)
    assert ckpt['message_hub']['runtime_info']['non_finite_skips'] == 1
