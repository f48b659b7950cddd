# Copyright (c) constcl_mm authors. All rights reserved.
import os.path as osp
import re
import subprocess
import sys

import pytest
from helpers.paths import REPO_ROOT


def test_get_flops_prints_the_spec_figures():
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'analysis', 'get_flops.py'),
        osp.join(REPO_ROOT, 'configs', 'constcl', 'pretrain.py')
    ],
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert 'trainable 71,665,572' in out
    # Table 6's convention (backbone BN statistics, trainable heads)
    assert 'trainable heads): 71,741,220 = 71.7 M' in out
    forward = float(
        re.search(r'pretraining forward MACs per video .*: '
                  r'([\d.]+) G', out).group(1))
    # two clips through the Y backbone, plus the heads and the neck
    assert 2 * 55.28 < forward < 2 * 55.28 + 3
    assert re.search(r'backbone\s+trainable\s+51,879,744', out)
    trunk = float(
        re.search(r'single-branch trunk .*: ([\d.]+) G', out).group(1))
    assert trunk == pytest.approx(45.52, rel=0.01)
    y = float(
        re.search(r'backbone MACs on one 3x16x224x224 clip: ([\d.]+) G',
                  out).group(1))
    assert y == pytest.approx(55.28, rel=0.01)
    stages = dict(
        re.findall(r'^\s+(conv1|layer\d)\s+([\d.]+) G', out, flags=re.M))
    for name, ref in (('conv1', 4.72), ('layer1', 5.34), ('layer2', 8.22),
                      ('layer3', 17.47), ('layer4', 9.76)):
        assert float(stages[name]) == pytest.approx(ref, abs=0.01), name
