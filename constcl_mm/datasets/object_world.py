# Copyright (c) constcl_mm authors. All rights reserved.
"""A synthetic video world of shaped, textured, moving objects.

The second design of the learning proof's world (docs/learning_proof.md).
The first design (:mod:`.synthetic_world`) labelled each video by the
texture of one object among distractors over natural images; a network
trained *supervised* on that label could not learn it within the budget, so
it could not rank features. This world is built so that the labels are
visible to a learned feature and not to pixel statistics:

* **Scene label** (video level): the shape family shared by every object of
  the video (:data:`SHAPES`: ellipse, square, triangle, cross). Colours,
  sizes, positions, textures and motions are drawn independently of it, so
  no colour statistic tells it.
* **Object category** (region level): shape family x texture family
  (:data:`TEXTURES`: flat colour or stripes), 8 classes.
* **Motion class** (region level, per object): :data:`MOTIONS` (translate,
  rotate, scale, bounce), each with its own random speed and phase.
* **Ground truth** for every frame and object: the box ``[x1, y1, x2, y2]``
  of its mask, the visible fraction, and an instance mask of the frame
  (0 = background, ``m + 1`` = object ``m``, the front-most object wins).

Every object covers 20-50 % of the frame side; objects may overlap (fixed
depth order). The background is a static low-frequency colour field with a
random base colour. Each object's colour keeps a luminance contrast of at
least 0.2 to the background. Frames are rendered on request (about 0.2 ms a
frame at 64 px); everything is deterministic from ``(seed, index)``. No image
files are needed.

Three settings give each video a colour-free identity in its shape
(``shape_variation``: a per-video deformation of the family;
``fixed_stripes``: one stripe pattern for every striped object, so stripes
identify no video; ``object_size``): the learning proof pretrains on one
such object a video (configs/_base_/datasets/object_world_constcl_pretrain.py),
because with the canonical shapes instance discrimination had no reason to
read the shape. Each setting leaves every other draw of a video unchanged.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .synthetic_world import SyntheticVideo, SyntheticWorld

__all__ = [
    'SHAPES', 'TEXTURES', 'MOTIONS', 'ObjectWorld', 'ObjectVideo',
    'ShapeObject', 'category_index'
]

SHAPES = ('ellipse', 'square', 'triangle', 'cross')
TEXTURES = ('flat', 'stripes')
MOTIONS = ('translate', 'rotate', 'scale', 'bounce')
_PATCH = 48  # mask / texture resolution of an object
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def category_index(shape: int, texture: int) -> int:
    """Object category of a shape and a texture index (``0 .. 7``)."""
    return int(shape) * len(TEXTURES) + int(texture)


def radial_profile(rng: np.random.RandomState, amplitude: float) -> np.ndarray:
    """A random smooth radial deformation: ``(4, 2)`` amplitudes and phases
    of the angular harmonics 2-5 (see :func:`shape_mask`)."""
    amps = rng.uniform(-amplitude, amplitude, 4)
    phases = rng.uniform(0, 2 * np.pi, 4)
    return np.stack([amps, phases], axis=1).astype(np.float32)


def shape_mask(shape: str,
               aspect: float = 1.0,
               size: int = _PATCH,
               profile: Optional[np.ndarray] = None) -> np.ndarray:
    """An anti-aliased mask of a shape family filling a square patch.

    Args:
        shape (str): One of :data:`SHAPES`.
        aspect (float): Minor / major axis of the ellipse (other shapes
            ignore it).
        size (int): Patch side in pixels.
        profile (np.ndarray, optional): ``(K, 2)`` amplitudes and phases of
            angular harmonics ``2 .. K + 1`` (:func:`radial_profile`): the
            shape's radius at angle ``a`` is scaled by ``1 + sum_k amp_k
            cos(k a + phase_k)`` (clipped to 0.6-1.08, so the shape stays
            in its patch). ``None``: the family's canonical shape.

    Returns:
        np.ndarray: ``float32`` ``(size, size)`` in ``[0, 1]``.
    """
    coords = (np.arange(size, dtype=np.float32) + 0.5) / size * 2 - 1
    y, x = np.meshgrid(coords, coords, indexing='ij')
    if profile is not None:
        angle = np.arctan2(y, x)
        ks = np.arange(2, 2 + len(profile), dtype=np.float32)
        scale = 1 + (profile[:, 0] *
                     np.cos(ks * angle[..., None] + profile[:, 1])).sum(-1)
        scale = np.clip(scale, 0.6, 1.08).astype(np.float32)
        x, y = x / scale, y / scale
    if shape == 'ellipse':
        # signed distance (approximate) to the ellipse x^2 + (y/aspect)^2 = r
        dist = np.sqrt(x**2 + (y / aspect)**2) - 0.92
    elif shape == 'square':
        dist = np.maximum(np.abs(x), np.abs(y)) - 0.8
    elif shape == 'triangle':
        # equilateral, pointing up, centred on its centroid
        half = 0.9
        edges = [
            y - 0.55 * half * 2 / 1.5,  # bottom edge
            -(y * 0.5 + x * math.sqrt(3) / 2) - half * 0.5,
            -(y * 0.5 - x * math.sqrt(3) / 2) - half * 0.5,
        ]
        dist = np.maximum.reduce(edges)
    elif shape == 'cross':
        bar = 0.3
        dist = np.minimum(
            np.maximum(np.abs(x) - 0.9,
                       np.abs(y) - bar),
            np.maximum(np.abs(y) - 0.9,
                       np.abs(x) - bar))
    else:
        raise ValueError(f'unknown shape {shape!r}; choose from {SHAPES}')
    edge = 1.5 / size  # one pixel of soft edge
    return np.clip(0.5 - dist / edge, 0, 1).astype(np.float32)


def _luma(colour: np.ndarray) -> float:
    return float(colour @ _LUMA)


def _contrasting_colour(rng: np.random.RandomState,
                        background: float) -> np.ndarray:
    """A random colour whose luminance differs from ``background`` by at
    least 0.2."""
    for _ in range(100):
        colour = rng.uniform(0.0, 1.0, 3).astype(np.float32)
        if abs(_luma(colour) - background) >= 0.2:
            return colour
    return np.full(3, 0.0 if background > 0.5 else 1.0, np.float32)


class ShapeObject:
    """One object: shape, texture, colour and a motion of one class.

    Positions and sizes are fractions of the frame side; ``t`` is the frame
    index.

    Args:
        shape (int): Index in :data:`SHAPES`.
        texture (int): Index in :data:`TEXTURES`.
        motion (int): Index in :data:`MOTIONS`.
        background (float): Mean luminance of the background.
        num_frames (int): Length of the video.
        rng (RandomState): Draws everything else.
        profile (np.ndarray, optional): The video's radial deformation of
            the shape (:func:`shape_mask`).
        size_range (tuple[float]): Range of the object's side, a fraction
            of the frame side.
        fixed_stripes (bool): Stripes of one orientation and frequency (in
            the object's own frame) for every object: the texture then
            tells only the texture family, not the object.
    """

    def __init__(self,
                 shape: int,
                 texture: int,
                 motion: int,
                 background: float,
                 num_frames: int,
                 rng: np.random.RandomState,
                 profile: Optional[np.ndarray] = None,
                 size_range: Tuple[float, float] = (0.25, 0.45),
                 fixed_stripes: bool = False) -> None:
        self.shape, self.texture, self.motion = shape, texture, motion
        self.fixed_stripes = fixed_stripes
        self.category = category_index(shape, texture)
        aspect = rng.uniform(0.55, 0.75) if SHAPES[shape] == 'ellipse' else 1
        self.mask = shape_mask(SHAPES[shape], aspect, profile=profile)
        self.area = float(self.mask.sum())
        colour = _contrasting_colour(rng, background)
        self.texture_rgb = self._texture(colour, rng)
        ys, xs = np.nonzero(self.mask >= 0.5)
        corners = np.concatenate([
            np.stack([xs + dx, ys + dy], axis=1) for dx in (0, 1)
            for dy in (0, 1)
        ]).astype(np.float32)
        self.hull = cv2.convexHull(corners)[:, 0].T.astype(np.float64)
        self.size0 = rng.uniform(*size_range)
        self.centre0 = rng.uniform(0.3, 0.7, 2)
        self.angle0 = rng.uniform(0, 360)
        self.num_frames = num_frames
        self._motion_params(rng)

    def _texture(self, colour: np.ndarray,
                 rng: np.random.RandomState) -> np.ndarray:
        patch = np.empty((_PATCH, _PATCH, 3), np.float32)
        patch[:] = colour
        if TEXTURES[self.texture] == 'stripes':
            other = np.clip(colour * 0.35 + rng.uniform(0, 0.65, 3), 0, 1)
            if abs(_luma(other) - _luma(colour)) < 0.25:
                other = np.clip(1.0 - colour, 0, 1).astype(np.float32)
            coords = np.arange(_PATCH, dtype=np.float32) / _PATCH
            y, x = np.meshgrid(coords, coords, indexing='ij')
            # drawn in every case, so that the other draws do not move
            theta = rng.uniform(0, np.pi)
            freq = rng.uniform(2.5, 4.5)
            offset = rng.uniform(0, 2 * np.pi)
            if self.fixed_stripes:
                theta, freq, offset = np.pi / 4, 3.5, 0.0
            wave = np.sin(2 * np.pi * freq *
                          (x * np.cos(theta) + y * np.sin(theta)) + offset)
            patch[wave > 0] = other
        return patch

    def _motion_params(self, rng: np.random.RandomState) -> None:
        name = MOTIONS[self.motion]
        length = max(self.num_frames, 1)
        if name == 'translate':
            direction = rng.uniform(0, 2 * np.pi)
            distance = rng.uniform(0.3, 0.55)  # over the whole video
            self.velocity = distance / length * np.array(
                [math.cos(direction), math.sin(direction)])
        elif name == 'rotate':
            self.spin = rng.choice([-1, 1]) * rng.uniform(5.0, 9.0)
        elif name == 'scale':
            self.period = rng.uniform(14, 28)
            self.phase = rng.uniform(0, 2 * np.pi)
        else:  # bounce
            self.period = rng.uniform(12, 22)
            self.phase = rng.uniform(0, np.pi)
            self.height = rng.uniform(0.12, 0.2)

    def pose(self, t: float) -> Tuple[np.ndarray, float, float]:
        """``(centre (2,), size, angle in degrees)`` at frame ``t``."""
        name = MOTIONS[self.motion]
        centre, size, angle = self.centre0.copy(), self.size0, self.angle0
        if name == 'translate':
            # reflect at the borders of [0.15, 0.85] (a triangle wave)
            pos = self.centre0 + self.velocity * (t - self.num_frames / 2)
            lo, span = 0.15, 0.7
            phase = np.mod(pos - lo, 2 * span)
            centre = lo + np.where(phase > span, 2 * span - phase, phase)
        elif name == 'rotate':
            angle = self.angle0 + self.spin * t
        elif name == 'scale':
            size = self.size0 * math.exp(
                0.3 * math.sin(2 * math.pi * t / self.period + self.phase))
        else:
            hop = abs(math.sin(math.pi * t / self.period + self.phase))
            centre[1] = self.centre0[1] + self.height * (0.5 - hop)
        return centre, size, angle

    def affine(self, t: float, width: int, height: int) -> np.ndarray:
        """``(2, 3)`` map from patch pixels to frame pixels."""
        centre, size, angle = self.pose(t)
        scale = size * min(width, height) / _PATCH
        rad = math.radians(angle)
        lin = scale * np.array([[math.cos(rad), -math.sin(rad)],
                                [math.sin(rad), math.cos(rad)]])
        half = np.array([_PATCH / 2, _PATCH / 2])
        target = centre * np.array([width, height])
        return np.concatenate([lin, (target - lin @ half)[:, None]], axis=1)


class ObjectVideo:
    """One video of the object world, rendered on request.

    Attributes:
        label (int): Scene class (the shared shape family, index in
            :data:`SHAPES`).
        objects (list[ShapeObject]): Back-to-front depth order.
        categories (list[int]), motions (list[int]): Per object.
        hero_index (int): The largest object (the tracking target).
        profile (np.ndarray | None): The radial deformation all its objects
            share (``shape_variation`` of :class:`ObjectWorld`).
        num_frames (int), frame_size ((H, W)), fps (float).
    """

    def __init__(self,
                 seed: int,
                 num_frames: int,
                 frame_size: Tuple[int, int],
                 num_objects: Tuple[int, int],
                 fps: float = 25.0,
                 shape_variation: float = 0.0,
                 object_size: Tuple[float, float] = (0.25, 0.45),
                 fixed_stripes: bool = False) -> None:
        rng = np.random.RandomState(seed)
        self.seed = seed
        self.num_frames = num_frames
        self.frame_size = tuple(frame_size)
        self.fps = fps
        self.label = int(rng.randint(len(SHAPES)))
        self._background_field(rng)
        count = rng.randint(num_objects[0], num_objects[1] + 1)
        # drawn from a stream of its own: with and without it the videos
        # have the same labels, colours, sizes and motions
        self.profile = radial_profile(
            np.random.RandomState(
                (seed + 104_729) %
                (2**31 - 1)), shape_variation) if shape_variation > 0 else None
        self.objects: List[ShapeObject] = [
            ShapeObject(self.label, rng.randint(len(TEXTURES)),
                        rng.randint(len(MOTIONS)), self.background_luma,
                        num_frames, rng, self.profile, object_size,
                        fixed_stripes) for _ in range(count)
        ]
        self.categories = [o.category for o in self.objects]
        self.motions = [o.motion for o in self.objects]
        self.hero_index = int(np.argmax([o.size0 for o in self.objects]))

    def _background_field(self, rng: np.random.RandomState) -> None:
        height, width = self.frame_size
        base = rng.uniform(0.15, 0.85, 3).astype(np.float32)
        noise = rng.uniform(-0.12, 0.12, (4, 4, 3)).astype(np.float32)
        field = cv2.resize(
            noise, (width, height), interpolation=cv2.INTER_CUBIC)
        self.background = np.clip(base + field, 0, 1).astype(np.float32)
        self.background_luma = _luma(base)

    @property
    def num_objects(self) -> int:
        return len(self.objects)

    def render(self,
               inds: Sequence[int],
               with_masks: bool = False) -> Tuple[np.ndarray, ...]:
        """Renders frames with their ground truth.

        Args:
            inds (Sequence[int]): Frame positions in ``[0, num_frames)``.
            with_masks (bool): Also return the instance masks.

        Returns:
            tuple: ``frames`` ``uint8`` ``(K, H, W, 3)`` RGB, ``boxes``
            ``float32`` ``(K, M, 4)`` pixel ``[x1, y1, x2, y2]`` of every
            object (back to front), ``visibility`` ``float32`` ``(K, M)``
            and, with ``with_masks``, ``masks`` ``int64`` ``(K, H, W)``
            (0 = background, ``m + 1`` = object ``m``).
        """
        inds = np.asarray(inds, dtype=np.int64)
        if inds.size and (inds.min() < 0 or inds.max() >= self.num_frames):
            raise IndexError(f'frame positions {inds.min()}..{inds.max()} '
                             f'outside [0, {self.num_frames})')
        height, width = self.frame_size
        count = self.num_objects
        frames = np.empty((inds.size, height, width, 3), dtype=np.uint8)
        boxes = np.zeros((inds.size, count, 4), dtype=np.float32)
        visibility = np.zeros((inds.size, count), np.float32)
        masks = np.zeros((inds.size, height, width), np.int64)
        for k, t in enumerate(inds):
            frame = self.background.copy()
            alphas = []
            for m, obj in enumerate(self.objects):
                affine = obj.affine(float(t), width, height)
                alpha = cv2.warpAffine(
                    obj.mask, affine, (width, height), flags=cv2.INTER_LINEAR)
                tex = cv2.warpAffine(
                    obj.texture_rgb,
                    affine, (width, height),
                    flags=cv2.INTER_LINEAR)
                frame = frame * (1 - alpha[..., None]) + tex * alpha[..., None]
                boxes[k, m] = self._box(obj, affine, width, height)
                full = obj.area * abs(np.linalg.det(affine[:, :2]))
                alphas.append((alpha, full))
                masks[k][alpha >= 0.5] = m + 1
            visibility[k] = self._visibility(alphas)
            frames[k] = np.clip(frame * 255 + 0.5, 0, 255).astype(np.uint8)
        if with_masks:
            return frames, boxes, visibility, masks
        return frames, boxes, visibility

    def ground_truth(self, t: int) -> Tuple[np.ndarray, np.ndarray]:
        """Boxes and visible fractions of every object at frame ``t``,
        without rendering the frame.

        Returns:
            tuple: ``boxes`` ``float32`` ``(M, 4)`` pixel ``[x1, y1, x2,
            y2]`` and ``visibility`` ``float32`` ``(M,)``, as
            :meth:`render` gives them.
        """
        height, width = self.frame_size
        boxes = np.zeros((self.num_objects, 4), np.float32)
        alphas = []
        for m, obj in enumerate(self.objects):
            affine = obj.affine(float(t), width, height)
            alpha = cv2.warpAffine(
                obj.mask, affine, (width, height), flags=cv2.INTER_LINEAR)
            boxes[m] = self._box(obj, affine, width, height)
            alphas.append(
                (alpha, obj.area * abs(np.linalg.det(affine[:, :2]))))
        return boxes, self._visibility(alphas)

    #: frame box of the mask's support (alpha >= 0.5), clipped: the rule of
    #: the texture world
    _box = staticmethod(SyntheticVideo._box)

    @staticmethod
    def _visibility(alphas: List[Tuple[np.ndarray, float]]) -> np.ndarray:
        """Visible fraction of each object: what the objects in front and
        the frame border leave of its full mask area."""
        out = np.zeros(len(alphas), dtype=np.float32)
        front = np.zeros_like(alphas[0][0])
        for m in range(len(alphas) - 1, -1, -1):
            alpha, full = alphas[m]
            out[m] = min(1.0,
                         float((alpha * (1 - front)).sum()) / max(full, 1e-6))
            front = front + alpha * (1 - front)
        return out


class ObjectWorld(SyntheticWorld):
    """A family of object-world videos, deterministic from ``(seed,
    index)``.

    Args:
        seed (int): World seed; splits are different seeds.
        num_frames (int): Frames per video. Defaults to 48.
        frame_size (tuple[int]): ``(H, W)``. Defaults to ``(64, 64)``.
        num_objects (tuple[int]): Inclusive range of objects per video.
            Defaults to ``(1, 3)``.
        fps (float): Nominal frame rate (for exported files). Defaults to 25.
        shape_variation (float): Amplitude of each video's own radial
            deformation of its shape family (:func:`radial_profile`), shared
            by all objects of the video: every video then has a shape of
            its own within its family, a colour-free identity for
            instance-contrastive learning. 0 (default): the canonical
            shapes.
        object_size (tuple[float]): Range of an object's side, a fraction
            of the frame side. Defaults to ``(0.25, 0.45)``.
        fixed_stripes (bool): One stripe orientation and frequency (in the
            object's frame) for all striped objects, so that the stripes
            are not an identity of their own. Defaults to False.
    """

    kind = 'objects'
    video_class = ObjectVideo
    seed_terms = (1_000_033, 7907, 29)

    def __init__(self,
                 seed: int = 0,
                 num_frames: int = 48,
                 frame_size: Sequence[int] = (64, 64),
                 num_objects: Sequence[int] = (1, 3),
                 fps: float = 25.0,
                 shape_variation: float = 0.0,
                 object_size: Sequence[float] = (0.25, 0.45),
                 fixed_stripes: bool = False) -> None:
        super().__init__(seed, num_frames, frame_size, num_objects, fps)
        lo, hi = (float(v) for v in object_size)
        if not 0.1 <= lo <= hi <= 0.6:
            raise ValueError('object_size must be a range (lo, hi) with '
                             f'0.1 <= lo <= hi <= 0.6, got {object_size}')
        self.object_size = (lo, hi)
        self.fixed_stripes = bool(fixed_stripes)
        if not 0 <= shape_variation <= 0.3:
            raise ValueError('shape_variation must be in [0, 0.3] (the '
                             'amplitude of a radial deformation), got '
                             f'{shape_variation}')
        self.shape_variation = float(shape_variation)

    def video(self, index: int) -> ObjectVideo:
        """Video ``index`` of this world."""
        return self.video_class(
            self.video_seed(index), self.num_frames, self.frame_size,
            self.num_objects, self.fps, self.shape_variation, self.object_size,
            self.fixed_stripes)

    def config(self) -> Dict:
        """The settings, as :func:`build_world` takes them (the
        variations only when they differ from the canonical world, so the
        frame caches of the canonical world keep their names)."""
        cfg = super().config()
        if self.shape_variation:
            cfg['shape_variation'] = self.shape_variation
        if self.object_size != (0.25, 0.45):
            cfg['object_size'] = self.object_size
        if self.fixed_stripes:
            cfg['fixed_stripes'] = True
        return cfg

    @property
    def classes(self) -> Tuple[str, ...]:
        """The scene classes (the video label)."""
        return SHAPES

    @property
    def category_classes(self) -> Tuple[str, ...]:
        """The object categories, ``'<shape>-<texture>'``."""
        return tuple(f'{s}-{t}' for s in SHAPES for t in TEXTURES)

    @property
    def motion_classes(self) -> Tuple[str, ...]:
        return MOTIONS


def object_world_from_cfg(cfg: Optional[Dict]) -> ObjectWorld:
    """An :class:`ObjectWorld` from its settings (see its arguments)."""
    cfg = dict(cfg or {})
    unknown = set(cfg) - {
        'seed', 'num_frames', 'frame_size', 'num_objects', 'fps',
        'shape_variation', 'object_size', 'fixed_stripes'
    }
    if unknown:
        raise ValueError(f'unknown object-world settings {sorted(unknown)}')
    return ObjectWorld(**cfg)
