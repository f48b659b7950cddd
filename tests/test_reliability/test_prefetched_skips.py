# Copyright (c) constcl_mm authors. All rights reserved.
"""Skips of prefetched samples that training never consumed are in the
end-of-run totals; short videos are listed once per file (issue 25)."""
import re

from helpers.reliability import (TRAIN, final_bad_video_totals, run_python,
                                 skip_config, write_video)


def test_skips_of_prefetched_samples_reach_the_totals(tmp_path):
    good = []
    for i in range(6):
        good.append(str(tmp_path / f'good_{i}.mp4'))
        write_video(good[-1], seed=i)
    short = str(tmp_path / 'ten_frames.mp4')
    write_video(short, frames=10, seed=9)
    one = str(tmp_path / 'one_frame.mp4')
    write_video(one, frames=1, seed=10)
    (tmp_path / 'empty.mp4').write_bytes(b'')
    (tmp_path / 'notes.mp4').write_text('not a video\n' * 40)
    bad = [
        one,
        str(tmp_path / 'empty.mp4'),
        str(tmp_path / 'missing.mp4'),
        str(tmp_path / 'notes.mp4')
    ]
    # the end of the epoch: batches 3 and 4 (of 2) hold the bad files and
    # the short one; training stops after 2 batches, while the 2 workers
    # (prefetch_factor 2) have loaded every batch of the epoch
    entries = good + [short, *bad[:1]] + bad[1:] + [good[0]]
    ann = tmp_path / 'videos.txt'
    ann.write_text(''.join(f'{p}\n' for p in entries))
    wait_for = tmp_path / 'wait_for.txt'
    wait_for.write_text('\n'.join(entries))
    config = tmp_path / 'cfg.py'
    config.write_text(
        skip_config(
            str(ann),
            iters=2,
            shuffle=False,
            interval=4,  # a clip spans 13 frames
            extra="custom_hooks = [dict(type='WaitForDrawn')]"))
    drawn = tmp_path / 'drawn'
    drawn.mkdir()
    proc = run_python(
        [TRAIN, str(config), '--work-dir',
         str(tmp_path / 'work')],
        timeout=600,
        DRAWN_DIR=str(drawn),
        WAIT_FOR=str(wait_for))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    opened = [
        line for f in drawn.iterdir() for line in f.read_text().splitlines()
    ]
    assert len(list(drawn.iterdir())) == 2, 'two dataloader workers'
    bad_opened = [p for p in opened if p in bad]
    assert set(bad_opened) == set(bad)

    log = next((tmp_path / 'work').glob('*/*.log')).read_text()
    finals = final_bad_video_totals(log)
    assert len(finals) == 1, log[-3000:]
    total, kinds = finals[0]
    assert total == len(bad_opened) == sum(kinds.values()), log[-3000:]
    assert kinds['too_short'] == bad_opened.count(one)
    assert kinds['missing'] == bad_opened.count(bad[2])
    assert kinds['empty'] == bad_opened.count(bad[1])
    # the 10-frame video (drawn by one worker or both) is listed once
    lines = re.findall(r'Videos shorter than their clips in this run.*', log)
    assert len(lines) == 1 and ': 1 files' in lines[0], log[-3000:]
    listed = re.findall(r'Videos shorter than their clips.*', log)
    assert sum(
        line.count(f'{short} (10 frames, a clip spans 13)')
        for line in listed) == 1
