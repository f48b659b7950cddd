# Copyright (c) constcl_mm authors. All rights reserved.
"""Helpers shared by the ``tools/data/*`` list builders."""
import argparse
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

Entry = Tuple[str, int]  # (relative video path, 0-based label)


def drop_missing(entries: List[Entry], video_dir: Optional[str],
                 strict: bool) -> Tuple[List[Entry], List[str]]:
    """Splits entries into present videos and missing paths.

    Args:
        entries (list[tuple]): ``(relative path, label)`` pairs.
        video_dir (str, optional): Folder the paths are relative to; None
            keeps every entry.
        strict (bool): Raise ``FileNotFoundError`` when any video is missing.

    Returns:
        tuple: The present entries and the missing relative paths.
    """
    if video_dir is None:
        return entries, []
    present, missing = [], []
    for entry in entries:
        (present if osp.isfile(osp.join(video_dir, entry[0])) else
         missing).append(entry)
    if missing and strict:
        raise FileNotFoundError(
            f'{len(missing)} videos are missing under {video_dir}, e.g. ' +
            ', '.join(m[0] for m in missing[:5]))
    return present, [m[0] for m in missing]


def write_list(path: str, entries: Sequence[Entry]) -> None:
    """Writes an mmaction2 list file, one ``path label`` per line."""
    with open(path, 'w') as f:
        for video, label in entries:
            f.write(f'{video} {label}\n')


def write_present_list(path: str, entries: List[Entry],
                       video_dir: Optional[str],
                       strict: bool) -> Dict[str, int]:
    """Writes the entries whose video exists, and lists the others.

    The missing relative paths go to ``<path without .txt>_missing.txt``,
    one a line; a stale missing file of an earlier run is removed when
    nothing is missing.

    Args:
        path (str): Output list (``*.txt``).
        entries (list[tuple]): ``(relative path, label)`` pairs.
        video_dir (str, optional): See :func:`drop_missing`.
        strict (bool): See :func:`drop_missing`.

    Returns:
        dict: ``{'written': n, 'missing': m}``.
    """
    entries, missing = drop_missing(entries, video_dir, strict)
    write_list(path, entries)
    missing_file = osp.splitext(path)[0] + '_missing.txt'
    if missing:
        with open(missing_file, 'w') as f:
            f.writelines(m + '\n' for m in missing)
    elif osp.exists(missing_file):
        os.remove(missing_file)  # stale, from an earlier run
    return dict(written=len(entries), missing=len(missing))


def add_video_check_arguments(parser: argparse.ArgumentParser,
                              per_subset: bool = False) -> None:
    """``--video-dir`` and ``--strict`` of the list builders.

    Args:
        parser (ArgumentParser): The tool's parser.
        per_subset (bool): ``--video-dir SUBSET DIR`` (repeatable) instead
            of one folder for every list.
    """
    note = ('missing ones are left out, counted and listed in '
            '*_missing.txt')
    if per_subset:
        parser.add_argument(
            '--video-dir',
            nargs=2,
            action='append',
            default=[],
            metavar=('SUBSET', 'DIR'),
            help=f'check the videos of SUBSET under DIR; {note}')
    else:
        parser.add_argument(
            '--video-dir',
            help=f'check that every video exists under this folder; {note}')
    parser.add_argument(
        '--strict', action='store_true', help='fail when a video is missing')


def summary_lines(summary: Dict[str, Dict[str, int]]) -> List[str]:
    """One line per written list: videos written, missing and unused."""
    lines = []
    for path, counts in summary.items():
        extra = []
        if counts.get('missing'):
            extra.append(f'{counts["missing"]} missing (left out)')
        if 'unused' in counts:
            extra.append(f'{counts["unused"]} flagged 0 (unused)')
        lines.append(f'{path}: {counts["written"]} videos' +
                     (', ' + ', '.join(extra) if extra else ''))
    return lines
