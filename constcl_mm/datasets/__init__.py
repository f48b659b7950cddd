# Copyright (c) constcl_mm authors. All rights reserved.
from .ava_kinetics_dataset import MixedAVAKineticsDataset
from .got10k_pair_dataset import GOT10kPairDataset
from .labeled_video_dataset import LabeledVideoDataset
from .otb_dataset import (OTB100_TARGETS, OTB100Dataset, OTBTarget,
                          load_sot_bboxes, parse_otb_infos)
from .samplers import VideoSampler
from .skip_bad_videos import SkipBadVideosMixin, TooManyBadVideosError
from .synthetic_video_dataset import (SyntheticFrameReader,
                                      SyntheticVideoDataset)
from .synthetic_world import SyntheticVideo, SyntheticWorld
from .transforms import *  # noqa: F401,F403
from .two_view_rawframe_dataset import (TwoViewRawframeDataset,
                                        parse_rawframe_list)
from .two_view_video_dataset import TwoViewVideoDataset, parse_video_list

__all__ = [
    'SkipBadVideosMixin', 'TooManyBadVideosError', 'TwoViewVideoDataset',
    'TwoViewRawframeDataset', 'parse_video_list', 'parse_rawframe_list',
    'GOT10kPairDataset', 'OTB100Dataset', 'OTB100_TARGETS', 'OTBTarget',
    'load_sot_bboxes', 'parse_otb_infos', 'VideoSampler',
    'MixedAVAKineticsDataset', 'SyntheticVideoDataset', 'SyntheticFrameReader',
    'SyntheticWorld', 'SyntheticVideo', 'LabeledVideoDataset'
]
