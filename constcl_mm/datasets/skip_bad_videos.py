# Copyright (c) constcl_mm authors. All rights reserved.
"""Skip unreadable videos: warn, count, draw another, stop if endless."""
import atexit
import json
import logging
import os
import os.path as osp
import shutil
import tempfile
import uuid
from collections import Counter
from typing import Any, List, Optional, Tuple

from mmengine.dist import get_rank
from mmengine.logging import print_log

from .short_videos import take_short_videos
from .transforms.video_readers import VideoDecodeError

#: metainfo key of a packed sample: the ``(kind, filename)`` skipped for it
SKIPPED_KEY = 'skipped_videos'


def _remove_records(folder: str, owner: int) -> None:
    """Deletes a record folder at exit, in the process that named it."""
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


def read_records(folder: str, offsets: dict) -> List[list]:
    """The records written to ``folder`` since the last call.

    Every loading process (the main process or a dataloader worker) appends
    one JSON list a line to its own ``<pid>.jsonl``: ``["skip", kind,
    filename]`` or ``["short", filename, frames, needed]``. Only complete
    lines are returned; ``offsets`` (file -> bytes read) is updated.

    Args:
        folder (str): A dataset's :attr:`SkipBadVideosMixin.record_dir`.
        offsets (dict): Read positions, kept by the caller between calls.

    Returns:
        list[list]: The new records.
    """
    records = []
    names = sorted(os.listdir(folder)) if osp.isdir(folder) else []
    for name in names:
        path = osp.join(folder, name)
        with open(path, 'rb') as f:
            f.seek(offsets.get(path, 0))
            data = f.read()
        complete = data[:data.rfind(b'\n') + 1]
        offsets[path] = offsets.get(path, 0) + len(complete)
        records += [json.loads(line) for line in complete.splitlines()]
    return records


def _where() -> str:
    """'rank R, dataloader worker W' (or 'the main process')."""
    import torch.utils.data
    info = torch.utils.data.get_worker_info()
    worker = f'dataloader worker {info.id}' if info is not None \
        else 'the loading process'
    return f'rank {get_rank()}, {worker}'


def _attach_skips(data: Any, skipped: List[Tuple[str, str]]) -> Any:
    """Records ``skipped`` in the metainfo of ``data['data_samples']``."""
    sample = data.get('data_samples') if isinstance(data, dict) else None
    if sample is not None and hasattr(sample, 'set_metainfo'):
        sample.set_metainfo({SKIPPED_KEY: list(skipped)})
    return data


class TooManyBadVideosError(RuntimeError):
    """Raised after ``max_consecutive_failures`` unreadable samples in a row.

    Args:
        message (str): The message (lists the failed files).
        failed_files (list[str], optional): The files of the failing run.
    """

    def __init__(self,
                 message: str,
                 failed_files: Optional[List[str]] = None) -> None:
        super().__init__(message)
        self.failed_files = list(failed_files or [])

    def __reduce__(self):
        return (self.__class__, (str(self), self.failed_files))


class SkipBadVideosMixin:
    """Dataset mixin that replaces unreadable videos by random other samples.

    Put it before the mmengine dataset class in the bases. When the pipeline
    raises :class:`VideoDecodeError` (a missing, empty, corrupt, truncated
    or non-video file), the sample is skipped with a warning naming the file
    in the mmengine log, counted, and a random other index is drawn. After
    ``max_consecutive_failures`` failures in a row a
    :class:`TooManyBadVideosError` listing the files stops the run (a data
    root or list file is probably wrong). In ``test_mode`` errors propagate.

    A file is named in the log at each skip, except ``too_short`` videos
    (below the sampler's ``min_frames``), named once per file and process.
    The counters below are per process (each dataloader worker counts its
    own samples):

    * ``failed`` (int): skipped samples so far;
    * ``failure_kinds`` (Counter): skips per :attr:`VideoDecodeError.kind`;
    * ``failed_files`` (Counter): skips per file.

    For totals over workers and processes, every loading process also
    appends each skip, and each video shorter than its clips (noted by the
    sampler, once per file), to its own file under :attr:`record_dir` (a
    folder named in the main process when the dataset is built, so every
    dataloader worker writes there, also for samples that were prefetched
    but never consumed); :class:`~constcl_mm.engine.hooks.BadVideoCountHook`
    reads them (:func:`read_records`) and logs the totals. Every returned
    sample also carries the skips that preceded it: the metainfo
    ``skipped_videos`` of its ``data_samples``, a list of ``(kind,
    filename)``.
    """

    def __init__(self,
                 *args: Any,
                 max_consecutive_failures: int = 50,
                 **kwargs: Any) -> None:
        """Sets up the counters, then builds the dataset class that follows.

        Args:
            max_consecutive_failures (int): Unreadable samples in a row
                before :class:`TooManyBadVideosError`. Defaults to 50.
            *args, **kwargs: Passed on to the dataset class.
        """
        self._init_bad_video_handling(max_consecutive_failures)
        super().__init__(*args, **kwargs)

    def _init_bad_video_handling(self, max_consecutive_failures: int) -> None:
        if int(max_consecutive_failures) < 1:
            raise ValueError('max_consecutive_failures must be >= 1, got '
                             f'{max_consecutive_failures}')
        self.max_consecutive_failures = int(max_consecutive_failures)
        self.failed = 0
        self.failure_kinds: Counter = Counter()
        self.failed_files: Counter = Counter()
        self._consecutive: List[VideoDecodeError] = []
        # named here (in the main process); created by the first record
        self.record_dir = osp.join(
            tempfile.gettempdir(),
            f'constcl_bad_videos_{os.getpid()}_{uuid.uuid4().hex[:8]}')
        atexit.register(_remove_records, self.record_dir, os.getpid())

    def _write_records(self, records: List[list]) -> None:
        """Appends records to this process's file in :attr:`record_dir`."""
        if not records:
            return
        os.makedirs(self.record_dir, exist_ok=True)
        path = osp.join(self.record_dir, f'{os.getpid()}.jsonl')
        with open(path, 'a', encoding='utf-8') as f:
            f.write(''.join(json.dumps(r) + '\n' for r in records))

    def _record_failure(self, err: VideoDecodeError) -> None:
        """Counts, logs, and stops after too many failures in a row."""
        self.failed += 1
        self.failure_kinds[err.kind] += 1
        self.failed_files[err.filename] += 1
        self._consecutive.append(err)
        self._write_records([['skip', err.kind, err.filename]])
        if err.kind != 'too_short' or self.failed_files[err.filename] == 1:
            self._log_failure(err)
        if len(self._consecutive) >= self.max_consecutive_failures:
            errors, self._consecutive = self._consecutive, []
            listing = '\n'.join(f'  {e.filename} ({e.kind}: {e.reason})'
                                for e in errors)
            ann = getattr(self, 'ann_file', '?')
            raise TooManyBadVideosError(
                f'{len(errors)} consecutive samples of {ann} could not be '
                f'decoded (max_consecutive_failures='
                f'{self.max_consecutive_failures}); check the data root and '
                f'the list file (`constcl-check-videos LIST --data-prefix '
                f'ROOT`, the '
                f'installed tools/data/check_videos.py, writes a clean '
                f'list). Failed files:\n{listing}',
                failed_files=[e.filename for e in errors])

    def _log_failure(self, err: VideoDecodeError) -> None:
        short = err.kind == 'too_short'
        what = 'short video' if short else 'unreadable video'
        once = ' (named once per file)' if short else ''
        print_log(
            f'Skipping {what} {err.filename} ({err.kind}: {err.reason})'
            f'{once}; {self.failed} skipped so far in {_where()}, '
            f'{len(self._consecutive)} in a row.',
            logger='current',
            level=logging.WARNING)

    def _record_short_videos(self) -> None:
        """Records the short videos the sampler noted in this process."""
        self._write_records([['short', *note] for note in take_short_videos()])

    def __getitem__(self, idx: int) -> dict:
        """Processes sample ``idx``, replacing unreadable videos.

        Args:
            idx (int): Sample index.

        Returns:
            dict: The pipeline output.
        """
        if not self._fully_initialized:
            print_log(
                'Please call `full_init()` method manually to accelerate '
                'the speed.',
                logger='current',
                level=logging.WARNING)
            self.full_init()
        if self.test_mode:
            data = self.prepare_data(idx)
            if data is None:
                raise RuntimeError(f'the test pipeline returned None for '
                                   f'sample {idx}')
            return data
        refetch = 0
        skipped: List[Tuple[str, str]] = []
        while True:
            try:
                data = self.prepare_data(idx)
            except VideoDecodeError as err:
                self._record_short_videos()
                skipped.append((err.kind, err.filename))
                self._record_failure(err)
                idx = self._rand_another()
                continue
            self._record_short_videos()
            self._consecutive = []
            if data is not None:
                return _attach_skips(data, skipped)
            # A transform chose to drop the sample (mmengine convention).
            refetch += 1
            if refetch > self.max_refetch:
                raise RuntimeError(
                    f'the pipeline returned None {refetch} times in a row; '
                    f'the last index was {idx}')
            idx = self._rand_another()
