# Copyright (c) constcl_mm authors. All rights reserved.
"""A process killed while saving a checkpoint loses no run (issue 13)."""
import os.path as osp

import pytest
import torch
from helpers.reliability import TOY_CFG, TRAIN, logged_losses, run_python

# Runs tools/train.py with the checkpoint writer killing the process
# (os._exit, as kill -9: no cleanup) after half of the bytes of the
# checkpoint whose name contains CRASH_AT.
CRASHING_TRAIN = '''
import os, runpy, sys
from mmengine.fileio.backends import local_backend

crash_at = os.environ['CRASH_AT']
put = local_backend.LocalBackend.put


def put_then_die(self, obj, filepath):
    if crash_at in os.path.basename(str(filepath)):
        with open(filepath, 'wb') as f:
            f.write(obj[:len(obj) // 2])
        os._exit(9)
    return put(self, obj, filepath)


local_backend.LocalBackend.put = put_then_die
sys.argv = [sys.argv[1]] + sys.argv[2:]
runpy.run_path(sys.argv[0], run_name='__main__')
'''


def options(iters, keep=1):
    return [
        '--seed', '0', '--deterministic', '--cfg-options',
        f'train_cfg.max_iters={iters}', 'default_hooks.checkpoint.interval=2',
        f'default_hooks.checkpoint.max_keep_ckpts={keep}'
    ]


def train(work_dir, iters, extra=()):
    proc = run_python(
        [TRAIN, TOY_CFG, '--work-dir',
         str(work_dir), *extra, *options(iters)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_kill_during_save_then_resume_matches_uninterrupted(tmp_path):
    full, part = tmp_path / 'full', tmp_path / 'part'
    train(full, 6)

    driver = tmp_path / 'crashing_train.py'
    driver.write_text(CRASHING_TRAIN)
    proc = run_python(
        [str(driver), TRAIN, TOY_CFG, '--work-dir',
         str(part), *options(6)],
        CRASH_AT='iter_4.pth')
    assert proc.returncode == 9, proc.stderr[-3000:]

    # the previous checkpoint survives, whole, and is the one named
    assert not (part / 'iter_4.pth').exists()
    assert (part / 'last_checkpoint').read_text().strip() == \
        osp.join(str(part), 'iter_2.pth')
    ckpt = torch.load(part / 'iter_2.pth', weights_only=True)
    assert ckpt['meta']['iter'] == 2
    assert list(part.glob('.*.tmp')), 'the half-written file is the temp'

    resumed = train(part, 6, ['--resume'])
    assert 'interrupted checkpoint save' in resumed.stdout + resumed.stderr
    assert not list(part.glob('.*.tmp'))
    a, b = logged_losses(full), logged_losses(part)
    assert sorted(a) == [1, 2, 3, 4, 5, 6]
    for step in (3, 4, 5, 6):
        assert b[step] == pytest.approx(a[step], rel=1e-6, abs=1e-7), step
    # pruning happened only after the newer checkpoints were complete
    assert sorted(p.name for p in part.glob('iter_*.pth')) == ['iter_6.pth']


def test_kill_while_writing_last_checkpoint_keeps_it_valid(tmp_path):
    driver = tmp_path / 'crashing_train.py'
    driver.write_text(
        CRASHING_TRAIN.replace(
            'local_backend.LocalBackend.put = put_then_die', '''
import constcl_mm.engine.hooks.atomic_checkpoint_hook as hook_module
write_text = hook_module.atomic_write_text


def die_in_text(path, text):
    if crash_at in text:
        with open(path + '.partial', 'w') as f:
            f.write(text[:3])
        os._exit(9)
    write_text(path, text)


hook_module.atomic_write_text = die_in_text'''))
    work = tmp_path / 'work'
    proc = run_python([
        str(driver), TRAIN, TOY_CFG, '--work-dir',
        str(work), *options(6, keep=2)
    ],
                      CRASH_AT='iter_4.pth')
    assert proc.returncode == 9, proc.stderr[-3000:]
    assert (work /
            'last_checkpoint').read_text().strip().endswith('iter_2.pth')
    assert (work / 'iter_2.pth').exists() and (work / 'iter_4.pth').exists()
    train(work, 6, ['--resume'])
    assert (work /
            'last_checkpoint').read_text().strip().endswith('iter_6.pth')
