# Copyright (c) constcl_mm authors. All rights reserved.
from .two_view_preprocessor import ConSTCLDataPreprocessor

__all__ = ['ConSTCLDataPreprocessor']
