# Copyright (c) constcl_mm authors. All rights reserved.
from .backbones import *  # noqa: F401,F403
from .common import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .roi_heads import *  # noqa: F401,F403
from .selfsup import *  # noqa: F401,F403
from .supervised import *  # noqa: F401,F403
from .trackers import *  # noqa: F401,F403
