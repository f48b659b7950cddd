# Copyright (c) constcl_mm authors. All rights reserved.
"""tools/train.py on GOT-10k-format pairs of generated OTB-style frames, then
tools/test.py (OPE) on the generated sequence Crossing (helpers.otb)."""
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
from helpers.otb import crossing_boxes_file, crossing_dir
from helpers.paths import REPO_ROOT
from helpers.tracking import make_got10k_fixture

from constcl_mm.datasets import load_sot_bboxes
from constcl_mm.evaluation import eval_sot_ope

CONFIG = osp.join(
    REPO_ROOT, 'configs', 'tracking', 'siamfc',
    'siamfc_r3d50y-local-finetune_1xb8-5x1x1-50e_got10k-otb100.py')


def run(args, timeout=900):
    # one thread: several test runs share 2 cores, OpenMP spinning hurts
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable] + args,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Two iterations of fine-tuning (batch 2) on Crossing-cut pairs."""
    tmp = tmp_path_factory.mktemp('siamfc_train')
    got = tmp / 'got10k'
    got.mkdir()
    make_got10k_fixture(str(got), crossing_dir())
    work_dir = tmp / 'work'
    out = run([
        osp.join(REPO_ROOT, 'tools', 'train.py'), CONFIG, '--work-dir',
        str(work_dir), '--no-validate', '--seed', '0', '--cfg-options',
        f'train_dataloader.dataset.data_root={got}',
        'train_dataloader.dataset.ann_file=list.txt',
        'train_dataloader.dataset.data_prefix.img_path=',
        'train_dataloader.dataset.pairs_per_seq=2',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'train_dataloader.dataset.pipeline.1.exemplar_size=31',
        'train_dataloader.dataset.pipeline.1.search_size=63',
        'model.test_cfg.exemplar_size=31', 'model.test_cfg.search_size=63',
        'model.test_cfg.response_size=5', 'model.backbone.with_cp=False',
        'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1'
    ])
    return work_dir, out


def test_train_py_runs_pairs(trained):
    work_dir, out = trained
    assert (work_dir / 'epoch_1.pth').exists()
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'skipped 1 of 3 sequences' in log  # crossing_gone
    losses = [float(v) for v in re.findall(r'loss_siamfc: ([0-9.]+)', log)]
    assert len(losses) == 2 and all(np.isfinite(losses))


def test_test_py_ope_on_crossing(trained, tmp_path):
    work_dir, _ = trained
    otb = tmp_path / 'otb'
    otb.mkdir()
    os.symlink(crossing_dir(), otb / 'Crossing')
    sot_dir = tmp_path / 'sot'
    out = run([
        osp.join(REPO_ROOT, 'tools', 'test.py'),
        CONFIG,
        str(work_dir / 'epoch_1.pth'),
        '--work-dir',
        str(tmp_path / 'test'),
        '--cfg-options',
        f'test_dataloader.dataset.data_root={otb}',
        'test_dataloader.dataset.targets=[Crossing]',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        # small crops for the CPU (3 scales, 3x3 responses); the config
        # holds the paper's 127 / 255 / 17
        'model.test_cfg.exemplar_size=15',
        'model.test_cfg.search_size=31',
        'model.test_cfg.response_size=3',
        'model.backbone.with_cp=False',
        f'test_evaluator.out_dir={sot_dir}'
    ])
    match = re.search(
        r'sot/success: ([0-9.]+)\s+sot/norm_precision: ([0-9.]+)\s+'
        r'sot/precision: ([0-9.]+)', out)
    assert match, out[-3000:]
    success, norm_precision, precision = (float(v) for v in match.groups())
    for value in (success, norm_precision, precision):
        assert 0 <= value <= 100
    assert re.search(r'Crossing\s+120\s', out)  # per-sequence table
    for png in ('success_plot.png', 'precision_plot.png'):
        assert (sot_dir / png).read_bytes()[:4] == b'\x89PNG'
    # the dumped boxes: frame 0 is the ground truth, and they re-evaluate to
    # the printed numbers
    boxes = load_sot_bboxes(str(sot_dir / 'results' / 'Crossing.txt'))
    gt = load_sot_bboxes(crossing_boxes_file())
    assert boxes.shape == (120, 4)
    np.testing.assert_allclose(boxes[0], gt[0], atol=1e-3)
    xyxy = [
        np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], 1) for b in (boxes, gt)
    ]
    again = eval_sot_ope([xyxy[0]], [xyxy[1]])
    assert round(again['success'] * 100, 3) == pytest.approx(success, abs=2e-3)
    assert round(again['precision'] * 100, 3) == pytest.approx(
        precision, abs=2e-3)
