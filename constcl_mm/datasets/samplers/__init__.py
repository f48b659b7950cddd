# Copyright (c) constcl_mm authors. All rights reserved.
from .video_sampler import VideoSampler

__all__ = ['VideoSampler']
