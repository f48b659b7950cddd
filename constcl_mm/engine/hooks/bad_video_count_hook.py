# Copyright (c) constcl_mm authors. All rights reserved.
"""Totals of the unreadable videos skipped by every worker and process."""
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmaction.registry import HOOKS
from mmengine.dist import all_gather_object, get_world_size
from mmengine.hooks import Hook

from constcl_mm.datasets.skip_bad_videos import SKIPPED_KEY, read_records
from constcl_mm.datasets.transforms.video_readers import VideoDecodeError

KINDS: Tuple[str, ...] = VideoDecodeError.KINDS


def record_dirs(dataset) -> List[str]:
    """The record folders of every :class:`SkipBadVideosMixin` dataset in
    ``dataset`` (looking through ``ConcatDataset`` / ``RepeatDataset``
    style wrappers)."""
    if hasattr(dataset, 'record_dir'):
        return [dataset.record_dir]
    inner = getattr(dataset, 'datasets', None) or [
        d for d in (getattr(dataset, 'dataset', None), ) if d is not None
    ]
    return [folder for d in inner for folder in record_dirs(d)]


def stop_loading_workers(loop) -> None:
    """Shuts the train dataloader's workers down (they finish the sample
    they are loading, so its skips are recorded) after training."""
    dataloader = getattr(loop, 'dataloader', None)
    candidates = [
        getattr(getattr(loop, 'dataloader_iterator', None), '_iterator', None),
        getattr(dataloader, '_iterator', None)
    ]
    for iterator in candidates:
        shutdown = getattr(iterator, '_shutdown_workers', None)
        if shutdown is not None:
            shutdown()
            if getattr(dataloader, '_iterator', None) is iterator:
                dataloader._iterator = None  # a later iter() starts anew


@HOOKS.register_module()
class BadVideoCountHook(Hook):
    """Logs how many bad videos were skipped, per kind, in total.

    :class:`~constcl_mm.datasets.SkipBadVideosMixin` skips unreadable (and
    too short) videos inside the dataloader workers, whose counters the main
    process never sees. Each loading process appends its skips to a record
    file of the dataset (:func:`~constcl_mm.datasets.skip_bad_videos.
    read_records`), also for samples that were prefetched but never
    consumed; this hook reads them, sums them over the processes and logs,
    on rank 0, one total per :attr:`VideoDecodeError.KINDS` (and the files
    newly skipped, of every rank) every ``interval`` iterations and once at
    the end of training, after the workers have stopped. Videos shorter than
    their clips (which wrap around) are listed too, each file once. The
    totals are kept in the message hub (``bad_videos``, ``short_videos``),
    so they continue across ``--resume``.

    A dataset without record files (not found through the dataloader) is
    counted from the metainfo ``skipped_videos`` of the consumed samples.

    Args:
        interval (int, optional): Iterations between reports. Defaults to
            the ``LoggerHook`` interval.
        max_files (int): Newly skipped files listed per report. Defaults
            to 20.
    """

    priority = 'BELOW_NORMAL'

    def __init__(self,
                 interval: Optional[int] = None,
                 max_files: int = 20) -> None:
        self.interval = interval
        self.max_files = max_files
        self.totals: Counter = Counter()
        self.short: Dict[str, int] = {}
        self._pending: Counter = Counter()
        self._pending_files: List[str] = []
        self._pending_short: Dict[str, Tuple[int, int]] = {}
        self._seen = False
        self._dirs: List[str] = []
        self._offsets: dict = {}

    def before_train(self, runner) -> None:
        if self.interval is None:
            loggers = [
                h for h in runner.hooks if type(h).__name__ == 'LoggerHook'
            ]
            self.interval = loggers[0].interval if loggers else 50
        saved = runner.message_hub.get_info('bad_videos')
        if saved:
            self.totals = Counter(saved)
        self.short = dict(runner.message_hub.get_info('short_videos') or {})
        dataset = getattr(runner.train_loop.dataloader, 'dataset', None)
        self._dirs = record_dirs(dataset)
        self._seen = bool(self._dirs)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs=None) -> None:
        if not self._dirs:
            self._count_metainfo(data_batch)
        if self.every_n_train_iters(runner, self.interval):
            self._report(runner, final=False)

    def after_train(self, runner) -> None:
        stop_loading_workers(runner.train_loop)
        self._report(runner, final=True)

    def _count_metainfo(self, data_batch) -> None:
        samples = data_batch.get('data_samples') \
            if isinstance(data_batch, dict) else None
        for sample in samples or ():
            skipped = getattr(sample, 'metainfo', {}).get(SKIPPED_KEY)
            if skipped is None:
                continue
            self._seen = True
            for kind, filename in skipped:
                self._pending[kind] += 1
                self._pending_files.append(f'{filename} ({kind})')

    def _read_records(self) -> None:
        """Adds this process's new records to the pending counts."""
        for folder in self._dirs:
            for record in read_records(folder, self._offsets):
                if record[0] == 'skip':
                    _, kind, filename = record
                    self._pending[kind] += 1
                    self._pending_files.append(f'{filename} ({kind})')
                elif record[0] == 'short':
                    _, filename, frames, needed = record
                    self._pending_short[filename] = (frames, needed)

    def _gather(self) -> tuple:
        """This interval's records of all processes (collective)."""
        self._read_records()
        counts = torch.tensor([self._pending[k] for k in KINDS],
                              dtype=torch.int64)
        files, seen = list(self._pending_files), self._seen
        short = dict(self._pending_short)
        if get_world_size() > 1:
            gathered = all_gather_object((counts.tolist(), files, seen, short))
            counts = torch.tensor([g[0] for g in gathered]).sum(0)
            files = [f for g in gathered for f in g[1]]
            seen = any(g[2] for g in gathered)
            short = {k: v for g in gathered for k, v in g[3].items()}
        self._pending, self._pending_files = Counter(), []
        self._pending_short = {}
        return (Counter(dict(zip(KINDS, counts.tolist()))), files, seen, short)

    def _report(self, runner, final: bool) -> None:
        new, files, seen, short = self._gather()
        self.totals.update(new)
        self._seen = seen
        new_short = {k: v for k, v in short.items() if k not in self.short}
        self.short.update({k: v[0] for k, v in new_short.items()})
        runner.message_hub.update_info('bad_videos', dict(self.totals))
        runner.message_hub.update_info('short_videos', dict(self.short))
        if new_short or (final and self.short):
            runner.logger.info(self.describe_short(new_short, final))
        total = sum(self.totals.values())
        if not seen or (total == 0 and not final):
            return
        runner.logger.info(self.describe(self.totals, files, final))

    def describe(self, totals: Dict[str, int], files: Sequence[str],
                 final: bool) -> str:
        """One log line: the totals per kind, then the new files."""
        counts = ', '.join(f'{k} {totals.get(k, 0)}' for k in KINDS)
        head = ('Unreadable videos skipped in this run'
                if final else 'Unreadable videos skipped so far')
        text = (f'{head} (all processes and dataloader workers): '
                f'{sum(totals.values())} ({counts})')
        return text + self._listing('newly skipped', files)

    def describe_short(self, new: Dict[str, Tuple[int, int]],
                       final: bool) -> str:
        """One log line: the short videos (each file once)."""
        head = 'in this run' if final else 'so far'
        shown = [
            f'{name} ({frames} frames, a clip spans {needed})'
            for name, (frames, needed) in new.items()
        ]
        return (f'Videos shorter than their clips {head} (all processes '
                f'and dataloader workers; their clips wrap around, '
                f'CVRLSampleFrames min_frames skips them): '
                f'{len(self.short)} files' +
                self._listing('newly found', shown))

    def _listing(self, what: str, items: Sequence[str]) -> str:
        if not items:
            return ''
        more = len(items) - self.max_files
        return (f'; {what}: ' + ', '.join(items[:self.max_files]) +
                (f' and {more} more' if more > 0 else ''))
