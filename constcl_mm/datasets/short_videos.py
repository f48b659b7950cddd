# Copyright (c) constcl_mm authors. All rights reserved.
"""Videos shorter than the clips sampled from them, noted once per file.

A clip sampler (:class:`CVRLSampleFrames`) calls :func:`note_short_video`
when a video has fewer frames than one clip spans, so that its clips wrap
around. The first note of a file in a process logs a warning; later ones
are ignored. :class:`~constcl_mm.datasets.SkipBadVideosMixin` collects the
new notes of its process after every sample (:func:`take_short_videos`)
and records them for :class:`~constcl_mm.engine.hooks.BadVideoCountHook`,
which lists every short file once per run, over all workers and processes.
"""
import logging
from typing import List, Set, Tuple

from mmengine.logging import print_log

#: files already noted in this process
_noted: Set[str] = set()
#: ``(filename, frames, needed)`` noted since the last take
_pending: List[Tuple[str, int, int]] = []


def note_short_video(filename: str, frames: int, needed: int,
                     fix: str) -> None:
    """Notes (and, the first time in this process, logs) a short video.

    Args:
        filename (str): The video (or frame folder).
        frames (int): Its frames.
        needed (int): The frames one clip spans.
        fix (str): How to skip such videos instead, for the message.
    """
    if filename in _noted:
        return
    _noted.add(filename)
    _pending.append((filename, int(frames), int(needed)))
    print_log(
        f'{filename} has {frames} frames, fewer than the {needed} one clip '
        f'spans: its clips wrap around (logged once per file; {fix})',
        logger='current',
        level=logging.WARNING)


def take_short_videos() -> List[Tuple[str, int, int]]:
    """The notes since the last call (and forgets them)."""
    taken = list(_pending)
    _pending.clear()
    return taken
