# Copyright (c) constcl_mm authors. All rights reserved.
"""Pack tracking samples: one test frame (OPE) or one training pair."""
from typing import Sequence

import numpy as np
import torch
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData


def _to_tchw(imgs: np.ndarray) -> torch.Tensor:
    """``(T, H, W, 3)`` uint8 -> ``(T, 3, H, W)`` uint8 tensor."""
    if imgs.ndim != 4:
        raise ValueError(f'expected frames (T, H, W, C), got {imgs.shape}')
    return torch.from_numpy(np.ascontiguousarray(imgs.transpose(0, 3, 1, 2)))


class _PackTrackingBase(BaseTransform):
    """What both packers share: ``meta_keys`` and the data sample.

    Args:
        meta_keys (Sequence[str]): Extra keys copied to the metainfo.
    """

    #: metainfo keys always copied (when present)
    base_meta_keys: Sequence[str] = ()

    def __init__(self, meta_keys: Sequence[str] = ()) -> None:
        self.meta_keys = tuple(meta_keys)

    def _data_sample(self, results: dict, bboxes) -> DetDataSample:
        """A sample whose ``gt_instances.bboxes`` is ``bboxes`` as float32
        ``(N, 4)``, with the metainfo keys found in ``results``."""
        data_sample = DetDataSample()
        gt = InstanceData()
        gt.bboxes = torch.as_tensor(
            np.asarray(bboxes, np.float32).reshape(-1, 4))
        data_sample.gt_instances = gt
        data_sample.set_metainfo({
            k: results[k]
            for k in tuple(self.base_meta_keys) + self.meta_keys
            if k in results
        })
        return data_sample

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'


@TRANSFORMS.register_module()
class PackSOTInputs(_PackTrackingBase):
    """Packs one frame (with its neighbours) of a tracking sequence.

    Output ``dict(inputs, data_samples)``:

    * ``inputs``: ``uint8`` ``(T, 3, H, W)`` RGB, T = 2n + 1 frames, the
      current frame in the middle; the model crops it itself.
    * ``data_samples``: a :class:`DetDataSample` with ``gt_instances``
      (``bboxes`` ``(1, 4)`` xyxy float32, ``visible`` ``(1, )``) and the
      metainfo ``frame_id``, ``video_id``, ``video_name``, ``video_length``,
      ``img_path``, ``img_shape``, ``ori_shape`` plus ``meta_keys``.

    Required Keys: ``imgs``, ``gt_bboxes``, ``frame_id``, ``video_id``,
    ``video_length``.

    Args:
        meta_keys (Sequence[str]): Extra keys copied to the metainfo.
    """

    base_meta_keys = ('frame_id', 'video_id', 'video_name', 'video_length',
                      'img_path', 'img_shape', 'ori_shape')

    def transform(self, results: dict) -> dict:
        data_sample = self._data_sample(results, results['gt_bboxes'])
        gt = data_sample.gt_instances
        visible = results.get('visible', np.ones(len(gt.bboxes), bool))
        gt.visible = torch.as_tensor(np.asarray(visible, bool).reshape(-1))
        return dict(inputs=_to_tchw(results['imgs']), data_samples=data_sample)


@TRANSFORMS.register_module()
class PackSiamFCPairInputs(_PackTrackingBase):
    """Packs an exemplar/search training pair.

    Output ``dict(inputs, data_samples)``:

    * ``inputs``: ``dict(exemplar=uint8 (T, 3, e, e), search=uint8
      (T, 3, s, s))``, RGB;
    * ``data_samples``: a :class:`DetDataSample` whose ``gt_instances``
      holds the target box in the search crop (``bboxes`` ``(1, 4)``), with
      the metainfo ``video_name``, ``exemplar_frame_id``,
      ``search_frame_id`` plus ``meta_keys``.

    Required Keys: ``exemplar_imgs``, ``search_imgs``, ``search_gt_bbox``.
    """

    base_meta_keys = ('video_name', 'exemplar_frame_id', 'search_frame_id',
                      'img_shape')

    def transform(self, results: dict) -> dict:
        data_sample = self._data_sample(results, results['search_gt_bbox'])
        inputs = dict(
            exemplar=_to_tchw(results['exemplar_imgs']),
            search=_to_tchw(results['search_imgs']))
        return dict(inputs=inputs, data_samples=data_sample)
