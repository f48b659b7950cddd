# Copyright (c) constcl_mm authors. All rights reserved.
"""Stops (or skips) training steps whose loss is NaN or infinite."""
import math
from typing import Dict, List, Optional

import torch
import torch.distributed as torch_dist
from mmaction.registry import HOOKS
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper

_ACTIONS = ('stop', 'skip')


class NonFiniteLossError(RuntimeError):
    """Training stopped on a NaN/Inf loss (or NaN weights about to be
    saved)."""


def _value(value) -> float:
    if isinstance(value, torch.Tensor):
        return float(value.detach().float().mean()) if value.numel() else 0.
    return float(value)


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Guards a run against NaN/Inf losses.

    At ``before_train`` the run's ``OptimWrapper.update_params`` is wrapped:
    a step whose loss is not finite on any process (one all-reduced flag
    per step in distributed runs, so every process decides alike) makes no
    backward pass and no optimizer step, and the gradients of the current
    accumulation window are dropped. The weights therefore stay those of
    the last finite step. After the iteration (priority ``HIGH``: before
    the ``ParamSchedulerHook``, the ``LoggerHook`` and the checkpoint hook)

    * ``action='stop'`` raises :class:`NonFiniteLossError` naming the
      iteration, every loss term and the learning rates. No checkpoint is
      written, neither at this iteration nor at the end of training, so the
      last checkpoint on disk is the last good one.
    * ``action='skip'`` logs the same and continues (the BN statistics
      that the bad forward pass changed are restored too); after more than
      ``max_skips`` skipped steps it stops as above. The number of skipped
      steps is kept in the message hub (``non_finite_skips``, also across
      ``--resume``).

    Independently of the loss, a checkpoint is refused when a weight is not
    finite or a buffer is NaN (``before_save_checkpoint``): the save raises
    and the previous checkpoint stays the last one.

    Models that do not step through ``OptimWrapper.update_params`` (several
    optimizers) get the check on their logged loss terms only; ``'skip'``
    needs a single ``OptimWrapper``.

    Args:
        action (str): ``'stop'`` (default) or ``'skip'``.
        max_skips (int): With ``'skip'``: skipped steps allowed in the run
            before it stops. Defaults to 10.
    """

    priority = 'HIGH'

    def __init__(self, action: str = 'stop', max_skips: int = 10) -> None:
        if action not in _ACTIONS:
            raise ValueError(
                f'NonFiniteLossHook: action must be one of {_ACTIONS}, got '
                f'{action!r}')
        if max_skips < 0:
            raise ValueError(f'NonFiniteLossHook: max_skips must be >= 0, '
                             f'got {max_skips}')
        self.action = action
        self.max_skips = max_skips
        self.skips = 0
        self._bad_step: Optional[bool] = None
        self._buffers: Dict[str, torch.Tensor] = {}

    # -- the step ----------------------------------------------------------
    def _finite_everywhere(self, loss: torch.Tensor) -> bool:
        finite = torch.isfinite(loss.detach()).all()
        if get_world_size() > 1:
            flag = finite.to(torch.int32).reshape(1)
            torch_dist.all_reduce(flag, op=torch_dist.ReduceOp.MIN)
            return bool(flag.item())
        return bool(finite)

    def _wrap(self, optim_wrapper: OptimWrapper) -> None:
        update = optim_wrapper.update_params

        def guarded_update(loss, *args, **kwargs):
            if self._finite_everywhere(loss):
                self._bad_step = False
                return update(loss, *args, **kwargs)
            self._bad_step = True
            # count the micro-step as consumed, drop the window's gradients
            optim_wrapper._inner_count += 1
            optim_wrapper.zero_grad()

        optim_wrapper.update_params = guarded_update

    def before_train(self, runner) -> None:
        # a resumed run goes on counting; a fresh one starts at 0 (the message
        # hub of a run may be shared with an earlier one of the same name)
        self.skips = int(runner.message_hub.get_info(
            'non_finite_skips', 0)) if runner.iter > 0 else 0
        runner.message_hub.update_info('non_finite_skips', self.skips)
        if isinstance(runner.optim_wrapper, OptimWrapper):
            self._wrap(runner.optim_wrapper)
        elif self.action == 'skip':
            raise ValueError("NonFiniteLossHook(action='skip') needs a single "
                             f'OptimWrapper; this run has '
                             f'{type(runner.optim_wrapper).__name__}: use '
                             "action='stop'")

    def _model(self, runner) -> torch.nn.Module:
        return runner.model.module if is_model_wrapper(runner.model) \
            else runner.model

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        self._bad_step = None
        if self.action == 'skip':
            self._buffers = {
                name: buf.detach().clone()
                for name, buf in self._model(runner).named_buffers()
            }

    def _restore_buffers(self, runner) -> None:
        for name, buf in self._model(runner).named_buffers():
            if name in self._buffers:
                buf.copy_(self._buffers[name])

    # -- the verdict -------------------------------------------------------
    @staticmethod
    def _loss_terms(outputs) -> Dict[str, float]:
        if not isinstance(outputs, dict):
            return {}
        return {
            k: _value(v)
            for k, v in outputs.items()
            if isinstance(v, (torch.Tensor, float, int))
        }

    def describe(self, runner, outputs) -> str:
        """The iteration, every logged term and the learning rates."""
        terms = ', '.join(f'{k}={v:.6g}'
                          for k, v in self._loss_terms(outputs).items())
        lrs = {
            k: ', '.join(f'{v:.6g}' for v in vals)
            for k, vals in runner.optim_wrapper.get_lr().items()
        }
        lr_text = '; '.join(f'{k} {v}' for k, v in lrs.items())
        return (f'non-finite loss at iteration {runner.iter + 1}/'
                f'{runner.max_iters}: {terms or "no loss terms logged"}; '
                f'learning rate: {lr_text}')

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        bad = self._bad_step
        if bad is None:  # no update_params this step: the logged terms
            bad = any(not math.isfinite(v)
                      for k, v in self._loss_terms(outputs).items()
                      if 'loss' in k)
        if not bad:
            return
        text = self.describe(runner, outputs)
        if self.action == 'skip' and self.skips < self.max_skips:
            self.skips += 1
            self._restore_buffers(runner)
            runner.message_hub.update_info('non_finite_skips', self.skips)
            runner.logger.warning(
                f'Skipped the optimizer step ({self.skips}/{self.max_skips} '
                f'skips allowed): {text}')
            return
        why = (f'more than max_skips={self.max_skips} skipped steps; '
               if self.action == 'skip' else '')
        last = runner.message_hub.get_info('last_ckpt')
        kept = (f'the last checkpoint, {last}, is from before it'
                if last else 'no checkpoint was saved before it')
        message = (
            f'Training stopped: {why}{text}. Nothing was saved for this '
            f'step and {kept}. Lower the learning rate '
            '(optim_wrapper.optimizer.lr) or check the data; '
            "default_hooks.non_finite_loss.action='skip' skips such steps "
            'instead (up to max_skips).')
        runner.logger.error(message)
        raise NonFiniteLossError(message)

    # -- the checkpoint ----------------------------------------------------
    @staticmethod
    def non_finite_tensors(model: torch.nn.Module) -> List[str]:
        """Names of non-finite weights and NaN buffers (infinite buffers,
        such as attention masks, are allowed)."""
        names = [
            n for n, p in model.named_parameters()
            if p.is_floating_point() and not torch.isfinite(p).all()
        ]
        names += [
            n for n, b in model.named_buffers()
            if b.is_floating_point() and torch.isnan(b).any()
        ]
        return names

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        bad = self.non_finite_tensors(self._model(runner))
        if bad:
            shown = ', '.join(
                bad[:5]) + (f' (+{len(bad) - 5} more)' if len(bad) > 5 else '')
            message = (
                f'Not saving the checkpoint of iteration {runner.iter}: '
                f'{len(bad)} tensors of the model are not finite ({shown}). '
                'The last checkpoint in the work directory is left as it '
                'was.')
            runner.logger.error(message)
            raise NonFiniteLossError(message)
