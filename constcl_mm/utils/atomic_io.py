# Copyright (c) constcl_mm authors. All rights reserved.
"""Crash-safe file writes: a reader sees the old file or the new one, whole.

A file is written under a temporary name in the same folder, flushed and
``fsync``-ed, then renamed over the target with :func:`os.replace` (atomic on
POSIX and Windows within one file system), and the folder is ``fsync``-ed so
that the rename survives a power cut.
"""
import glob
import os
import os.path as osp
from typing import Callable, List

TMP_SUFFIX = '.tmp'


def temporary_name(path: str) -> str:
    """``<dir>/.<name>.<pid>.tmp``: hidden, unique per process."""
    folder, name = osp.split(path)
    return osp.join(folder, f'.{name}.{os.getpid()}{TMP_SUFFIX}')


def fsync_file(path: str) -> None:
    """Flushes a written file's data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: str) -> None:
    """Makes renames inside ``folder`` durable (no-op where unsupported)."""
    try:
        fd = os.open(folder or '.', os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish(tmp_path: str, path: str) -> None:
    """fsyncs ``tmp_path`` and renames it to ``path`` atomically."""
    fsync_file(tmp_path)
    os.replace(tmp_path, path)
    fsync_dir(osp.dirname(path))


def atomic_write(path: str, write: Callable[[str], None]) -> None:
    """Calls ``write(tmp_path)``, then publishes the result as ``path``.

    If ``write`` raises, the temporary file is removed and ``path`` is left
    as it was.
    """
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    tmp = temporary_name(path)
    try:
        write(tmp)
        publish(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def atomic_write_text(path: str, text: str) -> None:
    """Writes ``text`` to ``path`` atomically (UTF-8)."""

    def write(tmp: str) -> None:
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(text)

    atomic_write(path, write)


def atomic_torch_save(obj, path: str) -> None:
    """``torch.save(obj, path)``, atomically."""
    import torch
    atomic_write(path, lambda tmp: torch.save(obj, tmp))


def stale_temporaries(folder: str) -> List[str]:
    """Temporary files left in ``folder`` by an interrupted write."""
    return sorted(glob.glob(osp.join(glob.escape(folder), f'.*{TMP_SUFFIX}')))
