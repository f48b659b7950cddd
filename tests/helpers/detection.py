# Copyright (c) constcl_mm authors. All rights reserved.
"""Tiny AVA / AVA-Kinetics trees for the detection tests (the real frames
they copy come from the ``real_frames_dir`` fixture of
``tests/test_detection/conftest.py``)."""
import os
import os.path as osp
import pickle
import shutil
from pathlib import Path
from typing import Dict, Sequence

import numpy as np
from helpers.paths import data_path


def ava_fixture(name: str = '') -> str:
    """mmaction2's AVA annotation fixture (csv, pbtxt, exclusions, pkl)."""
    return data_path('mmaction2', 'tests', 'data', 'ava_dataset', name)


def ava_fixture_dataset(**extra) -> dict:
    """Arguments of an AVA dataset over the fixture (1 test keyframe)."""
    return dict(
        ann_file=ava_fixture('ava_sample.csv'),
        exclude_file=ava_fixture('ava_excluded_timestamps_sample.csv'),
        pipeline=[
            dict(
                type='SampleAVAFrames',
                clip_len=4,
                frame_interval=2,
                test_mode=True)
        ],
        data_prefix=dict(img='frames'),
        test_mode=True,
        **extra)


def eval_fixture(name: str = '') -> str:
    """mmaction2's frame-mAP fixture (golden overall 0.09385521885521886)."""
    return data_path('mmaction2', 'tests', 'data', 'eval_detection', name)


def make_frame_folders(root: str,
                       names: Sequence[str],
                       frames_dir: str,
                       num_frames: Dict[str, int] = None) -> None:
    """Frame folders ``root/<name>/img_%05d.jpg`` copied from real frames
    (cycled when more are needed)."""
    sources = sorted(os.listdir(frames_dir))
    for name in names:
        folder = osp.join(root, name)
        os.makedirs(folder, exist_ok=True)
        n = (num_frames or {}).get(name, len(sources))
        for i in range(n):
            shutil.copyfile(
                osp.join(frames_dir, sources[i % len(sources)]),
                osp.join(folder, f'img_{i + 1:05d}.jpg'))


# A mixed AVA-Kinetics ground truth: AVA rows (whole seconds, person ids),
# Kinetics rows (YouTube id, fractional time in the YouTube video, no person
# id; kin_video_02 has no clip on disk, kin_video_03 has no action) and a row
# in mmaction2's rewritten form (clip name as video id).
AK_GT = """ava_movie01,0902,0.1,0.1,0.5,0.5,12,0
ava_movie01,0902,0.1,0.1,0.5,0.5,17,0
ava_movie01,0902,0.6,0.2,0.9,0.9,79,1
ava_movie01,0903,0.1,0.1,0.5,0.5,12,0
kin_video_01,12.5,0.2,0.2,0.6,0.6,12
kin_video_02,3.25,0.3,0.3,0.7,0.7,17
kin_video_03,7.75
kin_video_04_000000_000010,5,0.1,0.1,0.4,0.4,80,-1
"""
AK_CLIPS = [
    'ava_movie01', 'kin_video_01_000010_000020', 'kin_video_03_000005_000015',
    'kin_video_04_000000_000010'
]
AK_PROPOSALS = {
    'ava_movie01,0902':
    np.array([[0.1, 0.1, 0.5, 0.5, 0.99], [0.5, 0.5, 0.6, 0.6, 0.2]]),
    'kin_video_01,12.500000':
    np.array([[0.2, 0.2, 0.6, 0.7]]),
    'kin_video_04,0005':  # mmaction2's key of a clip-name row
    np.array([[0.0, 0.0, 0.5, 0.5, 0.95]]),
}


def build_ava_kinetics_tree(root: Path, frames_dir: str) -> Path:
    """``root/{ava,kinetics}/<clip>/img_%05d.jpg`` (120 real frames each),
    ``gt.csv`` (mixed), ``ava.csv`` + ``kinetics.csv`` (split by source),
    ``proposals.pkl`` (all), ``ava_proposals.pkl`` +
    ``kinetics_proposals.pkl``."""
    make_frame_folders(str(root / 'ava'), AK_CLIPS[:1], frames_dir)
    make_frame_folders(str(root / 'kinetics'), AK_CLIPS[1:], frames_dir)
    lines = AK_GT.splitlines()
    (root / 'gt.csv').write_text(AK_GT)
    (root /
     'ava.csv').write_text('\n'.join(x for x in lines if x.startswith('ava')) +
                           '\n')
    (root / 'kinetics.csv').write_text('\n'.join(
        x for x in lines if x.startswith('kin')) + '\n')
    for name, keep in (('proposals', lambda k: True),
                       ('ava_proposals', lambda k: k.startswith('ava')),
                       ('kinetics_proposals', lambda k: k.startswith('kin'))):
        with open(root / f'{name}.pkl', 'wb') as f:
            pickle.dump({k: v for k, v in AK_PROPOSALS.items() if keep(k)}, f)
    return root
