# Copyright (c) constcl_mm authors. All rights reserved.
from typing import Iterable, List, Optional

from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler
from mmengine.runner import EpochBasedTrainLoop

from ..schedulers.warmup_cosine_lr import WarmupCosineLR


def iters_per_epoch(runner) -> float:
    """Steps per pass over the training set at the run's global batch.

    Epoch-based loops: the length of the (per-rank) dataloader. Iteration-
    based loops (an endless sampler, whose length is meaningless): training
    samples / (batch size x world size).
    """
    if isinstance(runner.train_loop, EpochBasedTrainLoop):
        return float(len(runner.train_dataloader))
    loader = runner.train_dataloader
    return len(loader.dataset) / float(loader.batch_size * runner.world_size)


def schedule_mismatches(schedulers: Iterable[_ParamScheduler],
                        max_iters: int,
                        max_epochs: Optional[int] = None) -> List[str]:
    """Schedulers whose extent disagrees with the training loop.

    A scheduler that ends after the loop is cut off (its final value is
    never reached); a cosine scheduler (anything with ``T_max``) whose end is
    not the loop's, or whose ``T_max`` is not ``end - begin``, decays over a
    different length than the run.

    Args:
        schedulers: Built parameter schedulers.
        max_iters (int): The loop's steps.
        max_epochs (int, optional): The loop's epochs (epoch-based loops).

    Returns:
        list[str]: One message per disagreement (empty if none).
    """
    messages = []
    for sched in schedulers:
        name = type(sched).__name__
        if sched.by_epoch:
            if max_epochs is None:
                messages.append(
                    f'{name} is epoch-based but the loop is iteration-based '
                    f'({max_iters} iterations): use by_epoch=False')
                continue
            loop_end, unit = max_epochs, 'epoch'
        else:
            loop_end, unit = max_iters, 'iteration'
        if sched.end >= INF:
            continue
        if sched.end > loop_end:
            messages.append(
                f'{name} ends at {unit} {sched.end} but the loop stops at '
                f'{loop_end}: the schedule is cut off before its final '
                'value')
        elif hasattr(sched, 'T_max') and sched.end != loop_end:
            messages.append(
                f'{name} ends at {unit} {sched.end} but the loop runs to '
                f'{loop_end}: the cosine does not span the run')
        t_max = getattr(sched, 'T_max', None)
        if t_max is not None and t_max != sched.end - sched.begin:
            messages.append(
                f'{name} has T_max={t_max} but spans {unit}s '
                f'{sched.begin}-{sched.end} ({sched.end - sched.begin})')
    return messages


@HOOKS.register_module()
class LoopScheduleHook(Hook):
    """Fits the LR schedule to the training loop at the start of training.

    At ``before_train`` (after the checkpoint of a resumed run is loaded)
    every :class:`WarmupCosineLR` gets the loop's ``max_iters`` as its end
    and its warmup in steps (from epochs at the run's global batch, or as a
    fraction of the run); then every scheduler of the run is checked against
    the loop and each disagreement is logged as a warning (e.g. a
    ``CosineAnnealingLR`` with a literal ``end`` after
    ``--cfg-options train_cfg.max_iters=6``). The resolved schedule is
    logged once. A resumed run (also with another ``max_iters``) continues
    the schedule of its own length from the resumed iteration, with the LR
    of a fresh run of that length at every step (logged).
    """

    priority = 'VERY_HIGH'

    @staticmethod
    def _align(sched: WarmupCosineLR, iteration: int) -> bool:
        """Sets ``sched`` to the loop's ``iteration`` and the LR to its
        value there; False if the iteration is outside the schedule.

        mmengine steps a scheduler only inside ``[begin, end)``: the step
        after a run's last iteration does not count, so a checkpoint of a
        finished run holds ``last_step`` one short. A run resumed from it
        with a larger ``max_iters`` would follow the schedule one step
        behind a fresh run of that length; fixing the position from the
        loop keeps both equal.
        """
        if not sched.begin <= iteration < sched.end:
            return False
        sched.last_step = iteration - sched.begin
        sched._global_step = iteration
        for group, value in zip(sched.optimizer.param_groups,
                                sched._get_value()):
            group[sched.param_name] = value
        sched._last_value = [
            group[sched.param_name] for group in sched.optimizer.param_groups
        ]
        return True

    @staticmethod
    def _flat(schedulers) -> List[_ParamScheduler]:
        if schedulers is None:
            return []
        if isinstance(schedulers, dict):
            return [s for group in schedulers.values() for s in group]
        return list(schedulers)

    def before_train(self, runner) -> None:
        schedulers = self._flat(runner.param_schedulers)
        max_iters = runner.max_iters
        max_epochs = runner.max_epochs if isinstance(
            runner.train_loop, EpochBasedTrainLoop) else None
        per_epoch = None
        for sched in schedulers:
            if not isinstance(sched, WarmupCosineLR):
                continue
            if per_epoch is None:
                per_epoch = iters_per_epoch(runner)
            saved_end = sched.end
            sched.resolve(max_iters - sched.begin, per_epoch)
            runner.logger.info(
                f'WarmupCosineLR: {sched.total_iters} steps '
                f'({sched.begin}-{sched.end}), warmup {sched.warmup} = '
                f'{sched.warmup_iters} steps, cosine origin '
                f"'{sched.cosine_origin}'")
            if self._align(sched, runner.iter) and runner.iter > 0:
                runner.logger.info(
                    f'WarmupCosineLR resumed at iteration {runner.iter} '
                    f'(the checkpoint\'s schedule ended at {saved_end}): '
                    f'the LR follows the {sched.total_iters}-step schedule '
                    f'of this run from step {runner.iter}, '
                    f'{sched._last_value[0]:.4e} now, as a fresh run of '
                    'that length')
        for message in schedule_mismatches(schedulers, max_iters, max_epochs):
            runner.logger.warning(f'LR schedule: {message}')
