# Copyright (c) constcl_mm authors. All rights reserved.
from .atomic_checkpoint_hook import AtomicCheckpointHook

__all__ = ['AtomicCheckpointHook']
