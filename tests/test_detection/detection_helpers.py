# Copyright (c) constcl_mm authors. All rights reserved.
"""Real frames and tiny AVA / AVA-Kinetics trees for the detection tests
(import the fixtures into a test module to use them)."""
import os
import os.path as osp
import shutil
from typing import Dict, Sequence

import pytest

from conftest import REPO_ROOT, data_path


def ava_fixture(name: str = '') -> str:
    """mmaction2's AVA annotation fixture (csv, pbtxt, exclusions, pkl)."""
    return data_path('mmaction2', 'tests', 'data', 'ava_dataset', name)


def eval_fixture(name: str = '') -> str:
    """mmaction2's frame-mAP fixture (golden overall 0.09385521885521886)."""
    return data_path('mmaction2', 'tests', 'data', 'eval_detection', name)


@pytest.fixture(scope='session')
def real_frames_dir(tmp_path_factory) -> str:
    """120 frames of a real clip at 30 fps (short side 48), extracted with
    our own tool: ``<dir>/img_00001.jpg`` ..."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'extract_frames',
        osp.join(REPO_ROOT, 'tools', 'data', 'ava', 'extract_frames.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path_factory.mktemp('frames')
    count = tool.extract_pyav(
        data_path('mmaction2', 'tests', 'data', 'test.mp4'),
        str(out), fps=30, start=0.0, duration=4.0, short_side=48)
    assert count == 120
    return str(out)


def make_frame_folders(root: str, names: Sequence[str], frames_dir: str,
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
