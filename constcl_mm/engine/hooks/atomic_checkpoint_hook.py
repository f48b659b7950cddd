# Copyright (c) constcl_mm authors. All rights reserved.
"""``CheckpointHook`` whose saves cannot destroy the last good checkpoint."""
import contextlib
import os
import os.path as osp
import shutil
from typing import Iterator, List

from mmaction.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from constcl_mm.utils.atomic_io import (atomic_write_text, publish,
                                        stale_temporaries, temporary_name)


class _DeferredRemovals:
    """A file backend whose ``remove``/``rmtree`` wait until the save ends."""

    def __init__(self, backend) -> None:
        self._backend = backend
        self.pending: List[str] = []

    def remove(self, path: str) -> None:
        self.pending.append(str(path))

    def rmtree(self, path: str) -> None:
        self.pending.append(str(path))

    def __getattr__(self, name: str):
        return getattr(self._backend, name)


def _remove(path: str) -> None:
    if osp.isdir(path):
        shutil.rmtree(path)
    elif osp.lexists(path):
        os.remove(path)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` with crash-safe saving.

    mmengine 0.10.7 first deletes the checkpoint that falls out of
    ``max_keep_ckpts``, then writes the new one in place, then rewrites
    ``last_checkpoint``: a process killed while writing leaves a truncated
    ``iter_N.pth``, the previous checkpoint deleted and ``last_checkpoint``
    naming a missing file. This hook, for local folders,

    1. writes each checkpoint to a hidden temporary file in the same folder,
       fsyncs it and renames it over its final name (``os.replace``);
    2. then updates ``last_checkpoint`` the same way;
    3. only then removes checkpoints beyond ``max_keep_ckpts`` and the
       previous best checkpoint.

    A crash at any point leaves ``last_checkpoint`` naming a complete file,
    so ``--resume`` continues from it. Temporary files of an interrupted run
    are removed when training starts. Other storage backends keep mmengine's
    behaviour. Takes the same arguments as ``CheckpointHook``.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if self._is_local() and is_main_process():
            for path in stale_temporaries(self.out_dir):
                runner.logger.warning(
                    f'Removing {path}, left by an interrupted checkpoint '
                    'save.')
                os.remove(path)

    def _is_local(self) -> bool:
        return isinstance(self.file_backend, LocalBackend)

    @contextlib.contextmanager
    def _atomic_saves(self, runner) -> Iterator[None]:
        """Routes ``runner.save_checkpoint`` through a temporary file."""
        if not self._is_local() or '_constcl_atomic' in vars(runner):
            yield
            return
        save = runner.save_checkpoint

        def save_atomically(out_dir, filename, *args, **kwargs):
            final = osp.join(out_dir, filename)
            tmp = temporary_name(final)
            try:
                save(out_dir, osp.basename(tmp), *args, **kwargs)
                if is_main_process():  # Runner.save_checkpoint is master-only
                    publish(tmp, final)
            except BaseException:
                if osp.exists(tmp):
                    os.remove(tmp)
                raise

        runner.save_checkpoint = save_atomically
        runner._constcl_atomic = True
        try:
            yield
        finally:
            del runner.save_checkpoint
            del runner._constcl_atomic

    def _save_checkpoint(self, runner) -> None:
        with self._atomic_saves(runner):
            super()._save_checkpoint(runner)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self.save_best:
            return  # as mmengine's hook: nothing to keep (no best_ckpt_path)
        if not self._is_local():
            return super()._save_best_checkpoint(runner, metrics)
        backend, deferred = self.file_backend, _DeferredRemovals(
            self.file_backend)
        self.file_backend = deferred
        try:
            with self._atomic_saves(runner):
                super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        if is_main_process():
            current = {str(getattr(self, 'best_ckpt_path', None))} | {
                str(p)
                for p in (
                    getattr(self, 'best_ckpt_path_dict', None) or {}).values()
            }
            for path in deferred.pending:
                if path not in current:
                    _remove(path)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if not self._is_local():
            return super()._save_checkpoint_with_step(runner, step, meta)
        outdated = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)

        with self._atomic_saves(runner):
            runner.save_checkpoint(
                self.out_dir,
                ckpt_filename,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
        if not is_main_process():
            return
        atomic_write_text(
            osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        for old in outdated:
            _remove(osp.join(self.out_dir, self.filename_tmpl.format(old)))
