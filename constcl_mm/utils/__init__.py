# Copyright (c) constcl_mm authors. All rights reserved.
from .setup_env import adapt_cfg_to_machine

__all__ = ['adapt_cfg_to_machine']
