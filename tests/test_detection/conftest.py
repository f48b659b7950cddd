# Copyright (c) constcl_mm authors. All rights reserved.
"""Session fixtures of the detection tests."""
import os.path as osp

import pytest
from helpers.paths import REPO_ROOT, data_path


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
        str(out),
        fps=30,
        start=0.0,
        duration=4.0,
        short_side=48)
    assert count == 120
    return str(out)
