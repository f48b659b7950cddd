# Copyright (c) constcl_mm authors. All rights reserved.
"""A wheel install keeps every config and tool, and runs a config by its
``constcl_mm::`` name from outside the checkout.

Builds the wheel from a copy of the sources (what an sdist holds), installs it
with ``--no-deps`` into a fresh venv that reuses this environment's stack
(a ``.pth`` line naming its site-packages: a plain path, so the editable
install's finder in there is not run), then, from a temporary folder with
``PYTHONPATH`` unset, trains a user config inheriting a packaged mini config
for 2 iterations through the ``constcl-train`` console script.
"""
import glob
import os
import os.path as osp
import shutil
import site
import subprocess
import sys
import textwrap

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SOURCES = ('constcl_mm', 'configs', 'tools', 'requirements', 'setup.py',
           'setup.cfg', 'README.md', 'MANIFEST.in', 'model-index.yml',
           'LICENSE')
MINI = 'mini/constcl_r3d50y-w16_1xb8-16x2x2-400it_synthetic.py'
USER_CONFIG = textwrap.dedent(f"""\
    _base_ = 'constcl_mm::{MINI}'
    train_dataloader = dict(batch_size=2, dataset=dict(num_videos=4))
    model = dict(neck=dict(context_length=1))
    train_cfg = dict(max_iters=2, val_interval=2)
    default_hooks = dict(logger=dict(interval=1),
                         checkpoint=dict(interval=2))
    """)


def _env() -> dict:
    env = {
        k: v
        for k, v in os.environ.items() if k not in ('PYTHONPATH', 'PYTHONHOME')
    }
    env['OMP_NUM_THREADS'] = env.get('OMP_NUM_THREADS', '2')
    return env


def _run(cmd, cwd, timeout=900) -> str:
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout)
    assert proc.returncode == 0, (
        f'{cmd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n'
        f'{proc.stderr[-3000:]}')
    return proc.stdout


@pytest.fixture(scope='module')
def wheel_venv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('wheel')
    src = tmp / 'src'
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim',
                                    'work_dirs', '*.pth')
    for name in SOURCES:
        path = osp.join(ROOT, name)
        if osp.isdir(path):
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy(path, src / name)
    _run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps',
        '--no-build-isolation', '--disable-pip-version-check', '-w',
        str(tmp / 'dist'),
        str(src)
    ],
         cwd=str(tmp))
    wheels = glob.glob(str(tmp / 'dist' / 'constcl_mm-*.whl'))
    assert len(wheels) == 1, wheels
    venv = tmp / 'venv'
    _run([
        sys.executable, '-m', 'venv', '--without-pip',
        '--system-site-packages',
        str(venv)
    ],
         cwd=str(tmp))
    py = str(venv / 'bin' / 'python')
    purelib = _run([
        py, '-c', 'import sysconfig; '
        'print(sysconfig.get_paths()["purelib"])'
    ],
                   cwd=str(tmp)).strip()
    stack = [p for p in site.getsitepackages() if osp.isdir(p)]
    with open(osp.join(purelib, '_constcl_test_stack.pth'), 'w') as f:
        f.write('\n'.join(stack) + '\n')
    _run([
        py, '-m', 'pip', 'install', '--no-deps', '--no-index',
        '--disable-pip-version-check', wheels[0]
    ],
         cwd=str(tmp))
    user = tmp / 'user'
    user.mkdir()
    return dict(venv=venv, py=py, purelib=purelib, user=user)


def test_wheel_ships_configs_tools_and_index(wheel_venv):
    out = _run([
        wheel_venv['py'], '-c', 'import constcl_mm, constcl_mm.mim as m; '
        'print(constcl_mm.__file__); print(m.mim_root())'
    ],
               cwd=str(wheel_venv['user']))
    pkg_file, mim_root = out.strip().splitlines()[-2:]
    # the wheel's copy, not the editable checkout
    assert pkg_file.startswith(wheel_venv['purelib']), pkg_file
    assert mim_root == osp.join(wheel_venv['purelib'], 'constcl_mm', '.mim')
    assert not osp.islink(osp.join(mim_root, 'configs'))
    for folder in ('configs', 'tools'):
        want = {
            osp.relpath(p, osp.join(ROOT, folder))
            for p in glob.glob(
                osp.join(ROOT, folder, '**', '*.*'), recursive=True)
            if '__pycache__' not in p and not p.endswith('.pyc')
        }
        got = {
            osp.relpath(p, osp.join(mim_root, folder))
            for p in glob.glob(
                osp.join(mim_root, folder, '**', '*.*'), recursive=True)
        }
        assert want - got == set(), f'{folder} missing from the wheel'
    assert osp.isfile(osp.join(mim_root, 'model-index.yml'))
    # what `mim train constcl_mm CONFIG` runs: <installed path>/.mim/tools
    out = _run([
        wheel_venv['py'], '-c', 'from mim.utils import get_installed_path; '
        'print(get_installed_path("constcl_mm"))'
    ],
               cwd=str(wheel_venv['user']))
    assert osp.isfile(
        osp.join(out.strip().splitlines()[-1], '.mim', 'tools', 'train.py'))
    path = _run([
        str(wheel_venv['venv'] / 'bin' / 'constcl-config'),
        'constcl/pretrain.py'
    ],
                cwd=str(wheel_venv['user']))
    assert path.strip() == osp.join(mim_root, 'configs', 'constcl',
                                    'pretrain.py')


def test_user_config_by_package_name_trains_from_wheel(wheel_venv):
    user = wheel_venv['user']
    (user / 'my_pretrain.py').write_text(USER_CONFIG)
    _run([
        str(wheel_venv['venv'] / 'bin' / 'constcl-train'), 'my_pretrain.py',
        '--work-dir', 'wd'
    ],
         cwd=str(user),
         timeout=1500)
    assert osp.isfile(user / 'wd' / 'iter_2.pth')
    logs = glob.glob(str(user / 'wd' / '*' / 'vis_data' / 'scalars.json'))
    assert logs and '"loss"' in open(logs[0]).read()


def test_mim_train_finds_a_packaged_config_by_name(wheel_venv):
    """``mim train constcl_mm NAME``: mim looks the file name up in the
    installed package (the wheel's ``.mim/configs``) and runs the wheel's
    ``.mim/tools/train.py`` on the CPU."""
    user = wheel_venv['user']
    out = _run([
        wheel_venv['py'], '-m', 'mim', 'train', 'constcl_mm',
        osp.basename(MINI), '--work-dir', 'wd_mim', '--cfg-options',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'train_dataloader.batch_size=2',
        'train_dataloader.dataset.num_videos=4', 'model.neck.context_length=1',
        'default_hooks.checkpoint.interval=2'
    ],
               cwd=str(user),
               timeout=1500)
    found = osp.join(wheel_venv['purelib'], 'constcl_mm', '.mim', 'configs',
                     MINI)
    assert found in out, out[-2000:]
    assert osp.isfile(user / 'wd_mim' / 'iter_2.pth')
    # `mim test` runs the same folder's test.py
    assert osp.isfile(
        osp.join(wheel_venv['purelib'], 'constcl_mm', '.mim', 'tools',
                 'test.py'))
