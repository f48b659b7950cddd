# Copyright (c) constcl_mm authors. All rights reserved.
"""Clip-consistent photometric augmentation of each view
(official_implementation.md §5.3).

These transforms work in ``float32`` in ``[0, 1]`` (``uint8`` views are
converted once by the first of them) and clip to ``[0, 1]`` after every
operation, like the official SimCLR/CVRL ops. Each view draws its own
parameters once and applies them to all its frames; statistics such as the
contrast mean are taken over the whole clip (the official code reshapes the
clip into one tall ``(T*H, W, C)`` image). Probabilities are given for all
views at once or per view (view 1 first), which is how the blur and
solarisation asymmetry between the views is configured.

With ``apply_on='device'`` (or ``'auto'`` when CUDA is available) a
transform only draws its parameters, with the same random numbers in the
same order, records them in ``results['photometric_ops']`` and leaves the
views ``uint8``; :class:`~constcl_mm.models.ConSTCLDataPreprocessor` applies
them to the whole batch on the accelerator
(:mod:`constcl_mm.models.data_preprocessors.batch_photometric`), so that
loader workers only decode and crop.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from .view_utils import (ProbType, check_probs, float_views, get_views,
                         probs_for_views)

#: Where the photometric transforms run (see the module docstring).
APPLY_ON = ('cpu', 'device', 'auto')


def resolve_apply_on(apply_on: str) -> str:
    """``'cpu'`` or ``'device'``; ``'auto'`` is ``'device'`` with CUDA.

    Resolved when the transform is built (in the main process, before the
    loader workers start).
    """
    if apply_on not in APPLY_ON:
        raise ValueError(f'apply_on must be one of {APPLY_ON}, got '
                         f'{apply_on!r}')
    if apply_on == 'auto':
        import torch
        return 'device' if torch.cuda.is_available() else 'cpu'
    return apply_on


#: Luma weights of ``tf.image.rgb_to_grayscale``.
GRAY_WEIGHTS = np.array([0.2989, 0.5870, 0.1140], dtype=np.float32)


def _tall(clip: np.ndarray) -> np.ndarray:
    """``(T, H, W, 3)`` -> ``(T*H, W, 3)`` view of a contiguous clip."""
    return clip.reshape(-1, clip.shape[-2], clip.shape[-1])


def cv2_into(func, dst: np.ndarray, *args, **kwargs) -> None:
    """Calls an OpenCV function writing into ``dst`` (copies if it won't).

    OpenCV silently allocates a new output when ``dst`` does not fit; the
    result is then copied so that ``dst`` always holds it.
    """
    out = func(*args, dst=dst, **kwargs)
    if out is not dst and not np.shares_memory(out, dst):
        dst[...] = out.reshape(dst.shape)


def adjust_brightness(clip: np.ndarray, factor: float) -> None:
    """``x * factor``, in place (SimCLR v2 brightness)."""
    clip *= np.float32(factor)


def adjust_contrast(clip: np.ndarray, factor: float) -> None:
    """``(x - mean) * factor + mean`` with the per-channel clip mean."""
    tall = _tall(clip)
    channels = clip.shape[-1]
    mean = cv2.mean(tall)[:channels]
    clip *= np.float32(factor)
    offset = tuple(float(m) * (1.0 - factor) for m in mean)
    cv2_into(cv2.add, tall, tall, offset + (0.0, ) * (4 - channels))


def adjust_saturation(clip: np.ndarray, factor: float) -> None:
    """HSV saturation times ``factor`` (clipped to [0, 1]), in place."""
    tall = _tall(clip)
    hsv = cv2.cvtColor(tall, cv2.COLOR_RGB2HSV)
    sat = hsv[..., 1]
    sat *= np.float32(factor)
    np.clip(sat, 0.0, 1.0, out=sat)
    cv2_into(cv2.cvtColor, tall, hsv, cv2.COLOR_HSV2RGB)


def adjust_hue(clip: np.ndarray, delta: float) -> None:
    """Rotates the HSV hue by ``delta`` turns (``[-0.5, 0.5]``), in place."""
    tall = _tall(clip)
    hsv = cv2.cvtColor(tall, cv2.COLOR_RGB2HSV)
    hue = hsv[..., 0]  # degrees in [0, 360)
    # A non-negative shift: OpenCV's HSV->RGB wraps hues >= 360 itself.
    hue += np.float32((delta % 1.0) * 360.0)
    cv2_into(cv2.cvtColor, tall, hsv, cv2.COLOR_HSV2RGB)


_JITTER_OPS = dict(
    brightness=adjust_brightness,
    contrast=adjust_contrast,
    saturation=adjust_saturation,
    hue=adjust_hue)


class PerViewTransform(BaseTransform):
    """Base of the photometric transforms: views chosen with a probability.

    :meth:`transform` expands ``prob`` to one probability per view, draws
    the parameters of every view (:meth:`draw`, in the order the official
    ops draw their random numbers) and stores them under
    ``results[result_key]``; on the CPU it then converts the views to
    ``float32`` in ``[0, 1]`` (:func:`float_views`) and applies them
    (:meth:`apply_params`); deferred to the device it appends
    :meth:`device_op` to ``results['photometric_ops']`` instead.

    Args:
        prob (float | Sequence[float]): Probability for every view, or one
            per view (view 1 first).
        apply_on (str): ``'cpu'`` (default), ``'device'`` (the data
            preprocessor applies the drawn parameters) or ``'auto'``
            (``'device'`` when CUDA is available).
    """

    #: The key that records, per view, what was applied.
    result_key = ''
    #: The op name in ``photometric_ops`` (batch_photometric.DEVICE_OPS).
    device_name = ''

    def __init__(self, prob: ProbType, apply_on: str = 'cpu') -> None:
        self.prob = check_probs(prob, f'{type(self).__name__}.prob')
        self.apply_on = apply_on
        self.deferred = resolve_apply_on(apply_on) == 'device'

    def transform(self, results: Dict) -> Dict:
        """Applies the transform to the chosen views of ``results['imgs']``.

        Args:
            results (dict): The result dict, views ``(V, T, H, W, C)``.

        Returns:
            dict: ``results`` with the views changed in place and
            ``result_key`` added.
        """
        name = type(self).__name__
        if self.deferred:
            imgs = get_views(results, name)
        else:
            if results.get('photometric_ops'):
                raise ValueError(
                    f'{name} runs on the CPU after photometric transforms '
                    'deferred to the device: give every photometric '
                    "transform the same apply_on ('cpu', 'device' or "
                    "'auto')")
            imgs = float_views(results, name)
        probs = probs_for_views(self.prob, imgs.shape[0], f'{name}.prob')
        record = self.draw(imgs.shape, probs)
        results[self.result_key] = record
        if self.deferred:
            op = dict(type=self.device_name)
            op.update(self.device_op(record, imgs.shape))
            results.setdefault('photometric_ops', []).append(op)
        else:
            self.apply_params(imgs, record)
        return results

    def apply(self, imgs: np.ndarray, probs: Tuple[float, ...]) -> Any:
        """Draws and applies the parameters to ``imgs`` ``(V, T, H, W, C)``
        (float32, in place).

        Returns:
            What the transform records per view under ``result_key``.
        """
        record = self.draw(imgs.shape, probs)
        self.apply_params(imgs, record)
        return record

    def draw(self, shape: Tuple[int, ...], probs: Tuple[float, ...]) -> Any:
        """Draws the parameters of every view of views of ``shape``."""
        raise NotImplementedError

    def apply_params(self, imgs: np.ndarray, record: Any) -> None:
        """Applies drawn parameters to the float32 views, in place."""
        raise NotImplementedError

    def device_op(self, record: Any, shape: Tuple[int, ...]) -> Dict:
        """The drawn parameters as the data preprocessor applies them."""
        raise NotImplementedError


def choose_views(probs: Sequence[float]) -> np.ndarray:
    """One draw per view: ``bool`` ``(V,)``, True where the view is chosen."""
    return np.array([np.random.rand() < p for p in probs], dtype=bool)


@TRANSFORMS.register_module()
class MultiViewColorJitter(PerViewTransform):
    """SimCLR colour jitter with clip-level parameters and statistics.

    With probability ``prob`` (per view), brightness (multiplicative),
    contrast, saturation and hue are changed in a random order, each
    followed by a clip to ``[0, 1]``. The ranges scale with ``strength``:
    brightness, contrast and saturation factors are uniform in
    ``[max(0, 1 - s*b), 1 + s*b]``, the hue shift in ``[-s*h, s*h]`` turns.

    Required Keys:

        - imgs: ``(V, T, H, W, 3)``, ``uint8`` or ``float32`` in [0, 1]

    Modified Keys:

        - imgs: ``float32`` in [0, 1]

    Added Keys:

        - color_jitter: list of ``V`` dicts (the applied order and factors)
          or ``None`` for views left unchanged

    Args:
        prob (float | Sequence[float]): Probability to jitter a view.
            Defaults to 0.8.
        strength (float): SimCLR colour strength. Defaults to 1.0.
        brightness (float): Brightness range at strength 1. Defaults to 0.8.
        contrast (float): Contrast range at strength 1. Defaults to 0.8.
        saturation (float): Saturation range at strength 1. Defaults to 0.8.
        hue (float): Hue range (turns) at strength 1. Defaults to 0.2.
        random_order (bool): Shuffle the four operations per view.
            Defaults to True.
        apply_on (str): ``'cpu'``, ``'device'`` or ``'auto'`` (see
            :class:`PerViewTransform`). Defaults to ``'cpu'``.
    """

    result_key = 'color_jitter'
    device_name = 'color_jitter'

    def __init__(self,
                 prob: ProbType = 0.8,
                 strength: float = 1.0,
                 brightness: float = 0.8,
                 contrast: float = 0.8,
                 saturation: float = 0.8,
                 hue: float = 0.2,
                 random_order: bool = True,
                 apply_on: str = 'cpu') -> None:
        super().__init__(prob, apply_on)
        if strength < 0:
            raise ValueError(f'strength must be >= 0, got {strength}')
        self.strength = float(strength)
        self.ranges = dict(
            brightness=float(brightness) * self.strength,
            contrast=float(contrast) * self.strength,
            saturation=float(saturation) * self.strength,
            hue=float(hue) * self.strength)
        for name, value in self.ranges.items():
            if value < 0:
                raise ValueError(f'{name} must be >= 0, got {value}')
        if self.ranges['hue'] > 0.5:
            raise ValueError('hue * strength must be <= 0.5 turns, got '
                             f'{self.ranges["hue"]}')
        self.random_order = random_order

    def _draw(self) -> Dict:
        """Draws the order and factors of one view."""
        names = list(_JITTER_OPS)
        if self.random_order:
            names = [names[i] for i in np.random.permutation(len(names))]
        params = dict(order=names)
        for name in names:
            r = self.ranges[name]
            if name == 'hue':
                params[name] = float(np.random.uniform(-r, r))
            else:
                params[name] = float(np.random.uniform(max(0.0, 1 - r), 1 + r))
        return params

    def draw(self, shape: Tuple[int, ...],
             probs: Tuple[float, ...]) -> List[Optional[Dict]]:
        """Chooses the views and draws their order and factors.

        Returns:
            list: ``V`` dicts (order and factors) or ``None``.
        """
        applied: List[Optional[Dict]] = []
        for v in range(shape[0]):
            if np.random.rand() >= probs[v]:
                applied.append(None)
                continue
            applied.append(self._draw())
        return applied

    def apply_params(self, imgs: np.ndarray,
                     applied: List[Optional[Dict]]) -> None:
        """Jitters the chosen views in place."""
        for v, params in enumerate(applied):
            if params is None:
                continue
            clip = imgs[v]
            for name in params['order']:
                if self.ranges[name] == 0:
                    continue
                _JITTER_OPS[name](clip, params[name])
                np.clip(clip, 0.0, 1.0, out=clip)

    def device_op(self, applied: List[Optional[Dict]],
                  shape: Tuple[int, ...]) -> Dict:
        """``params`` per view and the ops whose range is 0 (skipped)."""
        skip = [name for name, r in self.ranges.items() if r == 0]
        return dict(params=applied, skip=skip)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'strength={self.strength}, random_order={self.random_order})')


@TRANSFORMS.register_module()
class MultiViewGrayscale(PerViewTransform):
    """Converts whole views to grayscale (3 equal channels).

    Required Keys:

        - imgs: ``(V, T, H, W, 3)``

    Modified Keys:

        - imgs: ``float32`` in [0, 1]

    Added Keys:

        - grayscale: ``bool`` ``(V,)``

    Args:
        prob (float | Sequence[float]): Probability per view. Defaults to
            0.2.
        apply_on (str): ``'cpu'``, ``'device'`` or ``'auto'`` (see
            :class:`PerViewTransform`). Defaults to ``'cpu'``.
    """

    result_key = 'grayscale'
    device_name = 'grayscale'

    def __init__(self, prob: ProbType = 0.2, apply_on: str = 'cpu') -> None:
        super().__init__(prob, apply_on)

    def draw(self, shape: Tuple[int, ...], probs: Tuple[float,
                                                        ...]) -> np.ndarray:
        """Chooses the views; returns ``bool`` ``(V,)``."""
        return choose_views(probs)

    def apply_params(self, imgs: np.ndarray, chosen: np.ndarray) -> None:
        """Converts the chosen views in place."""
        for v in np.flatnonzero(chosen):
            gray = imgs[v] @ GRAY_WEIGHTS  # (T, H, W)
            imgs[v] = gray[..., None]

    def device_op(self, chosen: np.ndarray, shape: Tuple[int, ...]) -> Dict:
        return dict(chosen=chosen.tolist())

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob})'


def gaussian_kernel1d(kernel_size: int, sigma: float) -> np.ndarray:
    """Normalised 1-D Gaussian of odd length ``kernel_size``."""
    radius = kernel_size // 2
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-x**2 / (2.0 * float(sigma)**2))
    return (kernel / kernel.sum()).astype(np.float32)


@TRANSFORMS.register_module()
class MultiViewGaussianBlur(PerViewTransform):
    """Separable Gaussian blur with one sigma per view, zero ('SAME') padding.

    The defaults reproduce the official asymmetry: view 1 is always blurred,
    view 2 with probability 0.1.

    Required Keys:

        - imgs: ``(V, T, H, W, C)``

    Modified Keys:

        - imgs: ``float32`` in [0, 1]

    Added Keys:

        - blur_sigma: ``float64`` ``(V,)``, 0 for views left sharp

    Args:
        prob (float | Sequence[float]): Probability per view. Defaults to
            ``(1.0, 0.1)``.
        kernel_size (int, optional): Odd kernel length. ``None`` derives it
            from the frame height as the official code,
            ``2 * (H // 10 // 2) + 1`` (23 at 224). Defaults to 23.
        sigma_range (tuple[float]): Uniform range of sigma (pixels).
            Defaults to ``(0.1, 2.0)``.
        apply_on (str): ``'cpu'``, ``'device'`` or ``'auto'`` (see
            :class:`PerViewTransform`). Defaults to ``'cpu'``.
    """

    result_key = 'blur_sigma'
    device_name = 'gaussian_blur'

    def __init__(self,
                 prob: ProbType = (1.0, 0.1),
                 kernel_size: Optional[int] = 23,
                 sigma_range: Sequence[float] = (0.1, 2.0),
                 apply_on: str = 'cpu') -> None:
        super().__init__(prob, apply_on)
        if kernel_size is not None and (kernel_size < 1
                                        or kernel_size % 2 == 0):
            raise ValueError(
                f'kernel_size must be a positive odd int, got {kernel_size}')
        if not 0 < sigma_range[0] <= sigma_range[1]:
            raise ValueError(
                f'sigma_range must satisfy 0 < lo <= hi, got {sigma_range}')
        self.kernel_size = kernel_size
        self.sigma_range = tuple(float(s) for s in sigma_range)

    def draw(self, shape: Tuple[int, ...], probs: Tuple[float,
                                                        ...]) -> np.ndarray:
        """Chooses the views and their sigmas: ``float64`` ``(V,)`` (0 for
        views left sharp)."""
        sigmas = np.zeros(shape[0], dtype=np.float64)
        for v in range(shape[0]):
            if np.random.rand() >= probs[v]:
                continue
            sigmas[v] = np.random.uniform(*self.sigma_range)
        return sigmas

    def kernel_length(self, height: int) -> int:
        """The kernel length for frames of ``height`` pixels."""
        if self.kernel_size is None:
            return 2 * (height // 10 // 2) + 1
        return self.kernel_size

    def device_op(self, sigmas: np.ndarray, shape: Tuple[int, ...]) -> Dict:
        return dict(
            sigma=sigmas.tolist(), kernel_size=self.kernel_length(shape[2]))

    def apply_params(self, imgs: np.ndarray, sigmas: np.ndarray) -> None:
        """Blurs the views whose sigma is > 0, in place."""
        clip_len, height = imgs.shape[1:3]
        size = self.kernel_length(height)
        for v in np.flatnonzero(sigmas > 0):
            kernel = gaussian_kernel1d(size, sigmas[v])
            for t in range(clip_len):
                cv2_into(
                    cv2.sepFilter2D,
                    imgs[v, t],
                    imgs[v, t],
                    -1,
                    kernel,
                    kernel,
                    borderType=cv2.BORDER_CONSTANT)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'kernel_size={self.kernel_size}, '
                f'sigma_range={self.sigma_range})')


@TRANSFORMS.register_module()
class MultiViewSolarize(PerViewTransform):
    """Solarisation ``x -> x if x < threshold else 1 - x`` of whole views.

    The defaults reproduce the official setting: view 2 only, p = 0.2.

    Required Keys:

        - imgs: ``(V, T, H, W, C)``

    Modified Keys:

        - imgs: ``float32`` in [0, 1]

    Added Keys:

        - solarized: ``bool`` ``(V,)``

    Args:
        prob (float | Sequence[float]): Probability per view. Defaults to
            ``(0.0, 0.2)``.
        threshold (float): Values at or above it are inverted. Defaults to
            0.5.
        apply_on (str): ``'cpu'``, ``'device'`` or ``'auto'`` (see
            :class:`PerViewTransform`). Defaults to ``'cpu'``.
    """

    result_key = 'solarized'
    device_name = 'solarize'

    def __init__(self,
                 prob: ProbType = (0.0, 0.2),
                 threshold: float = 0.5,
                 apply_on: str = 'cpu') -> None:
        super().__init__(prob, apply_on)
        self.threshold = float(threshold)

    def draw(self, shape: Tuple[int, ...], probs: Tuple[float,
                                                        ...]) -> np.ndarray:
        """Chooses the views; returns ``bool`` ``(V,)``."""
        return choose_views(probs)

    def device_op(self, chosen: np.ndarray, shape: Tuple[int, ...]) -> Dict:
        return dict(chosen=chosen.tolist(), threshold=self.threshold)

    def apply_params(self, imgs: np.ndarray, chosen: np.ndarray) -> None:
        """Solarises the chosen views in place."""
        threshold = np.float32(self.threshold)
        for v in np.flatnonzero(chosen):
            clip = imgs[v]
            np.subtract(
                np.float32(1.0), clip, out=clip, where=clip >= threshold)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'threshold={self.threshold})')


__all__ = [
    'PerViewTransform', 'MultiViewColorJitter', 'MultiViewGrayscale',
    'MultiViewGaussianBlur', 'MultiViewSolarize', 'adjust_brightness',
    'adjust_contrast', 'adjust_saturation', 'adjust_hue', 'gaussian_kernel1d',
    'GRAY_WEIGHTS', 'APPLY_ON', 'resolve_apply_on'
]
