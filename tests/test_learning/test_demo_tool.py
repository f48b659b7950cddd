# Copyright (c) constcl_mm authors. All rights reserved.
"""`make demo` (tools/demo.py) on the synthetic world: runs and reports both
branches next to their chance levels."""
import os
import os.path as osp
import re
import subprocess
import sys


def test_demo_prints_both_branches_against_chance(repo_root, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='2')
    out = subprocess.run([
        sys.executable,
        osp.join(repo_root, 'tools', 'demo.py'), '--iters', '6', '--work-dir',
        str(tmp_path)
    ],
                         cwd=repo_root,
                         env=env,
                         capture_output=True,
                         text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout
    assert 'synthetic world (seed 0' in text
    local = re.search(r'local loss .*chance ln\(1 \+ 8 x 7\) = 4\.043', text)
    assert local, text
    assert re.search(r'global accuracy .*chance 0\.12', text), text
    assert re.search(r'global loss .*uniform plateau 5\.416', text), text
    assert osp.isfile(osp.join(tmp_path, 'iter_6.pth'))
