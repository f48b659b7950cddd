# Copyright (c) constcl_mm authors. All rights reserved.
from .complexity import count_macs, count_parameters
from .setup_env import adapt_cfg_to_machine

__all__ = ['adapt_cfg_to_machine', 'count_macs', 'count_parameters']
