# Copyright (c) constcl_mm authors. All rights reserved.
"""Region boxes from superpixels / segments of the keyframe (paper §3.3).

The keyframe of each view is segmented with scikit-image and every segment
becomes the box that bounds it; the largest ``num_boxes`` segments are kept
(largest first).

Which image is segmented: the keyframe **as the pipeline holds it when the
generator runs**. The default configs place the generator right after the
crop and flip, i.e. on the final geometry but before colour jitter,
grayscale, blur and solarisation, so the segments follow the natural
colours of the video. Flipped views are segmented in their unflipped
orientation and the boxes mirrored, so a view's boxes do not depend on the
flip other than by the mirror (segmentation algorithms are not exactly
flip-equivariant).
"""
from abc import abstractmethod
from typing import Dict, Optional

import numpy as np
from mmaction.registry import TRANSFORMS
from scipy import ndimage

from .region_boxes import BaseRegionBoxes, mirror_boxes


def boxes_from_segments(labels: np.ndarray) -> np.ndarray:
    """Bounding boxes of the segments of a label map, largest first.

    Args:
        labels (np.ndarray): ``(H, W)`` integer labels (>= 0).

    Returns:
        np.ndarray: ``(S, 4)`` normalised ``[x1, y1, x2, y2]`` (pixel edges,
        so a segment covering column 0..W-1 spans ``[0, 1]``), sorted by
        decreasing segment area (ties by label).
    """
    height, width = labels.shape
    labels = labels.astype(np.int64)
    areas = np.bincount(labels.ravel())
    slices = ndimage.find_objects(labels + 1)
    boxes, sizes = [], []
    for label, sl in enumerate(slices):
        if sl is None:
            continue
        ys, xs = sl
        boxes.append((xs.start / width, ys.start / height, xs.stop / width,
                      ys.stop / height))
        sizes.append(areas[label])
    if not boxes:
        return np.zeros((0, 4), dtype=np.float32)
    order = np.argsort(-np.asarray(sizes), kind='stable')
    return np.asarray(boxes, dtype=np.float32)[order]


class SegmentRegionBoxes(BaseRegionBoxes):
    """Base of the segmentation-based generators.

    Args:
        num_boxes (int): Boxes per view (largest segments). Defaults to 16.
    """

    def __init__(self, num_boxes: int = 16) -> None:
        super().__init__(num_boxes)

    @abstractmethod
    def segment(self, image: np.ndarray) -> np.ndarray:
        """Label map ``(H, W)`` of an RGB ``float`` image ``(H, W, 3)``."""

    def generate(self, results: Dict, view: int,
                 keyframe_index: int) -> np.ndarray:
        """Segment boxes of one view's keyframe."""
        image = results['imgs'][view, keyframe_index]
        if image.dtype == np.uint8:
            image = image.astype(np.float32) / 255.0
        else:
            image = np.clip(image, 0.0, 1.0).astype(np.float32)
        flips = results.get('flip')
        flipped = flips is not None and bool(flips[view])
        if flipped:
            image = image[:, ::-1]
        boxes = boxes_from_segments(self.segment(np.ascontiguousarray(image)))
        return mirror_boxes(boxes) if flipped else boxes


@TRANSFORMS.register_module()
class SLICRegionBoxes(SegmentRegionBoxes):
    """Boxes of SLIC superpixels (:func:`skimage.segmentation.slic`).

    The defaults ask for 16 superpixels with SLIC-zero (adaptive
    compactness), which returns about 16 on real frames; plain SLIC with
    ``n_segments=16`` often merges down to ~10. Fewer segments than
    ``num_boxes`` leave padded (invalid) boxes.

    Args:
        num_boxes (int): Boxes per view. Defaults to 16.
        n_segments (int): Requested superpixels. Defaults to 16.
        compactness (float): Colour / space trade-off. Defaults to 10.
        sigma (float): Pre-smoothing. Defaults to 1.0.
        slic_zero (bool): Use SLIC-zero. Defaults to True.
    """

    box_type = 'slic'

    def __init__(self,
                 num_boxes: int = 16,
                 n_segments: int = 16,
                 compactness: float = 10.0,
                 sigma: float = 1.0,
                 slic_zero: bool = True) -> None:
        super().__init__(num_boxes)
        if int(n_segments) < 1:
            raise ValueError(f'n_segments must be >= 1, got {n_segments}')
        self.n_segments = int(n_segments)
        self.compactness = float(compactness)
        self.sigma = float(sigma)
        self.slic_zero = slic_zero

    def segment(self, image: np.ndarray) -> np.ndarray:
        """SLIC labels of ``image``."""
        from skimage.segmentation import slic
        return slic(
            image,
            n_segments=self.n_segments,
            compactness=self.compactness,
            sigma=self.sigma,
            slic_zero=self.slic_zero,
            start_label=0,
            channel_axis=-1)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_boxes={self.num_boxes}, '
                f'n_segments={self.n_segments}, '
                f'compactness={self.compactness}, slic_zero={self.slic_zero})')


@TRANSFORMS.register_module()
class FelzenszwalbRegionBoxes(SegmentRegionBoxes):
    """Boxes of Felzenszwalb-Huttenlocher segments.

    :func:`skimage.segmentation.felzenszwalb` has no target count; with the
    defaults a 224x224 frame gives ~20-30 segments, of which the 16 largest
    (about 90% of the pixels) are kept.

    Args:
        num_boxes (int): Boxes per view. Defaults to 16.
        scale (float): Larger means larger segments. Defaults to 300.
        sigma (float): Pre-smoothing. Defaults to 0.8.
        min_size (int, optional): Minimum segment size in pixels; ``None``
            uses ``H * W // 256`` (196 at 224x224).
    """

    box_type = 'felzenszwalb'

    def __init__(self,
                 num_boxes: int = 16,
                 scale: float = 300.0,
                 sigma: float = 0.8,
                 min_size: Optional[int] = None) -> None:
        super().__init__(num_boxes)
        if scale <= 0:
            raise ValueError(f'scale must be > 0, got {scale}')
        self.scale = float(scale)
        self.sigma = float(sigma)
        self.min_size = min_size

    def segment(self, image: np.ndarray) -> np.ndarray:
        """Felzenszwalb labels of ``image``."""
        from skimage.segmentation import felzenszwalb
        min_size = self.min_size
        if min_size is None:
            min_size = max(1, image.shape[0] * image.shape[1] // 256)
        return felzenszwalb(
            image,
            scale=self.scale,
            sigma=self.sigma,
            min_size=int(min_size),
            channel_axis=-1)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_boxes={self.num_boxes}, '
                f'scale={self.scale}, sigma={self.sigma}, '
                f'min_size={self.min_size})')
