# Copyright (c) constcl_mm authors. All rights reserved.
"""Unreadable videos are skipped with a warning, counted, and bounded."""
import logging
import os.path as osp

import numpy as np
import pytest
from helpers.data import RAWFRAMES, SHORT_MP4, full_pipeline, make_bad_files
from helpers.paths import data_path
from mmengine.logging import MMLogger

from constcl_mm.datasets import (TooManyBadVideosError, TwoViewRawframeDataset,
                                 TwoViewVideoDataset)


class LogCapture(logging.Handler):

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def log():
    logger = MMLogger.get_current_instance()
    handler = LogCapture()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.mark.parametrize('backend', ['decord', 'pyav', 'opencv'])
def test_every_bad_kind_is_skipped_and_counted(tmp_path, log, backend):
    bad = make_bad_files(str(tmp_path))
    good = data_path(*SHORT_MP4)
    ann = tmp_path / 'list.txt'
    ann.write_text(''.join(f'{p} 0\n' for p in bad.values()) + f'{good} 5\n')
    dataset = TwoViewVideoDataset(
        str(ann),
        pipeline=full_pipeline(backend, clip_len=4, size=32),
        max_consecutive_failures=1000)
    np.random.seed(0)
    for idx in range(len(bad)):
        # Every bad index is replaced by a readable sample, without a crash.
        out = dataset[idx]
        assert out['inputs'].shape == (2, 3, 4, 32, 32)
        assert out['data_samples'].metainfo['filename'] == good
    assert dataset.failed >= len(bad)
    assert set(dataset.failed_files) == set(bad.values())
    assert sum(dataset.failure_kinds.values()) == dataset.failed
    assert dataset.failure_kinds['missing'] >= 1
    assert dataset.failure_kinds['empty'] >= 1
    assert dataset.failure_kinds['not_video'] >= 1
    # One warning per skip, naming the file.
    warnings = [m for m in log.messages if 'Skipping unreadable video' in m]
    assert len(warnings) == dataset.failed
    for path in bad.values():
        assert any(path in m for m in warnings), path
    # A good sample resets the consecutive count.
    assert dataset._consecutive == []


def test_consecutive_failures_stop_with_the_file_list(tmp_path):
    bad = make_bad_files(str(tmp_path))
    ann = tmp_path / 'all_bad.txt'
    ann.write_text(''.join(f'{p}\n' for p in bad.values()))
    dataset = TwoViewVideoDataset(
        str(ann),
        pipeline=full_pipeline(clip_len=4, size=32),
        max_consecutive_failures=5)
    with pytest.raises(TooManyBadVideosError) as info:
        dataset[0]
    err = info.value
    assert len(err.failed_files) == 5
    assert '5 consecutive samples' in str(err)
    assert str(ann) in str(err)
    for path in err.failed_files:
        assert path in str(err)
    assert dataset.failed == 5
    # It must also survive the trip from a dataloader worker.
    import pickle
    back = pickle.loads(pickle.dumps(err))
    assert back.failed_files == err.failed_files and str(back) == str(err)


def test_a_good_sample_resets_the_consecutive_count(tmp_path, monkeypatch):
    """bad, good, bad, good...: a limit of 2 is never reached, 1 is."""
    bad = make_bad_files(str(tmp_path))
    lines = []
    for path in bad.values():
        lines += [f'{path}\n', f'{data_path(*SHORT_MP4)}\n']
    ann = tmp_path / 'mixed.txt'
    ann.write_text(''.join(lines))

    def build(limit):
        dataset = TwoViewVideoDataset(
            str(ann),
            pipeline=full_pipeline(clip_len=4, size=32),
            max_consecutive_failures=limit)
        state = dict(idx=0)

        def next_index():  # deterministic replacement: the next line
            state['idx'] += 1
            return state['idx'] % len(dataset)

        monkeypatch.setattr(dataset, '_rand_another', next_index)
        return dataset, state

    dataset, state = build(2)
    for idx in range(0, len(dataset), 2):  # the bad lines
        state['idx'] = idx
        out = dataset[idx]
        assert out['data_samples'].metainfo['filename'] == data_path(
            *SHORT_MP4)
    assert dataset.failed == len(bad)
    dataset, state = build(1)
    with pytest.raises(TooManyBadVideosError):
        dataset[0]


def test_bad_rawframe_folders_are_skipped(tmp_path, log):
    (tmp_path / 'empty_dir').mkdir()
    ann = tmp_path / 'frames.txt'
    ann.write_text('no_such_dir 10\nempty_dir\nimgs 10\nimgs 40\n')
    root = str(tmp_path)
    import shutil
    shutil.copytree(data_path(*RAWFRAMES), osp.join(root, 'imgs'))
    dataset = TwoViewRawframeDataset(
        str(ann),
        pipeline=full_pipeline(clip_len=4, size=32),
        data_prefix=dict(img=root),
        max_consecutive_failures=100)
    np.random.seed(2)
    for idx in (0, 1, 3):
        out = dataset[idx]
        assert out['inputs'].shape == (2, 3, 4, 32, 32)
    # 'imgs 40' announces 40 frames but has 10 -> 'truncated' (or replaced
    # when the sampled clips happen to fall within the first 10).
    kinds = dataset.failure_kinds
    assert kinds['missing'] >= 1 and kinds['no_frames'] >= 1
    assert any(osp.join(root, 'no_such_dir') in m for m in log.messages)


def test_test_mode_propagates(tmp_path):
    bad = make_bad_files(str(tmp_path))
    ann = tmp_path / 'one.txt'
    ann.write_text(f'{bad["missing"]}\n')
    dataset = TwoViewVideoDataset(
        str(ann), pipeline=full_pipeline(clip_len=4, size=32), test_mode=True)
    from constcl_mm.datasets.transforms import VideoDecodeError
    with pytest.raises(VideoDecodeError, match='missing.mp4'):
        dataset[0]
    with pytest.raises(ValueError, match='max_consecutive_failures'):
        TwoViewVideoDataset(str(ann), pipeline=[], max_consecutive_failures=0)
