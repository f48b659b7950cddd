# Copyright (c) constcl_mm authors. All rights reserved.
"""Decode the clips and crop them in one step, converting few pixels.

:class:`MultiClipDecodeResizedCrop` is ``MultiClipDecode`` followed by
``MultiViewRandomResizedCrop`` with the same random draws and the same
output, bit for bit. With the ``'pyav_indexed'`` backend it never builds a
full-resolution RGB frame: the crops are drawn first (they only need the
frame size), and of every decoded planar YUV picture (4:2:0, 4:2:2,
4:4:4, :data:`PLANAR_YUV`) only the rows that the bilinear resize of the
views using it reads
(:func:`linear_taps`: two per output row, so a 1080p crop resized to 224
converts about a third of the frame) within the crop's columns are
converted to RGB, by FFmpeg's own
converter (the same per-pixel values as a whole-frame conversion). Other
backends and pixel formats decode whole frames as ``MultiClipDecode`` does.
"""
from typing import Dict, List, Tuple

import cv2
import numpy as np
from mmaction.registry import TRANSFORMS

from .clip_geometric import MultiViewRandomResizedCrop, sample_distorted_crop
from .indexed_pyav_reader import IndexedPyAVReader
from .loading import MultiClipDecode
from .video_readers import VideoDecodeError

__all__ = ['MultiClipDecodeResizedCrop', 'linear_taps', 'PLANAR_YUV']


def linear_taps(src_len: int, dst_len: int) -> np.ndarray:
    """Source indices OpenCV's bilinear resize reads along one axis.

    Output pixel ``d`` samples ``f = (d + 0.5) * src / dst - 0.5`` (in
    float32, as ``cv2.resize``), i.e. pixels ``floor(f)`` and
    ``floor(f) + 1``, clamped to the edge.

    Args:
        src_len (int): Source length (crop height or width).
        dst_len (int): Output length.

    Returns:
        np.ndarray: Sorted unique indices in ``[0, src_len)``.
    """
    scale = 1.0 / (dst_len / src_len)
    pos = ((np.arange(dst_len) + 0.5) * scale - 0.5).astype(np.float32)
    first = np.clip(np.floor(pos).astype(np.int64), 0, src_len - 1)
    return np.unique(
        np.concatenate([first, np.minimum(first + 1, src_len - 1)]))


#: ``(horizontal, vertical)`` chroma subsampling of the planar YUV formats
#: the compact conversion handles (others are converted whole)
PLANAR_YUV = {
    'yuv420p': (2, 2),
    'yuvj420p': (2, 2),
    'yuv422p': (2, 1),
    'yuvj422p': (2, 1),
    'yuv444p': (1, 1),
    'yuvj444p': (1, 1),
}


def _plane_rows(rows: np.ndarray, v_sub: int) -> Tuple[np.ndarray, np.ndarray]:
    """Luma rows covering ``rows`` whole, and the chroma rows they use.

    Args:
        rows (np.ndarray): Frame rows to convert.
        v_sub (int): Vertical chroma subsampling (2 for 4:2:0, else 1).

    Returns:
        tuple[np.ndarray]: ``(luma, chroma)``. With 4:2:0, ``luma`` has the
        two rows ``2c, 2c + 1`` of every chroma row ``c`` (the converter
        pairs them); otherwise both are the unique ``rows``.
    """
    if v_sub == 1:
        rows = np.unique(rows)
        return rows, rows
    chroma = np.unique(rows // 2)
    luma = np.stack([2 * chroma, 2 * chroma + 1], axis=1).ravel()
    return luma, chroma


class _CompactLayout:
    """The gathered rows of one pixel format, in a reusable frame."""

    def __init__(self, fmt: str, rows: np.ndarray, x1: int, x2: int) -> None:
        import av
        h_sub, v_sub = PLANAR_YUV[fmt]
        self.luma_rows, chroma_rows = _plane_rows(rows, v_sub)
        self.rows = (self.luma_rows, chroma_rows, chroma_rows)
        self.spans = ((x1, x2), ) + ((x1 // h_sub, x2 // h_sub), ) * 2
        self.frame = av.VideoFrame(x2 - x1, self.luma_rows.size, fmt)
        self.targets = []
        for plane, rows, (a, b) in zip(self.frame.planes, self.rows,
                                       self.spans):
            target = np.frombuffer(plane, np.uint8)
            self.targets.append(
                target.reshape(-1, plane.line_size)[:rows.size, :b - a])


class _CompactConverter:
    """Converts chosen rows of a column span of a planar YUV picture to RGB.

    The rows are copied straight into a small frame of the same format
    (kept between calls), which FFmpeg converts. Gathering whole row
    segments keeps the copies contiguous (picking columns too would convert
    fewer pixels but scatter them slowly).

    Args:
        rows (np.ndarray): Frame rows to convert.
        x1 (int): First column of the span.
        x2 (int): End of the span (exclusive).
        width (int): Frame width.
    """

    def __init__(self, rows: np.ndarray, x1: int, x2: int, width: int) -> None:
        self.rows = rows
        # 32-pixel aligned spans keep FFmpeg's converter on its SIMD path
        # (several times faster than on odd widths)
        x1 -= x1 % 32
        x2 = min(x1 + -(-(x2 - x1) // 32) * 32, width)
        self.x1, self.x2 = x1, x2 + x2 % 2
        self._layouts: Dict[str, _CompactLayout] = {}
        from av.video.reformatter import VideoReformatter
        self._reformatter = VideoReformatter()  # keeps its SwsContext

    def __call__(self, frame, into: np.ndarray) -> None:
        """Writes the converted pixels of ``frame`` into ``into`` (H, W, 3).

        ``frame`` must have a format of :data:`PLANAR_YUV`.
        """
        fmt = frame.format.name
        layout = self._layouts.get(fmt)
        if layout is None:
            layout = _CompactLayout(fmt, self.rows, self.x1, self.x2)
            self._layouts[fmt] = layout
        for plane, rows, (a, b), target in zip(frame.planes, layout.rows,
                                               layout.spans, layout.targets):
            source = np.frombuffer(plane, np.uint8)
            source = source.reshape(-1, plane.line_size)
            target[...] = source[rows, a:b]
        compact = layout.frame
        compact.color_range = frame.color_range
        compact.colorspace = frame.colorspace
        # one thread: FFmpeg's default splits even small conversions
        rgb = self._reformatter.reformat(compact, format='rgb24', threads=1)
        into[layout.luma_rows, self.x1:self.x2] = rgb.to_ndarray()


@TRANSFORMS.register_module()
class MultiClipDecodeResizedCrop(MultiViewRandomResizedCrop):
    """``MultiClipDecode`` + ``MultiViewRandomResizedCrop`` in one step.

    Same arguments, random draws (one crop per view, view 1 first, after
    the frame positions are sampled) and output as the two transforms in a
    row; see the module docstring for what it saves.

    Required Keys:

        - video_reader, frame_inds ``(V, T)``

    Added Keys:

        - imgs: ``uint8`` ``(V, T, S_h, S_w, 3)``
        - crop_bboxes, img_shape (as ``MultiViewRandomResizedCrop``),
          original_shape

    Removed Keys:

        - video_reader
    """

    def transform(self, results: Dict) -> Dict:
        """Decodes, crops and resizes the clips.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict.
        """
        reader = results['video_reader']
        if (not isinstance(reader, IndexedPyAVReader)
                or 0 in reader.frame_size):
            results = MultiClipDecode()(results)
            return super().transform(results)
        results.pop('video_reader')
        try:
            self._decode(reader, results)
        finally:
            reader.close()
        return results

    def _decode(self, reader: IndexedPyAVReader, results: Dict) -> None:
        inds = np.asarray(results['frame_inds'], dtype=np.int64)
        if inds.ndim != 2:
            raise ValueError('MultiClipDecodeResizedCrop expects `frame_inds` '
                             f'of shape (num_clips, clip_len), got '
                             f'{inds.shape}')
        num_views, clip_len = inds.shape
        height, width = reader.frame_size
        boxes = np.array([
            sample_distorted_crop(height, width, self.area_range,
                                  self.aspect_ratio_range, self.max_attempts,
                                  self.min_object_covered)
            for _ in range(num_views)
        ],
                         dtype=np.int64)
        unique, inverse = np.unique(inds.ravel(), return_inverse=True)
        users: List[List[Tuple[int, int]]] = [[] for _ in unique]
        for flat, k in enumerate(inverse.tolist()):
            users[k].append(divmod(flat, clip_len))
        converters = self._converters(boxes, height, width, users)
        out_h, out_w = self.scale
        out = np.empty((num_views, clip_len, out_h, out_w, 3), np.uint8)
        scratch = np.zeros((height, width, 3), np.uint8)
        interp = self._INTERP[self.interpolation]
        for k, frame in reader.frames(unique):
            if (frame.height, frame.width) != (height, width):
                raise VideoDecodeError(
                    reader.filename, 'decode_error',
                    f'frame {unique[k]} is {frame.width}x{frame.height}, '
                    f'the stream {width}x{height}')
            views = tuple(sorted({v for v, _ in users[k]}))
            if converters is not None and frame.format.name in PLANAR_YUV:
                converters[views](frame, scratch)
                source = scratch
            else:
                source = frame.to_ndarray(format='rgb24')
            for v, t in users[k]:
                x1, y1, x2, y2 = boxes[v]
                cv2.resize(
                    source[y1:y2, x1:x2], (out_w, out_h),
                    dst=out[v, t],
                    interpolation=interp)
        results['imgs'] = out
        results['crop_bboxes'] = boxes
        results['original_shape'] = (height, width)
        results['img_shape'] = (out_h, out_w)

    def _converters(self, boxes: np.ndarray, height: int, width: int,
                    users: List[List[Tuple[int, int]]]):
        """One compact converter per set of views sharing a frame.

        Returns:
            dict | None: ``{views: _CompactConverter}``, or ``None`` when
            the frame size is odd or the resize is not bilinear (whole
            frames are converted then).
        """
        if height % 2 or width % 2 or self.interpolation != 'bilinear':
            return None
        out_h, out_w = self.scale
        taps = [
            y1 + linear_taps(y2 - y1, out_h)
            for x1, y1, x2, y2 in boxes.tolist()
        ]
        converters = {}
        for frame_users in users:
            views = tuple(sorted({v for v, _ in frame_users}))
            if views not in converters:
                rows = np.unique(np.concatenate([taps[v] for v in views]))
                converters[views] = _CompactConverter(
                    rows, int(boxes[list(views), 0].min()),
                    int(boxes[list(views), 2].max()), width)
        return converters
