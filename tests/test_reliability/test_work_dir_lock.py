# Copyright (c) constcl_mm authors. All rights reserved.
"""Two runs on one work dir cannot both write (issue 25)."""
import hashlib
import json
import os
import socket
import subprocess
import sys
import time

import pytest
import torch
from helpers.reliability import TOY_CFG, TRAIN, run_env, run_python

from constcl_mm.engine.work_dir_lock import (LOCK_NAME, TAKE_OVER_ENV,
                                             WorkDirLock, WorkDirLockedError,
                                             _process_start)


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wait_for(path, proc, timeout=120.):
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f'the first run ended early: {proc.stderr.read()}')
        if time.monotonic() > deadline:
            pytest.fail(f'{path} never appeared')
        time.sleep(0.1)


def test_second_run_stops_and_the_first_run_keeps_its_checkpoints(tmp_path):
    work = tmp_path / 'work'
    first = subprocess.Popen([
        sys.executable, TRAIN, TOY_CFG, '--work-dir',
        str(work), '--cfg-options',
        'custom_hooks=[dict(type="PauseAtIterHook",at=2)]'
    ],
                             env=run_env(),
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE,
                             text=True)
    try:
        _wait_for(work / 'paused', first)
        lock = json.loads((work / LOCK_NAME).read_text())
        assert lock['pid'] == first.pid
        saved = {p.name: _digest(p) for p in work.glob('*.pth')}
        assert list(saved) == ['iter_2.pth']
        entries = set(os.listdir(work))

        for extra in ([], ['--resume']):
            second = run_python([TRAIN, TOY_CFG, '--work-dir',
                                 str(work)] + extra)
            assert second.returncode != 0
            err = second.stderr
            assert 'is in use by another training run' in err, err[-2000:]
            assert f'PID {first.pid}' in err
            assert f'host {socket.gethostname()}' in err
            assert f"since {lock['started']}" in err
            assert f'kill {first.pid}' in err and '--work-dir' in err
            # the second run wrote nothing: no log folder, no checkpoint
            assert set(os.listdir(work)) == entries
            assert {p.name: _digest(p) for p in work.glob('*.pth')} == saved
        (work / 'go_on').touch()
        assert first.wait(timeout=120) == 0, first.stderr.read()[-3000:]
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert not (work / LOCK_NAME).exists(), 'released at the end of the run'
    assert _digest(work / 'iter_2.pth') == saved['iter_2.pth']
    for name in ('iter_2.pth', 'iter_4.pth'):
        assert torch.load(work / name, weights_only=True)['state_dict']


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


def _write_lock(work, **info):
    work.mkdir(parents=True, exist_ok=True)
    holder = WorkDirLock(str(work)).info
    holder.update(info)
    (work / LOCK_NAME).write_text(json.dumps(holder))
    return holder


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    work = tmp_path / 'work'
    dead = _dead_pid()
    _write_lock(work, pid=dead, pid_start=None)
    proc = run_python([
        TRAIN, TOY_CFG, '--work-dir',
        str(work), '--cfg-options', 'train_cfg.max_iters=2'
    ])
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert 'Taking over the stale lock' in out and f'PID {dead}' in out
    assert (work / 'iter_2.pth').exists()
    assert not (work / LOCK_NAME).exists()


def test_reused_pid_is_stale(tmp_path):
    # our own PID, but a start time it never had: a PID reused since
    _write_lock(tmp_path, pid=os.getppid(), pid_start=1)
    with WorkDirLock(str(tmp_path)) as lock:
        assert json.loads(
            (tmp_path / LOCK_NAME).read_text())['pid'] == lock.info['pid']


def test_live_lock_on_this_host_is_never_taken_over(tmp_path, monkeypatch):
    monkeypatch.setenv(TAKE_OVER_ENV, '1')
    # the parent process: alive, with its true start time
    _write_lock(
        tmp_path, pid=os.getppid(), pid_start=_process_start(os.getppid()))
    with pytest.raises(WorkDirLockedError, match=f'PID {os.getppid()}'):
        WorkDirLock(str(tmp_path), take_over=True).acquire()


def test_lock_of_another_host_needs_the_override(tmp_path, monkeypatch):
    monkeypatch.delenv(TAKE_OVER_ENV, raising=False)
    _write_lock(tmp_path, host='gpu-node-7', pid=4242, boot_id='other')
    with pytest.raises(WorkDirLockedError) as err:
        WorkDirLock(str(tmp_path)).acquire()
    text = str(err.value)
    assert 'host gpu-node-7, PID 4242' in text
    assert '--take-over-lock' in text and TAKE_OVER_ENV in text
    assert json.loads((tmp_path / LOCK_NAME).read_text())['host'] == \
        'gpu-node-7', 'a refused run leaves the lock alone'

    monkeypatch.setenv(TAKE_OVER_ENV, '1')
    with WorkDirLock(str(tmp_path)) as lock:
        assert json.loads(
            (tmp_path / LOCK_NAME).read_text())['pid'] == lock.info['pid']
    assert not (tmp_path / LOCK_NAME).exists()


def test_lock_is_released_when_the_run_raises(tmp_path):
    with pytest.raises(KeyError):
        with WorkDirLock(str(tmp_path)):
            assert (tmp_path / LOCK_NAME).exists()
            raise KeyError('boom')
    assert not (tmp_path / LOCK_NAME).exists()
