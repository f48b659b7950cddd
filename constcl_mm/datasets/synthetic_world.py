# Copyright (c) constcl_mm authors. All rights reserved.
"""A procedurally generated video world with ground truth, from real images.

Every video is a moving camera (pan and zoom) over a natural background
image, with 2-4 objects moving on smooth trajectories, changing scale and
rotating, and occluding each other in a fixed depth order. Frames are
rendered in memory on request; everything is deterministic from
``(seed, index)``. The images are the public-domain pictures that ship
inside scikit-image (``skimage.data``): nothing is downloaded.

**The video label.** One object per video is the *hero*. Its texture is a
random crop of one of :data:`CLASS_TEXTURES` (brick, grass, gravel, text,
coins, cell: grayscale natural textures), mapped to two random colours, and
the index of that texture is the video's class. The other objects are
distractors: procedural stripes or checkers, or crops of the colour
background images. Shapes (ellipse, rounded rectangle, wobbly blob), sizes
and trajectories are drawn independently of the class, and every video gets
its own colour grading (per-channel gains) and a slow brightness drift. So
neither colour, nor shape, nor position says the class: a feature must tell
*which texture* one of the several moving regions has, among a cluttered
background that fills most of the frame. Pooled features of a random
network are dominated by colour and by the background; features that
contrastive pretraining makes invariant to colour jitter, crops and time
shifts can pick the texture up.

**Ground truth.** For every frame and object: the box ``[x1, y1, x2, y2]``
in pixels (the extent of the object's mask, occluded parts included, clipped
to the frame) and the visible fraction of the object (after occlusion by the
objects in front and by the frame border).
"""
import functools
import math
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    'CLASS_TEXTURES', 'BACKGROUNDS', 'SyntheticWorld', 'SyntheticVideo',
    'WorldObject'
]

#: Grayscale natural textures: the hero object's texture source = the class.
CLASS_TEXTURES = ('brick', 'grass', 'gravel', 'text', 'coins', 'cell')
#: Natural colour (and a few grayscale) images the camera moves over. They
#: also give the texture of the image-crop distractors.
BACKGROUNDS = ('astronaut', 'coffee', 'rocket', 'chelsea', 'hubble_deep_field',
               'immunohistochemistry', 'retina', 'colorwheel', 'camera',
               'moon')
SHAPES = ('ellipse', 'rounded_rect', 'blob')
_PATCH = 64  # texture / mask resolution of an object


@functools.lru_cache(maxsize=None)
def load_image(name: str) -> np.ndarray:
    """A ``skimage.data`` image as ``float32`` RGB in ``[0, 1]``, cached.

    Args:
        name (str): Function name in ``skimage.data``.

    Returns:
        np.ndarray: ``(H, W, 3)``.
    """
    import skimage.data
    loader = getattr(skimage.data, name, None)
    if loader is None:
        raise ValueError(f'skimage.data has no image {name!r}')
    img = np.asarray(loader())
    if img.dtype == bool:
        img = img.astype(np.float32)
    elif img.dtype != np.uint8:
        img = (img - img.min()) / max(float(img.max() - img.min()), 1e-6)
    else:
        img = img.astype(np.float32) / 255.0
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3], dtype=np.float32)


def _gray(img: np.ndarray) -> np.ndarray:
    return img @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def soft_mask(shape: str,
              rng: np.random.RandomState,
              size: int = _PATCH,
              edge: float = 0.08) -> np.ndarray:
    """An object mask with soft edges.

    Args:
        shape (str): One of :data:`SHAPES`.
        rng (RandomState): For the blob's wobble.
        size (int): Mask resolution.
        edge (float): Width of the soft edge, in half-sizes.

    Returns:
        np.ndarray: ``float32`` ``(size, size)`` in ``[0, 1]``.
    """
    coords = (np.arange(size, dtype=np.float32) + 0.5) / size * 2 - 1
    y, x = np.meshgrid(coords, coords, indexing='ij')
    if shape == 'ellipse':
        r = np.sqrt(x**2 + y**2)
    elif shape == 'rounded_rect':
        r = (np.abs(x)**4 + np.abs(y)**4)**0.25
    elif shape == 'blob':
        theta = np.arctan2(y, x)
        lobes = rng.randint(3, 7)
        wobble = 1 + 0.15 * np.sin(lobes * theta + rng.uniform(0, 2 * np.pi))
        r = np.sqrt(x**2 + y**2) / (wobble / 1.15)
    else:
        raise ValueError(f'unknown shape {shape!r}; choose from {SHAPES}')
    return np.clip((1 - r) / edge, 0, 1).astype(np.float32)


def _texture_crop(image: np.ndarray,
                  rng: np.random.RandomState,
                  size: int = _PATCH) -> np.ndarray:
    """A random square crop of ``image`` resized to ``size``."""
    h, w = image.shape[:2]
    side = int(rng.uniform(0.25, 0.6) * min(h, w))
    y0 = rng.randint(0, h - side + 1)
    x0 = rng.randint(0, w - side + 1)
    crop = image[y0:y0 + side, x0:x0 + side]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)


def _two_tone(gray: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    """Maps a grayscale texture to a random dark and light colour."""
    dark = rng.uniform(0.0, 0.45, 3).astype(np.float32)
    light = rng.uniform(0.55, 1.0, 3).astype(np.float32)
    g = (gray - gray.min()) / max(float(gray.max() - gray.min()), 1e-6)
    return dark + g[..., None] * (light - dark)


def _procedural_texture(rng: np.random.RandomState,
                        size: int = _PATCH) -> np.ndarray:
    coords = np.arange(size, dtype=np.float32) / size
    y, x = np.meshgrid(coords, coords, indexing='ij')
    freq = rng.uniform(2, 6)
    if rng.rand() < 0.5:  # stripes
        theta = rng.uniform(0, np.pi)
        gray = 0.5 + 0.5 * np.sin(2 * np.pi * freq *
                                  (x * np.cos(theta) + y * np.sin(theta)))
    else:  # checker
        gray = ((np.floor(x * freq) + np.floor(y * freq)) % 2).astype(
            np.float32)
    return _two_tone(gray.astype(np.float32), rng)


class WorldObject:
    """One moving object: appearance and smooth trajectory.

    Positions are in frame-normalised coordinates. At normalised time
    ``s = t / num_frames``: ``centre(s) = c0 + amp * sin(2 pi f s + phase)``
    (per axis, clipped to [0.1, 0.9]), ``size(s) = size0 * exp(0.35 *
    sin(2 pi g s + psi))`` and ``angle(s) = angle0 + spin * s``.

    Args:
        texture (np.ndarray): ``(P, P, 3)`` float RGB.
        mask (np.ndarray): ``(P, P)`` float alpha.
        kind (str): 'hero' or 'distractor'.
        rng (RandomState): Draws the trajectory.
    """

    def __init__(self, texture: np.ndarray, mask: np.ndarray, kind: str,
                 rng: np.random.RandomState) -> None:
        self.texture = texture
        self.mask = mask
        self.kind = kind
        self.area = float(mask.sum())
        # convex hull of the support's pixel corners: the box of any affine
        # image of the mask is the box of the mapped hull
        ys, xs = np.nonzero(mask >= 0.5)
        corners = np.concatenate([
            np.stack([xs + dx, ys + dy], axis=1) for dx in (0, 1)
            for dy in (0, 1)
        ]).astype(np.float32)
        self.hull = cv2.convexHull(corners)[:, 0].T.astype(np.float64)
        self.centre0 = rng.uniform(0.3, 0.7, 2)
        self.amplitude = rng.uniform(0.08, 0.28, 2)
        self.frequency = rng.uniform(0.3, 1.2, 2)
        self.phase = rng.uniform(0, 2 * np.pi, 2)
        self.size0 = rng.uniform(0.2, 0.34)
        self.aspect = rng.uniform(0.65, 1.5)
        self.scale_frequency = rng.uniform(0.3, 1.0)
        self.scale_phase = rng.uniform(0, 2 * np.pi)
        self.angle0 = rng.uniform(-30, 30)
        self.spin = rng.uniform(-60, 60)

    def pose(self, s: float) -> Tuple[np.ndarray, float, float]:
        """``(centre (2,), size, angle in degrees)`` at normalised time s."""
        centre = self.centre0 + self.amplitude * np.sin(
            2 * np.pi * self.frequency * s + self.phase)
        size = self.size0 * math.exp(
            0.35 * math.sin(2 * math.pi * self.scale_frequency * s +
                            self.scale_phase))
        return np.clip(centre, 0.1, 0.9), size, self.angle0 + self.spin * s

    def affine(self, s: float, width: int, height: int) -> np.ndarray:
        """``(2, 3)`` map from patch pixels to frame pixels."""
        centre, size, angle = self.pose(s)
        extent = size * min(width, height)
        sx = extent * math.sqrt(self.aspect) / _PATCH
        sy = extent / math.sqrt(self.aspect) / _PATCH
        rad = math.radians(angle)
        rot = np.array([[math.cos(rad), -math.sin(rad)],
                        [math.sin(rad), math.cos(rad)]])
        lin = rot @ np.diag([sx, sy])
        half = np.array([_PATCH / 2, _PATCH / 2])
        target = centre * np.array([width, height])
        return np.concatenate([lin, (target - lin @ half)[:, None]], axis=1)


class SyntheticVideo:
    """One video of the world, rendered on request.

    Attributes:
        label (int): The hero's texture class (index in
            :data:`CLASS_TEXTURES`).
        objects (list[WorldObject]): Back-to-front depth order.
        hero_index (int): Index of the hero in ``objects``.
        num_frames (int), frame_size ((H, W)), fps (float).
    """

    def __init__(self,
                 seed: int,
                 num_frames: int,
                 frame_size: Tuple[int, int],
                 num_objects: Tuple[int, int],
                 fps: float = 25.0) -> None:
        rng = np.random.RandomState(seed)
        self.seed = seed
        self.num_frames = num_frames
        self.frame_size = tuple(frame_size)
        self.fps = fps
        self.label = int(rng.randint(len(CLASS_TEXTURES)))
        self.background = BACKGROUNDS[rng.randint(len(BACKGROUNDS))]
        self._camera(rng)
        count = rng.randint(num_objects[0], num_objects[1] + 1)
        objects = [self._hero(rng)]
        objects += [self._distractor(rng) for _ in range(count - 1)]
        order = rng.permutation(count)
        self.objects: List[WorldObject] = [objects[i] for i in order]
        self.hero_index = int(np.flatnonzero(order == 0)[0])
        self.gains = rng.uniform(0.7, 1.3, 3).astype(np.float32)
        self.drift = (rng.uniform(0.05, 0.2), rng.uniform(0.3, 1.0),
                      rng.uniform(0, 2 * np.pi))

    def _camera(self, rng: np.random.RandomState) -> None:
        bg_h, bg_w = load_image(self.background).shape[:2]
        self.window0 = rng.uniform(0.45, 0.7) * min(bg_h, bg_w)
        self.zoom_amplitude = rng.uniform(0.05, 0.25)
        self.zoom_frequency = rng.uniform(0.3, 1.0)
        self.zoom_phase = rng.uniform(0, 2 * np.pi)
        start = rng.uniform(0.3, 0.7, 2)
        pan = rng.uniform(-0.25, 0.25, 2)
        self.pan = (start, pan)

    def _hero(self, rng: np.random.RandomState) -> WorldObject:
        gray = _gray(
            _texture_crop(load_image(CLASS_TEXTURES[self.label]), rng))
        mask = soft_mask(SHAPES[rng.randint(len(SHAPES))], rng)
        return WorldObject(_two_tone(gray, rng), mask, 'hero', rng)

    def _distractor(self, rng: np.random.RandomState) -> WorldObject:
        if rng.rand() < 0.5:
            texture = _procedural_texture(rng)
        else:
            texture = _texture_crop(
                load_image(BACKGROUNDS[rng.randint(len(BACKGROUNDS))]), rng)
        mask = soft_mask(SHAPES[rng.randint(len(SHAPES))], rng)
        return WorldObject(texture, mask, 'distractor', rng)

    @property
    def num_objects(self) -> int:
        return len(self.objects)

    def _background(self, s: float) -> np.ndarray:
        image = load_image(self.background)
        bg_h, bg_w = image.shape[:2]
        height, width = self.frame_size
        window = self.window0 * (
            1 + self.zoom_amplitude *
            math.sin(2 * math.pi * self.zoom_frequency * s + self.zoom_phase))
        start, pan = self.pan
        centre = np.clip(start + pan * s, 0, 1) * np.array([bg_w, bg_h])
        scale = window / min(width, height)
        # frame pixel -> background pixel
        inverse = np.array([[scale, 0, centre[0] - scale * width / 2],
                            [0, scale, centre[1] - scale * height / 2]])
        return cv2.warpAffine(
            image,
            inverse, (width, height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT_101)

    def render(
            self,
            inds: Sequence[int]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Renders frames with their ground truth.

        Args:
            inds (Sequence[int]): Frame positions in ``[0, num_frames)``.

        Returns:
            tuple: ``frames`` ``uint8`` ``(K, H, W, 3)`` RGB, ``boxes``
            ``float32`` ``(K, M, 4)`` pixel ``[x1, y1, x2, y2]`` of every
            object (back to front), ``visibility`` ``float32`` ``(K, M)``.
        """
        inds = np.asarray(inds, dtype=np.int64)
        if inds.size and (inds.min() < 0 or inds.max() >= self.num_frames):
            raise IndexError(f'frame positions {inds.min()}..{inds.max()} '
                             f'outside [0, {self.num_frames})')
        height, width = self.frame_size
        frames = np.empty((inds.size, height, width, 3), dtype=np.uint8)
        boxes = np.zeros((inds.size, self.num_objects, 4), dtype=np.float32)
        visibility = np.zeros((inds.size, self.num_objects), np.float32)
        amp, freq, phase = self.drift
        for k, t in enumerate(inds):
            s = float(t) / self.num_frames
            frame = self._background(s)
            alphas, affines = [], []
            for m, obj in enumerate(self.objects):
                affine = obj.affine(s, width, height)
                alpha = cv2.warpAffine(
                    obj.mask, affine, (width, height), flags=cv2.INTER_LINEAR)
                tex = cv2.warpAffine(
                    obj.texture,
                    affine, (width, height),
                    flags=cv2.INTER_LINEAR)
                frame = frame * (1 - alpha[..., None]) + tex * alpha[..., None]
                boxes[k, m] = self._box(obj, affine, width, height)
                alphas.append(alpha)
                affines.append(affine)
            visibility[k] = self._visibility(alphas, affines)
            gain = self.gains * (
                1 + amp * math.sin(2 * math.pi * freq * s + phase))
            frames[k] = np.clip(frame * gain * 255 + 0.5, 0,
                                255).astype(np.uint8)
        return frames, boxes, visibility

    @staticmethod
    def _box(obj: 'WorldObject', affine: np.ndarray, width: int,
             height: int) -> np.ndarray:
        """Frame box of the mask's support (alpha >= 0.5), clipped."""
        pts = affine[:, :2] @ obj.hull + affine[:, 2:]
        x1, y1 = pts.min(axis=1)
        x2, y2 = pts.max(axis=1)
        return np.array([
            min(max(x1, 0), width),
            min(max(y1, 0), height),
            min(max(x2, 0), width),
            min(max(y2, 0), height)
        ],
                        dtype=np.float32)

    def _visibility(self, alphas: List[np.ndarray],
                    affines: List[np.ndarray]) -> np.ndarray:
        """Visible fraction of each object: what the objects in front and
        the frame border leave of its full mask area."""
        out = np.zeros(len(alphas), dtype=np.float32)
        front = np.zeros_like(alphas[0])
        for m in range(len(alphas) - 1, -1, -1):
            lin = affines[m][:, :2]
            full = self.objects[m].area * abs(lin[0, 0] * lin[1, 1] -
                                              lin[0, 1] * lin[1, 0])
            out[m] = min(
                1.0,
                float((alphas[m] * (1 - front)).sum()) / max(full, 1e-6))
            front = front + alphas[m] * (1 - front)
        return out


class SyntheticWorld:
    """A family of synthetic videos, deterministic from ``(seed, index)``.

    Args:
        seed (int): World seed; splits are different seeds (e.g. 0 for
            pretraining, 1 for evaluation).
        num_frames (int): Frames per video. Defaults to 64.
        frame_size (tuple[int]): ``(H, W)`` in pixels. Defaults to
            ``(96, 96)``.
        num_objects (tuple[int]): Inclusive range of objects per video (the
            hero included). Defaults to ``(2, 4)``.
        fps (float): Nominal frame rate (for exported files). Defaults to 25.
    """

    kind = 'textures'
    video_class = SyntheticVideo
    #: ``(world, index, offset)`` terms of :meth:`video_seed`
    seed_terms = (1_000_003, 7919, 17)

    def __init__(self,
                 seed: int = 0,
                 num_frames: int = 64,
                 frame_size: Sequence[int] = (96, 96),
                 num_objects: Sequence[int] = (2, 4),
                 fps: float = 25.0) -> None:
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        if len(frame_size) != 2 or min(frame_size) < 16:
            raise ValueError(
                f'frame_size must be (H, W) with H, W >= 16, got {frame_size}')
        if not 1 <= num_objects[0] <= num_objects[1]:
            raise ValueError('num_objects must be a range (lo, hi) with '
                             f'1 <= lo <= hi, got {num_objects}')
        self.seed = int(seed)
        self.num_frames = int(num_frames)
        self.frame_size = (int(frame_size[0]), int(frame_size[1]))
        self.num_objects = (int(num_objects[0]), int(num_objects[1]))
        self.fps = float(fps)

    @property
    def classes(self) -> Tuple[str, ...]:
        return CLASS_TEXTURES

    def video_seed(self, index: int) -> int:
        """The RNG seed of video ``index`` (distinct across worlds)."""
        if index < 0:
            raise IndexError(f'video index must be >= 0, got {index}')
        world, step, offset = self.seed_terms
        return (self.seed * world + int(index) * step + offset) % (2**31 - 1)

    def video(self, index: int) -> SyntheticVideo:
        """Video ``index`` of this world."""
        return self.video_class(
            self.video_seed(index), self.num_frames, self.frame_size,
            self.num_objects, self.fps)

    def config(self) -> Dict:
        """The settings (with ``type`` for worlds other than the default
        texture world), as :func:`build_world` takes them."""
        cfg = dict(
            seed=self.seed,
            num_frames=self.num_frames,
            frame_size=self.frame_size,
            num_objects=self.num_objects,
            fps=self.fps)
        return cfg if self.kind == 'textures' else dict(type=self.kind, **cfg)


def build_world(cfg: Optional[Dict] = None):
    """A world from a config dict (``None``: defaults).

    ``type='textures'`` (the default) is :class:`SyntheticWorld`, the first
    design; ``type='objects'`` is :class:`~.object_world.ObjectWorld`, the
    shaped-object world of the second learning proof.
    """
    cfg = dict(cfg or {})
    kind = cfg.pop('type', 'textures')
    if kind == 'objects':
        from .object_world import object_world_from_cfg
        return object_world_from_cfg(cfg)
    if kind != 'textures':
        raise ValueError(f"unknown world type {kind!r}: choose 'textures' "
                         "or 'objects'")
    unknown = set(cfg) - {
        'seed', 'num_frames', 'frame_size', 'num_objects', 'fps'
    }
    if unknown:
        raise ValueError(f'unknown world settings {sorted(unknown)}')
    return SyntheticWorld(**cfg)
