# Copyright (c) constcl_mm authors. All rights reserved.
"""Reading and writing RGB frames, with errors that name the file."""
import os
import os.path as osp

import cv2
import numpy as np

__all__ = ['read_rgb', 'write_rgb']


def read_rgb(path: str) -> np.ndarray:
    """A frame as an ``(H, W, 3)`` uint8 RGB array.

    Args:
        path (str): An image file (any format OpenCV reads).

    Returns:
        np.ndarray: The image, grey images turned into three channels.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: ``path`` exists but is not an image OpenCV decodes.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'frame file {path} does not exist')
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f'{path} is not an image OpenCV can decode')
    return np.ascontiguousarray(image[..., ::-1])


def write_rgb(path: str, image: np.ndarray, jpeg_quality: int = 90) -> str:
    """Saves an RGB image; the extension picks the format.

    Args:
        path (str): Where to write (``.jpg``, ``.png``, ...); the folder is
            created.
        image (np.ndarray): ``(H, W, 3)`` uint8 RGB.
        jpeg_quality (int): JPEG quality, 0-100. Defaults to 90.

    Returns:
        str: ``path``.

    Raises:
        ValueError: ``image`` is not ``(H, W, 3)`` uint8.
        OSError: OpenCV could not write the file.
    """
    if not isinstance(image, np.ndarray) or image.ndim != 3 or \
            image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'{path}: expected an (H, W, 3) uint8 RGB image, '
                         f'got {getattr(image, "shape", type(image))}')
    folder = osp.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    params = []
    if osp.splitext(path)[1].lower() in ('.jpg', '.jpeg'):
        params = [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)]
    if not cv2.imwrite(path, np.ascontiguousarray(image[..., ::-1]), params):
        raise OSError(f'could not write {path}')
    return path
