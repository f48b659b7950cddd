# Copyright (c) constcl_mm authors. All rights reserved.
"""Totals of the unreadable videos skipped by every worker and process."""
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmaction.registry import HOOKS
from mmengine.dist import all_gather_object, get_world_size
from mmengine.hooks import Hook

from constcl_mm.datasets.skip_bad_videos import SKIPPED_KEY
from constcl_mm.datasets.transforms.video_readers import VideoDecodeError

KINDS: Tuple[str, ...] = VideoDecodeError.KINDS


@HOOKS.register_module()
class BadVideoCountHook(Hook):
    """Logs how many unreadable videos were skipped, per kind, in total.

    :class:`~constcl_mm.datasets.SkipBadVideosMixin` skips unreadable
    videos inside the dataloader workers, whose counters the main process
    never sees. Each returned sample carries the skips that preceded it
    (metainfo ``skipped_videos``); this hook sums them over the batches of
    every process and logs, on rank 0, one total per
    :attr:`VideoDecodeError.KINDS` (and the files newly skipped, of every
    rank) every ``interval`` iterations and at the end of training. The
    totals are kept in the message hub (``bad_videos``), so they continue
    across ``--resume``.

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
        self._pending: Counter = Counter()
        self._pending_files: List[str] = []
        self._seen = False

    def before_train(self, runner) -> None:
        if self.interval is None:
            loggers = [
                h for h in runner.hooks if type(h).__name__ == 'LoggerHook'
            ]
            self.interval = loggers[0].interval if loggers else 50
        saved = runner.message_hub.get_info('bad_videos')
        if saved:
            self.totals = Counter(saved)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs=None) -> None:
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
        if self.every_n_train_iters(runner, self.interval) or \
                self.is_last_train_iter(runner):
            self._report(runner, final=self.is_last_train_iter(runner))

    def after_train(self, runner) -> None:
        if self._pending or self._pending_files:
            self._report(runner, final=True)

    def _gather(self) -> Tuple[Counter, List[str], bool]:
        """This interval's skips of all processes (collective)."""
        counts = torch.tensor([self._pending[k] for k in KINDS],
                              dtype=torch.int64)
        files, seen = list(self._pending_files), self._seen
        if get_world_size() > 1:
            gathered = all_gather_object((counts.tolist(), files, seen))
            counts = torch.tensor([c for c, _, _ in gathered]).sum(0)
            files = [f for _, fs, _ in gathered for f in fs]
            seen = any(s for _, _, s in gathered)
        self._pending, self._pending_files = Counter(), []
        return Counter(dict(zip(KINDS, counts.tolist()))), files, seen

    def _report(self, runner, final: bool) -> None:
        new, files, seen = self._gather()
        self.totals.update(new)
        self._seen = seen
        runner.message_hub.update_info('bad_videos', dict(self.totals))
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
        if files:
            shown = ', '.join(files[:self.max_files])
            more = len(files) - self.max_files
            text += f'; newly skipped: {shown}' + (f' and {more} more'
                                                   if more > 0 else '')
        return text
