# Copyright (c) constcl_mm authors. All rights reserved.
"""``make install-mim``: the regular (non-editable) install of the checkout
that mim needs, and the way back to ``make install``'s editable one.

mim itself on such an install (configs and tools inside
``<site-packages>/constcl_mm/.mim``) is run by
``test_wheel.py::test_mim_train_finds_a_packaged_config_by_name``; an
editable install has only its metadata there, which is why mim cannot find
its tools (``mim train`` stops with "can not find the config file in
codebase constcl_mm")."""
import os
import os.path as osp
import shutil
import subprocess

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.mark.skipif(shutil.which('make') is None, reason='needs make')
def test_install_mim_target(tmp_path):
    venv = str(tmp_path / 'venv')
    # under `make test` the parent make's variables would turn this into a
    # sub-make that prints "make[1]: Entering directory" first
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ('MAKEFLAGS', 'MAKELEVEL', 'MFLAGS', 'MAKEOVERRIDES')
    }
    out = subprocess.run(
        ['make', '--no-print-directory', '-n', 'install-mim', f'VENV={venv}'],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True).stdout
    lines = out.replace('\\\n', ' ').splitlines()
    pip = [line for line in lines if ' -m pip install ' in line]
    assert len(pip) == 1, out
    words = pip[0].split()
    assert words[0] == f'{venv}/bin/python'
    assert '-e' not in words and '--editable' not in words
    assert words[-1] == ROOT and '--no-deps' in words
    assert '--force-reinstall' in words  # replaces the editable install
    # the install stamp goes, so that `make install` re-installs editable
    assert f'rm -f {venv}/.constcl_mm_install' in lines
    assert lines.index(pip[0]) > 0  # after the install step
    assert 'bash tools/install.sh' in lines[0]
