# Copyright (c) constcl_mm authors. All rights reserved.
from .optimizers import *  # noqa: F401,F403
