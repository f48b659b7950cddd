# Copyright (c) constcl_mm authors. All rights reserved.
"""tools/mini_experiment.py runs end to end on a handful of videos and
writes its tables, intervals, controls and pictures."""
import json
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_mini_experiment_smoke(tmp_path):
    work = str(tmp_path / 'mini')
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools', 'mini_experiment.py'), '--seeds', '0', '1',
        '--models', 'random', 'supervised', '--iters', '2',
        '--pretrain-videos', '40', '--probe-train-videos', '20',
        '--probe-test-videos', '12', '--labelprop-videos', '2',
        '--corr-videos', '4', '--skip-tracking', '--work-dir', work
    ]
    subprocess.run(cmd, check=True, cwd=str(tmp_path), timeout=600)
    with open(osp.join(work, 'results.json')) as f:
        res = json.load(f)
    row = res['table']['supervised']['scene_top1']
    assert row['n'] == 2 and row['lo'] <= row['mean'] <= row['hi']
    assert set(res['controls']) >= {'pixels', 'majority', 'copy'}
    assert 'labelprop_j' in res['table']['random']
    sup = res['results']['supervised'][0]
    assert 0 <= sup['scene_head_unseen'] <= 1 and 'scene_head_seen' in sup
    for name in ('results.md', 'scores.png', 'curves.png',
                 'label_propagation.png'):
        assert osp.isfile(osp.join(work, name)), name
    text = open(osp.join(work, 'results.md')).read()
    assert 'supervised (upper bound)' in text and '*majority class*' in text
    # --merge joins runs made in parallel: here one run into a new folder
    merged = str(tmp_path / 'merged')
    subprocess.run(
        cmd[:2] + ['--merge', work, '--work-dir', merged],
        check=True,
        cwd=str(tmp_path),
        timeout=120)
    assert open(osp.join(merged, 'results.md')).read() == text
    with open(osp.join(merged, 'results.json')) as f:
        assert json.load(f)['merged'] == [work]
    assert osp.isfile(osp.join(merged, 'curves.png'))
    # a run cannot be joined with itself (the same model twice)
    twice = subprocess.run(
        cmd[:2] + ['--merge', work, work, '--work-dir', merged],
        cwd=str(tmp_path),
        capture_output=True,
        text=True)
    assert twice.returncode != 0 and 'are in two runs' in twice.stderr


def test_labelprop_size_too_small_is_refused(tmp_path):
    """A frame side without two res3 cells is refused, naming the flag,
    before anything is rendered or trained."""
    cmd = [
        sys.executable,
        osp.join(ROOT, 'tools', 'mini_experiment.py'), '--labelprop-size', '8',
        '--work-dir',
        str(tmp_path / 'mini')
    ]
    out = subprocess.run(
        cmd, cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert '--labelprop-size must be at least 16' in out.stderr
    assert not osp.exists(tmp_path / 'mini')
