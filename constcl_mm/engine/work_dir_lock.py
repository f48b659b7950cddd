# Copyright (c) constcl_mm authors. All rights reserved.
"""One training run per work directory.

``tools/train.py`` (also with ``--resume``) takes ``<work_dir>/.train.lock``
on rank 0 before the runner writes anything and releases it when the run
ends, normally or by an exception. The file names the holder: host, PID,
start time and command line. A second run on the same work directory stops
at once with :class:`WorkDirLockedError` naming the holder.

A lock left by a process that no longer runs (killed with SIGKILL, a power
cut) is stale:

* on the same host (same host name and boot) the holder's PID is checked;
  a dead PID, or a live PID that belongs to a process started later (a
  reused PID), is taken over with a warning;
* a lock of another host cannot be checked from here and is refused unless
  the user confirms that its run is over: ``--take-over-lock`` or
  ``CONSTCL_TAKE_OVER_LOCK=1``.

Checking and writing the lock happen under an exclusive ``flock`` of
``<work_dir>/.train.lock.guard``, so two runs starting together cannot both
take it.
"""
import contextlib
import datetime
import fcntl
import json
import logging
import os
import os.path as osp
import socket
import sys
from typing import Iterator, Optional

from mmengine.logging import print_log

from constcl_mm.utils.atomic_io import atomic_write_text

LOCK_NAME = '.train.lock'
TAKE_OVER_ENV = 'CONSTCL_TAKE_OVER_LOCK'


class WorkDirLockedError(RuntimeError):
    """Another run holds the work directory."""


def _boot_id() -> Optional[str]:
    try:
        with open('/proc/sys/kernel/random/boot_id') as f:
            return f.read().strip()
    except OSError:
        return None


def _process_start(pid: int) -> Optional[int]:
    """Start time of ``pid`` in clock ticks since boot (Linux), or None."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            stat = f.read()
    except OSError:
        return None
    # the command name (field 2) may hold spaces: split after its ')'
    return int(stat.rsplit(')', 1)[1].split()[19])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _holder_text(info: dict) -> str:
    return (f"host {info.get('host', '?')}, PID {info.get('pid', '?')}, "
            f"since {info.get('started', '?')}")


class WorkDirLock:
    """The lock of one work directory (see the module docstring).

    Args:
        work_dir (str): The run's work directory (created if missing).
        take_over (bool): Take over a lock of another host (whose run the
            user has checked is over). Also set by
            ``CONSTCL_TAKE_OVER_LOCK=1``. A lock of a live process on this
            host is never taken over.
    """

    def __init__(self, work_dir: str, take_over: bool = False) -> None:
        self.work_dir = work_dir
        self.path = osp.join(work_dir, LOCK_NAME)
        self.take_over = take_over or \
            os.environ.get(TAKE_OVER_ENV, '') not in ('', '0')
        self.info = dict(
            host=socket.gethostname(),
            pid=os.getpid(),
            boot_id=_boot_id(),
            pid_start=_process_start(os.getpid()),
            started=datetime.datetime.now().astimezone().isoformat(
                timespec='seconds'),
            command=' '.join(sys.argv))
        self.held = False

    def _read(self) -> Optional[dict]:
        try:
            with open(self.path, encoding='utf-8') as f:
                return json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}  # unreadable: treated as a lock of unknown origin

    def _same_host(self, info: dict) -> bool:
        if info.get('host') != self.info['host']:
            return False
        boot = info.get('boot_id')
        return boot is None or self.info['boot_id'] is None or \
            boot == self.info['boot_id']

    def _holder_running(self, info: dict) -> bool:
        """Whether the holder on this host still runs."""
        pid = info.get('pid')
        if not isinstance(pid, int) or not _pid_alive(pid):
            return False
        start = info.get('pid_start')
        return start is None or _process_start(pid) in (None, start)

    def _refuse(self, info: dict, why: str) -> None:
        raise WorkDirLockedError(
            f'{self.work_dir} is in use by another training run '
            f'({_holder_text(info)}; lock file {self.path}){why}')

    def _check(self, info: dict) -> None:
        """Raises unless the existing lock ``info`` may be replaced."""
        if info and self._same_host(info):
            if self._holder_running(info):
                self._refuse(
                    info, ': wait for it to finish or stop it '
                    f"(kill {info.get('pid')}), or train into another "
                    '--work-dir.')
            print_log(
                f'Taking over the stale lock of {self.work_dir} '
                f'({_holder_text(info)}): that process no longer runs.',
                logger='current',
                level=logging.WARNING)
            return
        if not self.take_over:
            where = 'another host' if info else 'an unreadable lock file'
            self._refuse(
                info or {}, f': held from {where}, whose process cannot be '
                'checked from here. If that run is over, start again with '
                f'--take-over-lock (or {TAKE_OVER_ENV}=1); else train into '
                'another --work-dir.')
        print_log(
            f'Taking over the lock of {self.work_dir} ({_holder_text(info)}) '
            f'as asked (--take-over-lock / {TAKE_OVER_ENV}).',
            logger='current',
            level=logging.WARNING)

    def acquire(self) -> 'WorkDirLock':
        """Takes the lock or raises :class:`WorkDirLockedError`."""
        os.makedirs(self.work_dir, exist_ok=True)
        with open(self.path + '.guard', 'a') as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            try:
                info = self._read()
                if info is not None and info.get('pid') != self.info['pid']:
                    self._check(info)
                atomic_write_text(self.path, json.dumps(self.info, indent=1))
                self.held = True
            finally:
                fcntl.flock(guard, fcntl.LOCK_UN)
        return self

    def release(self) -> None:
        """Removes the lock file if this process still holds it."""
        if not self.held:
            return
        self.held = False
        info = self._read()
        if info and info.get('pid') == self.info['pid'] and \
                info.get('host') == self.info['host']:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.path)

    def __enter__(self) -> 'WorkDirLock':
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _is_rank_zero() -> bool:
    """Rank 0 of a launched job (torchrun/slurm variables), before the
    process group exists."""
    for var in ('RANK', 'SLURM_PROCID'):
        if var in os.environ:
            return os.environ[var] == '0'
    return True


@contextlib.contextmanager
def work_dir_lock(work_dir: str, take_over: bool = False) -> Iterator[None]:
    """Holds the lock of ``work_dir`` on rank 0 for the ``with`` block (other
    ranks run unlocked: rank 0 refusing stops the job)."""
    if not _is_rank_zero():
        yield
        return
    with WorkDirLock(work_dir, take_over):
        yield
