# Copyright (c) constcl_mm authors. All rights reserved.
from .channels_last_action_preprocessor import \
    ChannelsLastActionDataPreprocessor
from .two_view_preprocessor import ConSTCLDataPreprocessor

__all__ = ['ChannelsLastActionDataPreprocessor', 'ConSTCLDataPreprocessor']
