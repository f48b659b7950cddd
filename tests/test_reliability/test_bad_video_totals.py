# Copyright (c) constcl_mm authors. All rights reserved.
"""Skipped videos are totalled over workers and processes (issue 13)."""
import os.path as osp
import re
import socket
import subprocess

import numpy as np
from helpers.reliability import (REPO_ROOT, final_bad_video_totals, run_env,
                                 skip_config, write_video)


def plant(folder) -> dict:
    """8 good videos and one file of each bad kind (path -> kind)."""
    good = []
    for i in range(8):
        path = str(folder / f'good_{i}.mp4')
        write_video(path, seed=i)
        good.append(path)
    bad = {}
    (folder / 'corrupt.mp4').write_bytes(
        np.random.default_rng(0).integers(0, 256, 20_000,
                                          dtype=np.uint8).tobytes())
    bad[str(folder / 'corrupt.mp4')] = 'unreadable'
    data = open(good[0], 'rb').read()
    (folder / 'truncated.mp4').write_bytes(data[:len(data) // 3])
    (folder / 'empty.mp4').write_bytes(b'')
    bad[str(folder / 'empty.mp4')] = 'empty'
    bad[str(folder / 'missing.mp4')] = 'missing'
    (folder / 'notes.mp4').write_text('not a video\n' * 40)
    return good, bad


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_workers_two_processes_total_every_skip(tmp_path):
    good, bad = plant(tmp_path)
    entries = good + list(bad) + [
        str(tmp_path / 'truncated.mp4'),
        str(tmp_path / 'notes.mp4')
    ]
    ann = tmp_path / 'videos.txt'
    ann.write_text(''.join(f'{p}\n' for p in entries))
    # 12 entries, 2 processes x batch 2: one epoch is 3 iterations, so
    # every draw is consumed (no prefetched batch thrown away at the end)
    config = tmp_path / 'cfg.py'
    config.write_text(skip_config(str(ann), iters=3))
    drawn = tmp_path / 'drawn'
    drawn.mkdir()
    env = run_env(PORT=str(free_port()), DRAWN_DIR=str(drawn))
    proc = subprocess.run([
        'bash',
        osp.join(REPO_ROOT, 'tools', 'dist_train.sh'),
        str(config), '2', '--work-dir',
        str(tmp_path / 'work')
    ],
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    # ground truth: every bad file any worker of any process opened
    opened = [
        line for f in drawn.iterdir() for line in f.read_text().splitlines()
    ]
    assert len(list(drawn.iterdir())) >= 4, 'two workers in each process'
    bad_names = {
        str(tmp_path / n)
        for n in ('corrupt.mp4', 'truncated.mp4', 'empty.mp4', 'missing.mp4',
                  'notes.mp4')
    }
    bad_opened = [p for p in opened if p in bad_names]
    assert bad_opened, 'the planted files were never drawn'

    log = next((tmp_path / 'work').glob('*/*.log')).read_text()
    finals = final_bad_video_totals(log)
    assert len(finals) == 1, log[-3000:]
    total, kinds = finals[0]
    assert total == len(bad_opened) == sum(kinds.values())
    assert kinds['missing'] == bad_opened.count(str(tmp_path / 'missing.mp4'))
    assert kinds['empty'] == bad_opened.count(str(tmp_path / 'empty.mp4'))
    # every interval reports the running total too
    assert total > 0 and re.search(r'Unreadable videos skipped so far', log)
    # skips of rank 1 reach the log of rank 0
    listed = re.findall(r'newly skipped: (.*)', log)
    named = sum(line.count('.mp4 (') for line in listed)
    assert named == total
