# Copyright (c) constcl_mm authors. All rights reserved.
"""Pack a two-view ConST-CL sample for the model."""
from typing import Dict, Sequence

import cv2
import numpy as np
import torch
from mmaction.registry import TRANSFORMS
from mmaction.structures import ActionDataSample
from mmcv.transforms import BaseTransform

from .view_utils import get_views


@TRANSFORMS.register_module()
class PackConSTCLInputs(BaseTransform):
    """Packs the views, region boxes and clip positions of one video.

    Output ``dict(inputs, data_samples)``:

    * ``inputs``: ``torch.uint8`` ``(V, 3, T, H, W)`` (V = 2: view 1, the
      always-blurred one, then view 2), RGB in ``0..255``. Float views
      (``[0, 1]``, from the colour transforms) are rounded to ``uint8``;
      the data preprocessor maps them to ``[-1, 1]`` (mean = std = 127.5).
    * ``data_samples``: an :class:`ActionDataSample` with the data fields

      - ``boxes``: ``float32`` ``(V, N, 4)``, normalised ``[x1, y1, x2, y2]``
        in each view's final crop, for frame ``keyframe_index`` of the clip;
      - ``box_valid``: ``bool`` ``(V, N)`` (False marks padding);
      - ``clip_starts``: ``int64`` ``(V,)``, first frame position of each
        clip (0-based in the decoded video);
      - ``flip``: ``bool`` ``(V,)``;
      - ``gt_label`` when the sample has a ``label``;

      and the metainfo ``filename`` (the video file, or the frame folder),
      ``keyframe_index`` (``T // 2``), ``num_boxes`` (``N``) plus
      ``meta_keys`` present in the sample, and ``photometric_ops`` when the
      photometric transforms were deferred to the device (their drawn
      parameters, which :class:`ConSTCLDataPreprocessor` applies).

    Required Keys:

        - imgs: ``(V, T, H, W, 3)``, ``uint8`` or ``float32`` in ``[0, 1]``
        - boxes, box_valid, clip_starts
        - flip (optional: no flip), label (optional)

    Args:
        meta_keys (Sequence[str]): Extra sample keys copied to the metainfo
            when present. Defaults to ``('img_shape', 'clip_len',
            'frame_interval', 'box_type')``.
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = ('img_shape', 'clip_len', 'frame_interval',
                                    'box_type')
    ) -> None:
        self.meta_keys = tuple(meta_keys)

    @staticmethod
    def to_uint8_channels_first(imgs: np.ndarray) -> np.ndarray:
        """``(V, T, H, W, C)`` views -> ``uint8`` ``(V, C, T, H, W)``.

        Float views in ``[0, 1]`` are scaled by 255, rounded to the nearest
        integer and saturated to ``0..255``.
        """
        num_views, clip_len, height, width, channels = imgs.shape
        if imgs.dtype == np.uint8:  # one strided copy, no rounding
            return np.ascontiguousarray(imgs.transpose(0, 4, 1, 2, 3))
        out = np.empty((num_views, channels, clip_len, height, width),
                       dtype=np.uint8)
        for v in range(num_views):
            for t in range(clip_len):
                frame = imgs[v, t]
                if frame.dtype != np.uint8:
                    # round-half-even and saturation, like np.rint + clip
                    frame = cv2.convertScaleAbs(
                        cv2.max(np.ascontiguousarray(frame, np.float32), 0.0),
                        alpha=255.0)
                out[v, :, t] = frame.reshape(height, width,
                                             channels).transpose(2, 0, 1)
        return out

    def transform(self, results: Dict) -> Dict:
        """Packs the sample.

        Args:
            results (dict): The result dict.

        Returns:
            dict: ``dict(inputs=Tensor, data_samples=ActionDataSample)``.
        """
        imgs = get_views(results, self.__class__.__name__)
        num_views, clip_len = imgs.shape[:2]
        if imgs.shape[-1] != 3:
            raise ValueError(f'expected RGB views, got {imgs.shape[-1]} '
                             'channels')
        for key in ('boxes', 'box_valid', 'clip_starts'):
            if key not in results:
                raise KeyError(
                    f'PackConSTCLInputs needs `{key}`; put a box generator '
                    '(e.g. GenerateRegionBoxes) and CVRLSampleFrames in the '
                    'pipeline')
        boxes = np.asarray(results['boxes'], dtype=np.float32)
        valid = np.asarray(results['box_valid'], dtype=bool)
        if boxes.ndim != 3 or boxes.shape[0] != num_views or boxes.shape[
                2] != 4 or valid.shape != boxes.shape[:2]:
            raise ValueError(
                f'boxes {boxes.shape} / box_valid {valid.shape} do not match '
                f'{num_views} views of (N, 4) boxes')
        starts = np.asarray(results['clip_starts'], dtype=np.int64)
        flips = np.asarray(
            results.get('flip', np.zeros(num_views, dtype=bool)), dtype=bool)
        if starts.shape != (num_views, ) or flips.shape != (num_views, ):
            raise ValueError(
                f'clip_starts {starts.shape} and flip {flips.shape} must '
                f'have one entry per view ({num_views})')

        inputs = torch.from_numpy(self.to_uint8_channels_first(imgs))

        data_sample = ActionDataSample()
        data_sample.set_field(torch.from_numpy(boxes), 'boxes')
        data_sample.set_field(torch.from_numpy(valid), 'box_valid')
        data_sample.set_field(torch.from_numpy(starts), 'clip_starts')
        data_sample.set_field(torch.from_numpy(flips), 'flip')
        if 'label' in results:
            data_sample.set_gt_label(results['label'])
        keyframe = int(results.get('keyframe_index', clip_len // 2))
        filename = results.get('filename', results.get('frame_dir'))
        meta = dict(
            filename=filename,
            keyframe_index=keyframe,
            num_boxes=int(boxes.shape[1]))
        for key in self.meta_keys:
            if key in results:
                meta[key] = results[key]
        if results.get('photometric_ops'):
            meta['photometric_ops'] = results['photometric_ops']
        data_sample.set_metainfo(meta)
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
