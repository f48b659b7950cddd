# Copyright (c) constcl_mm authors. All rights reserved.
"""Ground-truth object boxes and labels of the object world, per view.

For the supervised control of the learning proof: the same two-view
pipeline as pretraining, with the boxes of the real objects (and their
category and motion class) instead of random boxes.
"""
from collections import OrderedDict
from typing import Dict

import numpy as np
from mmaction.registry import TRANSFORMS

from ..synthetic_world import build_world
from .formatting import PackConSTCLInputs
from .region_boxes import PAD_BOX, BaseRegionBoxes, mirror_boxes
from .view_utils import get_views


def boxes_in_view(boxes: np.ndarray, results: Dict, view: int) -> np.ndarray:
    """Maps pixel boxes of the full frame into one view's final crop.

    Args:
        boxes (np.ndarray): ``(K, 4)`` pixel ``[x1, y1, x2, y2]`` in the
            decoded frame.
        results (dict): With ``original_shape`` and optionally
            ``crop_bboxes`` (``(V, 4)`` pixel crops) and ``flip`` (``(V,)``).
        view (int): The view.

    Returns:
        np.ndarray: ``float32`` ``(K, 4)`` normalised to the crop, clipped
        to ``[0, 1]``, mirrored when the view is flipped.
    """
    height, width = results['original_shape'][:2]
    crop = results.get('crop_bboxes')
    x0, y0, x1, y1 = (0.0, 0.0, float(width), float(height)) if crop is None \
        else (float(c) for c in crop[view])
    offset = np.array([x0, y0, x0, y0])
    scale = np.array([x1 - x0, y1 - y0, x1 - x0, y1 - y0])
    mapped = np.clip((np.asarray(boxes, np.float64) - offset) / scale, 0, 1)
    mapped = mapped.astype(np.float32)
    flips = results.get('flip')
    if flips is not None and bool(flips[view]):
        mapped = mirror_boxes(mapped)
    return mapped


@TRANSFORMS.register_module()
class WorldObjectBoxes(BaseRegionBoxes):
    """The object world's ground-truth boxes on each view's keyframe, with
    the objects' categories and motion classes.

    Objects less than ``min_visibility`` visible on the keyframe, or whose
    box in the crop is narrower or lower than ``min_size``, are left out;
    the rest are padded to ``num_boxes`` (label -1).

    Required Keys:

        - imgs, frame_inds, original_shape, video_index, crop_bboxes and
          flip (optional)

    Added Keys:

        - boxes ``(V, N, 4)``, box_valid ``(V, N)``, box_categories and
          box_motions ``int64`` ``(V, N)`` (-1 on padding), box_type

    Args:
        world (dict): The :class:`ObjectWorld` settings of the dataset.
        num_boxes (int): Boxes per view. Defaults to 4.
        min_visibility (float): Defaults to 0.3.
        min_size (float): Defaults to 0.05.
    """

    box_type = 'objects'

    def __init__(self,
                 world: Dict,
                 num_boxes: int = 4,
                 min_visibility: float = 0.3,
                 min_size: float = 0.05) -> None:
        super().__init__(num_boxes)
        self.world_cfg = dict(world)
        self.world = build_world(world)
        if not hasattr(self.world, 'category_classes'):
            raise ValueError("WorldObjectBoxes needs the object world "
                             "(world type='objects')")
        self.min_visibility = float(min_visibility)
        self.min_size = float(min_size)
        self._videos: 'OrderedDict[int, object]' = OrderedDict()

    def _video(self, index: int):
        if index not in self._videos:
            self._videos[index] = self.world.video(index)
            if len(self._videos) > 4096:
                self._videos.popitem(last=False)
        return self._videos[index]

    def generate(self, results: Dict, view: int,
                 keyframe_index: int) -> np.ndarray:
        return self._objects(results, view, keyframe_index)[0]

    def _objects(self, results: Dict, view: int, keyframe_index: int):
        video = self._video(int(results['video_index']))
        position = int(np.asarray(results['frame_inds'])[view, keyframe_index])
        boxes, visibility = video.ground_truth(position)
        mapped = boxes_in_view(boxes, results, view)
        keep = ((visibility >= self.min_visibility)
                & (mapped[:, 2] - mapped[:, 0] >= self.min_size)
                & (mapped[:, 3] - mapped[:, 1] >= self.min_size))
        index = np.flatnonzero(keep)[:self.num_boxes]
        return (mapped[index], np.asarray(video.categories)[index],
                np.asarray(video.motions)[index])

    def transform(self, results: Dict) -> Dict:
        imgs = get_views(results, self.__class__.__name__)
        num_views, clip_len = imgs.shape[:2]
        keyframe = int(results.get('keyframe_index', clip_len // 2))
        shape = (num_views, self.num_boxes)
        boxes = np.tile(PAD_BOX, shape + (1, ))
        valid = np.zeros(shape, dtype=bool)
        categories = np.full(shape, -1, np.int64)
        motions = np.full(shape, -1, np.int64)
        for v in range(num_views):
            found, cats, mots = self._objects(results, v, keyframe)
            n = len(found)
            boxes[v, :n], valid[v, :n] = found, True
            categories[v, :n], motions[v, :n] = cats, mots
        results.update(
            boxes=boxes,
            box_valid=valid,
            box_categories=categories,
            box_motions=motions,
            box_type=self.box_type,
            keyframe_index=keyframe)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(world={self.world_cfg}, '
                f'num_boxes={self.num_boxes}, min_visibility='
                f'{self.min_visibility}, min_size={self.min_size})')


@TRANSFORMS.register_module()
class PackWorldSupervisedInputs(PackConSTCLInputs):
    """:class:`PackConSTCLInputs` plus the region labels of
    :class:`WorldObjectBoxes` (``box_categories``, ``box_motions``) as data
    fields."""

    def transform(self, results: Dict) -> Dict:
        packed = super().transform(results)
        sample = packed['data_samples']
        for key in ('box_categories', 'box_motions'):
            if key not in results:
                raise KeyError(f'{self.__class__.__name__} needs `{key}`: '
                               'put WorldObjectBoxes in the pipeline')
            sample.set_field(np.asarray(results[key], np.int64), key)
        return packed
