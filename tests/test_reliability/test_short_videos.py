# Copyright (c) constcl_mm authors. All rights reserved.
"""Videos shorter than their clips: logged and counted once per file, and
skipped below ``min_frames`` (issue 25)."""
import pytest
from helpers.reliability import write_video
from mmengine.logging import MMLogger

from constcl_mm.datasets import TwoViewVideoDataset
from constcl_mm.datasets.skip_bad_videos import read_records

# clip_len 4 x frame_interval 4: one clip spans 13 frames
PIPELINE = [
    dict(type='VideoReaderInit'),
    dict(type='CVRLSampleFrames', clip_len=4, frame_interval=4),
    dict(type='MultiClipDecode'),
]


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp('short')
    frames = dict(one=1, ten=10, good0=24, good1=24)
    for i, (name, n) in enumerate(frames.items()):
        write_video(str(folder / f'{name}.mp4'), frames=n, seed=i)
    ann = folder / 'videos.txt'
    ann.write_text(''.join(f'{name}.mp4\n' for name in frames))
    return folder, str(ann)


def build(videos, **sampling):
    folder, ann = videos
    pipeline = [dict(PIPELINE[0]), dict(PIPELINE[1], **sampling), PIPELINE[2]]
    return TwoViewVideoDataset(
        ann_file=ann,
        data_prefix=dict(video=str(folder)),
        pipeline=pipeline,
        max_consecutive_failures=100)


class Messages:
    """Collects the mmengine log messages of a block."""

    def __enter__(self):
        import logging
        self.messages = []
        outer = self

        class Keep(logging.Handler):

            def emit(self, record):
                outer.messages.append(record.getMessage())

        self.handler = Keep()
        MMLogger.get_current_instance().addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        MMLogger.get_current_instance().removeHandler(self.handler)

    def count(self, text):
        return sum(text in m for m in self.messages)


def test_one_frame_video_is_skipped_and_ten_frames_noted_once(videos):
    folder, _ = videos
    one, ten = str(folder / 'one.mp4'), str(folder / 'ten.mp4')
    dataset = build(videos)
    with Messages() as log:
        samples = [dataset[i % 4] for i in range(12)]  # 3 draws of each
    # never a sample made of one frame
    assert all(s['filename'] != one for s in samples)
    assert dataset.failure_kinds['too_short'] == dataset.failed_files[one]
    assert dataset.failed_files[one] >= 3
    # named once, however often it was drawn
    assert log.count(f'Skipping short video {one}') == 1
    # the 10-frame video still trains (wrapping around, as documented) ...
    wrapped = [s for s in samples if s['filename'] == ten]
    assert wrapped and all(s['frame_inds'].max() < 10 for s in wrapped)
    # ... but is logged once, and recorded once for the run's totals
    assert log.count(f'{ten} has 10 frames, fewer than the 13') == 1
    records = read_records(dataset.record_dir, {})
    assert [r for r in records if r[0] == 'short'] == [['short', ten, 10, 13]]
    assert sorted(r for r in records if r[0] == 'skip') == \
        [['skip', 'too_short', one]] * dataset.failed_files[one]


def test_min_frames_skips_every_wrapping_video(videos):
    folder, _ = videos
    dataset = build(videos, min_frames=13)
    samples = [dataset[i % 4] for i in range(8)]
    assert {s['filename']
            for s in samples
            } <= {str(folder / f'good{i}.mp4')
                  for i in range(2)}
    assert set(dataset.failed_files) == {
        str(folder / 'one.mp4'),
        str(folder / 'ten.mp4')
    }
    assert set(dataset.failure_kinds) == {'too_short'}


def test_min_frames_one_keeps_the_old_wrap_around(videos):
    folder, _ = videos
    dataset = build(videos, min_frames=1)
    sample = dataset[0]
    assert sample['filename'] == str(folder / 'one.mp4')
    assert sample['frame_inds'].max() == 0 and dataset.failed == 0


def test_min_frames_is_checked():
    from constcl_mm.datasets.transforms import CVRLSampleFrames
    with pytest.raises(ValueError, match='min_frames must be >= 1'):
        CVRLSampleFrames(min_frames=0)
