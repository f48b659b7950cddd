# Copyright (c) constcl_mm authors. All rights reserved.
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .loop_schedule_hook import LoopScheduleHook

__all__ = ['AtomicCheckpointHook', 'LoopScheduleHook']
