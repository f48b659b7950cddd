# Copyright (c) constcl_mm authors. All rights reserved.
from .ava_sampling import SampleAVAKineticsFrames
from .clip_geometric import (MultiViewFlip, MultiViewRandomResizedCrop,
                             sample_distorted_crop)
from .clip_photometric import (MultiViewColorJitter, MultiViewGaussianBlur,
                               MultiViewGrayscale, MultiViewSolarize)
from .cropped_decode import MultiClipDecodeResizedCrop, linear_taps
from .cvrl_sampling import (CVRLSampleFrames, cvrl_offset_cdf,
                            cvrl_sample_offset)
from .formatting import PackConSTCLInputs
from .indexed_pyav_reader import IndexedPyAVReader
from .loading import MultiClipDecode, VideoReaderInit
from .proposal_boxes import ProposalRegionBoxes
from .random_boxes import RandomRegionBoxes
from .region_boxes import BaseRegionBoxes, GenerateRegionBoxes, mirror_boxes
from .segment_boxes import (FelzenszwalbRegionBoxes, SLICRegionBoxes,
                            boxes_from_segments)
from .tracking_crop import SiamFCPairCrop, context_size, crop_square
from .tracking_formatting import PackSiamFCPairInputs, PackSOTInputs
from .tracking_loading import LoadTrackingFrames
from .video_readers import (BaseFrameReader, DecordReader, OpenCVReader,
                            PyAVReader, RawFrameReader, VideoDecodeError,
                            open_video)
from .world_boxes import (PackWorldSupervisedInputs, WorldObjectBoxes,
                          boxes_in_view)

__all__ = [
    'SampleAVAKineticsFrames', 'VideoReaderInit', 'MultiClipDecode',
    'MultiClipDecodeResizedCrop', 'linear_taps', 'CVRLSampleFrames',
    'cvrl_offset_cdf', 'cvrl_sample_offset', 'MultiViewRandomResizedCrop',
    'MultiViewFlip', 'sample_distorted_crop', 'MultiViewColorJitter',
    'MultiViewGrayscale', 'MultiViewGaussianBlur', 'MultiViewSolarize',
    'BaseRegionBoxes', 'GenerateRegionBoxes', 'RandomRegionBoxes',
    'SLICRegionBoxes', 'FelzenszwalbRegionBoxes', 'ProposalRegionBoxes',
    'mirror_boxes', 'boxes_from_segments', 'PackConSTCLInputs',
    'BaseFrameReader', 'DecordReader', 'PyAVReader', 'OpenCVReader',
    'IndexedPyAVReader', 'RawFrameReader', 'VideoDecodeError', 'open_video',
    'LoadTrackingFrames', 'SiamFCPairCrop', 'PackSOTInputs',
    'PackSiamFCPairInputs', 'context_size', 'crop_square', 'WorldObjectBoxes',
    'PackWorldSupervisedInputs', 'boxes_in_view'
]
