# Copyright (c) constcl_mm authors. All rights reserved.
"""Malformed video lists get errors naming file and line (issue 13)."""
import importlib.util
import os.path as osp

import pytest
from helpers.reliability import REPO_ROOT

from constcl_mm.datasets.two_view_rawframe_dataset import parse_rawframe_list
from constcl_mm.datasets.two_view_video_dataset import parse_video_list
from constcl_mm.utils import AnnotationError


def write(tmp_path, text, name='videos.txt'):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


@pytest.mark.parametrize('line,match', [
    ('abseiling_k400.mp4 3 extra', 'columns after the path'),
    ('abseiling_k400.mp4 3.0', "label '3.0' is not an integer"),
    ('abseiling_k400.mp4 2.5', "label '2.5' is not an integer"),
    ('abseiling_k400.mp4 1e3', 'not an integer'),
])
def test_malformed_lines_are_named(tmp_path, line, match):
    path = write(tmp_path, f'a.mp4 1\n{line}\n')
    with pytest.raises(AnnotationError, match=match) as err:
        parse_video_list(path)
    assert f'{path}:2' in str(err.value)


def test_paths_with_spaces_and_plain_lines_still_parse(tmp_path):
    path = write(tmp_path, 'a.mp4 1\nmy clip.mp4 2\nno label.avi\nb.mp4\n')
    assert parse_video_list(path) == [('a.mp4', 1), ('my clip.mp4', 2),
                                      ('no label.avi', -1), ('b.mp4', -1)]


def test_non_utf8_lists_are_named(tmp_path):
    video = write(tmp_path, b'a.mp4 1\nclip\xff.mp4 2\n')
    with pytest.raises(AnnotationError, match='not UTF-8') as err:
        parse_video_list(video)
    assert f'{video}:2' in str(err.value) and 'column 5' in str(err.value)
    frames = write(tmp_path, b'imgs 10 1\n\xc3(imgs 3 1\n', 'frames.txt')
    with pytest.raises(AnnotationError, match=f'{frames}:2'):
        parse_rawframe_list(frames)


def test_check_videos_tool_names_a_non_utf8_line(tmp_path):
    spec = importlib.util.spec_from_file_location(
        'check_videos', osp.join(REPO_ROOT, 'tools', 'data',
                                 'check_videos.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    path = write(tmp_path, b'a.mp4\n\n# comment\nb\xe9.mp4\n')
    with pytest.raises(AnnotationError, match=f'{path}:4'):
        tool.main([path])
