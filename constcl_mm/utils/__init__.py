# Copyright (c) constcl_mm authors. All rights reserved.
from .complexity import count_macs, count_parameters
from .errors import AnnotationError
from .setup_env import (adapt_cfg_to_machine, build_runner, finish_distributed,
                        set_work_dir)

__all__ = [
    'AnnotationError', 'adapt_cfg_to_machine', 'build_runner', 'count_macs',
    'count_parameters', 'finish_distributed', 'set_work_dir'
]
