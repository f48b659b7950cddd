# Copyright (c) constcl_mm authors. All rights reserved.
"""Frame sampling around AVA and AVA-Kinetics keyframes."""
import numpy as np
from mmaction.datasets.transforms import SampleAVAFrames
from mmaction.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SampleAVAKineticsFrames(SampleAVAFrames):
    """``SampleAVAFrames`` that also samples around Kinetics keyframes.

    AVA entries are sampled exactly as mmaction2's ``SampleAVAFrames`` does.
    Entries of :class:`MixedAVAKineticsDataset` that carry a
    ``keyframe_index`` (the 1-based frame file of the keyframe, which a
    fractional timestamp cannot give ``SampleAVAFrames``) and a
    ``frame_range`` (first and last frame file) are sampled around it:
    ``clip_len`` frames ``frame_interval`` apart, centred on the keyframe
    (with the same random offsets in training), clamped to the clip.

    Args:
        clip_len (int): Frames per clip.
        frame_interval (int): Temporal stride. Defaults to 2.
        test_mode (bool): No random offsets. Defaults to False.
    """

    def transform(self, results: dict) -> dict:
        if 'keyframe_index' not in results:
            return super().transform(results)
        first, last = results['frame_range']
        offsets = np.random.randint(
            -self.frame_interval // 2, (self.frame_interval + 1) // 2,
            size=self.clip_len)
        frame_inds = self._get_clips(
            int(results['keyframe_index']), offsets, (first, last + 1))
        results['frame_inds'] = np.asarray(frame_inds, dtype=np.int32)
        results['clip_len'] = self.clip_len
        results['frame_interval'] = self.frame_interval
        results['num_clips'] = 1
        results['crop_quadruple'] = np.array([0, 0, 1, 1], dtype=np.float32)
        return results
