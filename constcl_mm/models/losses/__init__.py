# Copyright (c) constcl_mm authors. All rights reserved.
from .nt_xent import nt_xent_loss
from .region_infonce import (match_regions, region_infonce_loss,
                             region_infonce_one_way)

__all__ = [
    'nt_xent_loss', 'match_regions', 'region_infonce_loss',
    'region_infonce_one_way'
]
