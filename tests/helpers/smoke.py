# Copyright (c) constcl_mm authors. All rights reserved.
"""Runs of ``tools/train.py`` / ``tools/test.py --smoke`` in this process
(importing the stack once keeps the smoke tests short)."""
import glob
import os.path as osp
import runpy
import sys
from typing import Sequence

from helpers.paths import REPO_ROOT


def run_tool(tool: str, config: str, args: Sequence[str],
             work_dir: str) -> str:
    """Runs ``tools/<tool> config *args --work-dir work_dir`` as its command
    line does and returns the run's log."""
    argv = sys.argv
    sys.argv = [tool, str(config), *args, '--work-dir', str(work_dir)]
    try:
        runpy.run_path(osp.join(REPO_ROOT, 'tools', tool), run_name='__main__')
    finally:
        sys.argv = argv
    logs = sorted(glob.glob(osp.join(str(work_dir), '*', '*.log')))
    assert logs, f'{tool} wrote no log in {work_dir}'
    with open(logs[-1]) as f:
        return f.read()


def smoke_train(config: str, options: Sequence[str], work_dir: str) -> str:
    """``tools/train.py CONFIG --smoke --cfg-options ...``; its log."""
    return run_tool('train.py', config, ['--smoke', '--cfg-options', *options],
                    work_dir)
