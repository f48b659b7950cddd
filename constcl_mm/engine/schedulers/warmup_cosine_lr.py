# Copyright (c) constcl_mm authors. All rights reserved.
import math
from typing import Optional

from mmaction.registry import PARAM_SCHEDULERS
from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler

_WARMUP_KEYS = ('iters', 'epochs', 'ratio')
_ORIGINS = ('warmup_end', 'zero')


def warmup_cosine_factor(step: int,
                         total: int,
                         warmup: int,
                         start_factor: float = 0.0,
                         cosine_origin: str = 'warmup_end',
                         eta_min_ratio: float = 0.0) -> float:
    """LR multiplier of a linear warmup followed by a cosine decay.

    With ``cosine_origin='warmup_end'`` (the paper's reading, and mmengine's
    ``LinearLR`` + ``CosineAnnealingLR(begin=W)``) the warmup rises linearly
    from ``start_factor`` to 1 over ``W`` steps and the cosine runs over the
    remaining ``T - W`` steps::

        f(t) = s + (1 - s) t / W                              for t < W
        f(t) = e + (1 - e) (1 + cos(pi (t - W) / (T - W))) / 2   for t >= W

    With ``cosine_origin='zero'`` (the official TF schedule, Model Garden's
    linear warmup wrapped around a cosine of the global step) the cosine
    ``c(t) = e + (1 - e) (1 + cos(pi t / T)) / 2`` has no offset and the
    warmup rises to ``c(W)``::

        f(t) = c(W) (s + (1 - s) t / W)   for t < W
        f(t) = c(t)                       for t >= W

    Args:
        step (int): Step t (0-based) within the schedule.
        total (int): Steps T of the schedule.
        warmup (int): Warmup steps W (0 for none).
        start_factor (float): s, the multiplier at step 0.
        cosine_origin (str): ``'warmup_end'`` or ``'zero'``.
        eta_min_ratio (float): e, the final multiplier.

    Returns:
        float: The multiplier of the base LR at ``step``.
    """
    if cosine_origin not in _ORIGINS:
        raise ValueError(f'cosine_origin must be one of {_ORIGINS}, got '
                         f'{cosine_origin!r}')
    if not 0 <= warmup < total:
        raise ValueError(f'warmup ({warmup} steps) must be in [0, total) = '
                         f'[0, {total})')
    step = min(max(step, 0), total)

    def cosine(t: float, length: float) -> float:
        return eta_min_ratio + (1 - eta_min_ratio) * 0.5 * (
            1 + math.cos(math.pi * t / length))

    if cosine_origin == 'zero':
        if step < warmup:
            return cosine(warmup, total) * (
                start_factor + (1 - start_factor) * step / warmup)
        return cosine(step, total)
    if step < warmup:
        return start_factor + (1 - start_factor) * step / warmup
    return cosine(step - warmup, total - warmup)


@PARAM_SCHEDULERS.register_module()
class WarmupCosineLR(LRSchedulerMixin, _ParamScheduler):
    """Linear warmup then cosine decay, with both lengths taken from the
    training loop.

    ``end`` is left out of the config: mmengine's runner sets it to the
    loop's ``max_iters`` (iteration- and epoch-based loops alike, since the
    scheduler steps every iteration), so ``--cfg-options
    train_cfg.max_iters=N`` moves the end of the cosine with it.
    ``LoopScheduleHook`` (``default_hooks.loop_schedule`` of every runtime
    base) re-reads the loop and the dataset at the start of training and
    calls :meth:`resolve`, which also converts a warmup in epochs or as a
    fraction of the run into steps. The formulas are in
    :func:`warmup_cosine_factor`.

    Args:
        optimizer (Optimizer | OptimWrapper): Wrapped optimizer.
        warmup (dict): Exactly one of ``iters=N`` (steps), ``epochs=E``
            (passes over the training set at the run's global batch) or
            ``ratio=r`` (a fraction of the run's steps). ``dict(iters=0)``
            for no warmup.
        start_factor (float): LR multiplier at step 0. Defaults to 0.
        cosine_origin (str): ``'warmup_end'`` (cosine over the steps after
            the warmup, from the peak LR; the paper) or ``'zero'`` (cosine
            of the global step, the warmup rising to its value at the end
            of the warmup; the official TF code). Defaults to
            ``'warmup_end'``.
        eta_min_ratio (float): Final LR as a fraction of the base LR.
            Defaults to 0.
        begin (int): Defaults to 0.
        end (int): Set by the runner from the loop. Defaults to INF.
        last_step (int): Defaults to -1.
        by_epoch (bool): Must be False (the schedule is per step).
        verbose (bool): Defaults to False.
    """

    def __init__(self,
                 optimizer,
                 warmup: dict,
                 start_factor: float = 0.0,
                 cosine_origin: str = 'warmup_end',
                 eta_min_ratio: float = 0.0,
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = False,
                 verbose: bool = False) -> None:
        if by_epoch:
            raise ValueError(
                'WarmupCosineLR steps every iteration: set by_epoch=False '
                '(epoch-based loops work too; give the warmup as '
                'dict(epochs=E))')
        if not isinstance(warmup, dict) or len(warmup) != 1 or \
                next(iter(warmup)) not in _WARMUP_KEYS:
            raise ValueError(
                'warmup must be a dict with exactly one of '
                f'{_WARMUP_KEYS}, e.g. dict(epochs=5), got {warmup!r}')
        if cosine_origin not in _ORIGINS:
            raise ValueError(f'cosine_origin must be one of {_ORIGINS}, '
                             f'got {cosine_origin!r}')
        if not 0 <= start_factor <= 1:
            raise ValueError(
                f'start_factor must be in [0, 1], got {start_factor}')
        self.warmup = dict(warmup)
        self.start_factor = start_factor
        self.cosine_origin = cosine_origin
        self.eta_min_ratio = eta_min_ratio
        self.warmup_iters: Optional[int] = None
        self._resolve_warmup(end - begin, iters_per_epoch=None)
        if self.warmup_iters is not None and end < INF:
            self.begin, self.end = begin, end
            self._check_fits(iters_per_epoch=None)
        super().__init__(
            optimizer,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=False,
            verbose=verbose)

    @property
    def total_iters(self) -> int:
        return self.end - self.begin

    def _resolve_warmup(self, total: float,
                        iters_per_epoch: Optional[float]) -> None:
        (kind, value), = self.warmup.items()
        if kind == 'iters':
            self.warmup_iters = int(value)
        elif kind == 'ratio' and total < INF:
            self.warmup_iters = int(round(value * total))
        elif kind == 'epochs' and iters_per_epoch is not None:
            self.warmup_iters = max(1, int(round(value * iters_per_epoch))) \
                if value > 0 else 0
        else:
            self.warmup_iters = None

    def resolve(self,
                total_iters: int,
                iters_per_epoch: Optional[float] = None) -> None:
        """Fixes the schedule length and the warmup from the loop.

        Args:
            total_iters (int): Steps of the run (the loop's ``max_iters``).
            iters_per_epoch (float, optional): Steps per pass over the
                training set at the run's global batch; needed for a warmup
                in epochs.
        """
        self.end = self.begin + int(total_iters)
        self._resolve_warmup(self.total_iters, iters_per_epoch)
        if self.warmup_iters is None:
            raise ValueError(
                f'WarmupCosineLR: warmup={self.warmup} needs the epoch '
                'length (iterations per pass over the training set)')
        self._check_fits(iters_per_epoch)

    def _check_fits(self, iters_per_epoch: Optional[float]) -> None:
        """Raises when the resolved warmup is not shorter than the run."""
        if not 0 <= self.warmup_iters < self.total_iters:
            raise ValueError(
                f'WarmupCosineLR: the warmup ({self.warmup} = '
                f'{self.warmup_iters} steps) must be shorter than the run '
                f'({self.total_iters} steps of train_cfg): '
                f'{self.fitting_warmup(iters_per_epoch)}')

    def fitting_warmup(self, iters_per_epoch: Optional[float]) -> str:
        """The setting that gives this run a warmup of 5 % of its steps
        (at least 1, shorter than the run), for the error message."""
        (kind, _), = self.warmup.items()
        steps = max(1, self.total_iters // 20) if self.total_iters > 1 else 0
        if kind == 'epochs' and iters_per_epoch:
            value = f'{steps / iters_per_epoch:.3g}'
        elif kind == 'ratio':
            kind, value = 'ratio', f'{steps / self.total_iters:.3g}'
        else:
            kind, value = 'iters', str(steps)
        return (f'set param_scheduler.warmup.{kind}={value} (= {steps} '
                f'steps; 0 for none; param_scheduler.<i>.warmup.{kind} when '
                'param_scheduler is a list), or use --smoke, which fits the '
                'warmup to a short run. The warmup stays in its own unit '
                'when train_cfg.max_iters changes.')

    def factor(self, step: int) -> float:
        """The LR multiplier at ``step`` (0-based, relative to ``begin``)."""
        if self.warmup_iters is None:
            if step <= 0:  # before resolution: the value at step 0
                return self.start_factor
            raise RuntimeError(
                f'WarmupCosineLR: warmup={self.warmup} was not resolved to '
                'steps; LoopScheduleHook (default_hooks.loop_schedule) does '
                'that at the start of training')
        if self.end >= INF:
            raise RuntimeError(
                'WarmupCosineLR needs a finite end: leave `end` out of the '
                'config so that the runner sets it from the training loop')
        return warmup_cosine_factor(step, self.total_iters, self.warmup_iters,
                                    self.start_factor, self.cosine_origin,
                                    self.eta_min_ratio)

    def _get_value(self):
        factor = self.factor(self.last_step)
        return [base * factor for base in self.base_values]
