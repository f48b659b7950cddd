# Copyright (c) constcl_mm authors. All rights reserved.
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .bad_video_count_hook import BadVideoCountHook
from .loop_schedule_hook import LoopScheduleHook
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook

__all__ = [
    'AtomicCheckpointHook', 'BadVideoCountHook', 'LoopScheduleHook',
    'NonFiniteLossError', 'NonFiniteLossHook'
]
