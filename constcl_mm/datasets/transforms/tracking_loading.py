# Copyright (c) constcl_mm authors. All rights reserved.
"""Load the frames (a frame and its neighbours) of tracking samples."""
from typing import Dict, Optional

import mmcv
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform
from mmengine import fileio


@TRANSFORMS.register_module()
class LoadTrackingFrames(BaseTransform):
    """Decodes lists of image files into RGB frame stacks.

    Each path list (e.g. ``img_paths``: a frame with its neighbours, some
    repeated at the ends of a sequence) becomes a ``uint8`` array
    ``(T, H, W, 3)``; a file that repeats is decoded once.

    Required Keys (by default): ``img_paths``.

    Added Keys (by default): ``imgs``, ``img_shape``, ``ori_shape``.

    Args:
        keys (dict): ``{path-list key: output key}``. Defaults to
            ``dict(img_paths='imgs')``; the pair dataset uses
            ``dict(exemplar_paths='exemplar_imgs',
            search_paths='search_imgs')``.
        channel_order (str): 'rgb' (pretraining's order) or 'bgr'.
            Defaults to 'rgb'.
        backend_args (dict, optional): :mod:`mmengine.fileio` backend.
    """

    def __init__(self,
                 keys: Dict[str, str] = dict(img_paths='imgs'),
                 channel_order: str = 'rgb',
                 backend_args: Optional[dict] = None) -> None:
        if channel_order not in ('rgb', 'bgr'):
            raise ValueError(
                f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
        self.keys = dict(keys)
        self.channel_order = channel_order
        self.backend_args = backend_args

    def _load(self, path: str) -> np.ndarray:
        try:
            content = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(f'frame {path} does not exist')
        img = mmcv.imfrombytes(
            content, flag='color', channel_order=self.channel_order)
        if img is None:
            raise ValueError(f'cannot decode frame {path}')
        return img

    def transform(self, results: dict) -> dict:
        cache: Dict[str, np.ndarray] = {}
        for src, dst in self.keys.items():
            if src not in results:
                raise KeyError(f'LoadTrackingFrames needs {src!r}; the sample '
                               f'has {sorted(results)}')
            frames = []
            for path in results[src]:
                if path not in cache:
                    cache[path] = self._load(path)
                frames.append(cache[path])
            shapes = {f.shape for f in frames}
            if len(shapes) != 1:
                raise ValueError(f'frames of different sizes {shapes} in '
                                 f'{results[src]}')
            results[dst] = np.stack(frames)
        first = results[next(iter(self.keys.values()))]
        results['img_shape'] = first.shape[1:3]
        results['ori_shape'] = first.shape[1:3]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(keys={self.keys}, '
                f'channel_order={self.channel_order!r})')
