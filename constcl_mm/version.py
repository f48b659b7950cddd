# Copyright (c) constcl_mm authors. All rights reserved.
__version__ = '0.1.0'
