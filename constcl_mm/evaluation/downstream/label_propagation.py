# Copyright (c) constcl_mm authors. All rights reserved.
"""Label propagation (dense correspondence) with a frozen backbone.

The first frame's object masks are carried through a clip by the
affinities of one backbone layer (:mod:`..functional.label_propagation`)
and scored with J (region IoU) on the later frames. Three feature sources:

- :func:`evaluate_label_propagation`: a ``ResNet3dY`` (the backbone of a
  ConST-CL / CVRL / supervised model, or the backbone itself), frozen, in
  eval mode, on the whole clip normalised as the model's data preprocessor
  does ([-1, 1] for the project's models). Output ``layer`` is one of
  'res2', 'res3', 'res4', 'res5', 'res5_1'. The stem's temporal stride
  (``conv1_stride_t``, 2 for ResNet3D-Y) gives ``T / 2`` feature frames;
  feature frame ``j`` is scored on input frame ``2 j``.
- :func:`evaluate_label_propagation_pixels`: the raw-pixel control, the
  colour values (RGB or Lab, centred on the clip's mean colour) averaged
  over ``stride x stride`` cells, or the flattened cells (``patch=True``).
- :func:`evaluate_label_propagation_copy`: the first frame's masks copied to
  every frame (what a static object scores).

A clip is a dict with ``frames`` (``(T, H, W, 3)`` uint8 RGB) and ``masks``
(``(T, H, W)`` integer ids, 0 = background, 1..K objects); objects absent
from frame 0 are not scored (their pixels count as background). Videos
without an object in frame 0 are skipped and counted.
"""
import os.path as osp
from contextlib import contextmanager
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import cv2
import mmengine
import numpy as np
import torch
import torch.nn.functional as F

from ...models.backbones.resnet3d_y import ResNet3dY
from ..functional.label_propagation import (check_propagation_args,
                                            propagate_video, relabel_objects,
                                            score_video, summarize_videos)

LAYERS = {'res2': 0, 'res3': 1, 'res4': 2, 'res5': 3, 'res5_1': 4}
COPY_NAME = 'copy-first-frame'
PALETTE = np.array(
    [[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200],
     [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230],
     [210, 245, 60], [250, 190, 190], [0, 128, 128], [170, 110, 40]],
    dtype=np.uint8)


def check_int(name: str, value, minimum: int) -> None:
    """Raises ``ValueError`` unless ``value`` is an int ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) \
            or value < minimum:
        raise ValueError(f'{name} must be an int >= {minimum}, got {value!r}')


def clip_arrays(clip: Mapping,
                index: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """The checked ``frames`` and ``masks`` of clip ``index``.

    Returns:
        tuple[Tensor, Tensor]: ``(T, H, W, 3)`` uint8 and ``(T, H, W)``
        int64.
    """
    for key in ('frames', 'masks'):
        if key not in clip:
            raise KeyError(f'clip {index} has no {key!r} (keys: '
                           f'{sorted(clip)}); label propagation needs '
                           "'frames' (T, H, W, 3) uint8 and 'masks' (T, H, W)")
    frames = torch.as_tensor(np.asarray(clip['frames']))
    masks = torch.as_tensor(np.asarray(clip['masks']))
    if frames.dtype != torch.uint8 or frames.dim() != 4 \
            or frames.shape[-1] != 3:
        raise ValueError(f'clip {index}: frames must be (T, H, W, 3) uint8 '
                         f'RGB, got {tuple(frames.shape)} {frames.dtype}')
    if masks.shape != frames.shape[:3]:
        raise ValueError(
            f'clip {index}: masks must be {tuple(frames.shape[:3])}'
            f' (T, H, W) like the frames, got '
            f'{tuple(masks.shape)}')
    if masks.dtype.is_floating_point or masks.dtype == torch.bool:
        raise ValueError(f'clip {index}: masks must hold integer object ids, '
                         f'got {masks.dtype}')
    return frames, masks.long()


def resolve_backbone(model: torch.nn.Module) -> ResNet3dY:
    """The :class:`ResNet3dY` of a model (its ``.backbone``) or the model."""
    if isinstance(model, ResNet3dY):
        return model
    backbone = getattr(model, 'backbone', None)
    if isinstance(backbone, ResNet3dY):
        return backbone
    raise TypeError(
        'label propagation needs a ResNet3dY or a model whose .backbone is '
        f'one (ConSTCL, CVRL, a Recognizer3D), got {type(model).__name__} '
        f'with backbone {type(backbone).__name__}')


def feature_strides(backbone: ResNet3dY, layer: str) -> Tuple[int, int]:
    """Temporal and spatial stride of output ``layer`` w.r.t. the input.

    Read from the backbone's stem (``conv1_stride_t``/``_s``, the max-pool
    if ``with_pool1``, ``pool2`` if ``with_pool2``) and its per-stage
    ``temporal_strides`` / ``spatial_strides`` (res5_1 uses res5's).

    Returns:
        tuple[int, int]: ``(temporal, spatial)``.
    """
    stage = min(LAYERS[layer], 3)
    temporal = backbone.conv1_stride_t * (2 if backbone.with_pool2 else 1)
    spatial = backbone.conv1_stride_s
    if backbone.with_pool1:
        temporal *= backbone.pool1_stride_t
        spatial *= backbone.pool1_stride_s
    for i in range(stage + 1):
        temporal *= backbone.temporal_strides[i]
        spatial *= backbone.spatial_strides[i]
    return int(temporal), int(spatial)


def check_layer(backbone: ResNet3dY, layer: str) -> int:
    """The output index of ``layer``, checked against the built branches."""
    if layer not in LAYERS:
        raise ValueError(
            f'layer must be one of {sorted(LAYERS)}, got {layer!r}')
    module = {'res5': 'layer4', 'res5_1': 'layer4_local'}.get(layer)
    if module is not None and not hasattr(backbone, module):
        raise ValueError(f'layer {layer!r}: this backbone was built without '
                         f'{module} (branches={backbone.branches})')
    return LAYERS[layer]


@contextmanager
def backbone_outputs(backbone: ResNet3dY, index: int) -> Iterator[None]:
    """Sets ``backbone.out_indices = (index,)``, restored on exit."""
    saved = backbone.out_indices
    backbone.out_indices = (index, )
    try:
        yield
    finally:
        backbone.out_indices = saved


@contextmanager
def frozen_eval(module: torch.nn.Module) -> Iterator[None]:
    """Eval mode and no autograd inside; the training flags restored."""
    modes = {m: m.training for m in module.modules()}
    module.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for m, mode in modes.items():
            m.training = mode


def input_normalisation(
        model: torch.nn.Module) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(3,)`` mean and std of the model's data preprocessor, or 127.5
    (uint8 to [-1, 1], the project's preprocessors) without one."""
    pre = getattr(model, 'data_preprocessor', None)
    mean = getattr(pre, 'mean', None)
    std = getattr(pre, 'std', None)
    if isinstance(mean, torch.Tensor) and isinstance(std, torch.Tensor) \
            and mean.numel() == 3 and std.numel() == 3:
        return mean.detach().flatten().float().cpu(), \
            std.detach().flatten().float().cpu()
    return torch.full((3, ), 127.5), torch.full((3, ), 127.5)


def backbone_features(
        model: torch.nn.Module,
        frames: torch.Tensor,
        layer: str,
        edge_frames: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
    """One layer's features of a clip and the input frames they sit on.

    Args:
        model (nn.Module): A ResNet3dY or a model with one as ``.backbone``.
        frames (Tensor): ``(T, H, W, 3)`` uint8 RGB.
        layer (str): 'res2' ... 'res5', 'res5_1'.
        edge_frames (int): Feature frames of edge replication: the clip is
            extended by ``temporal_stride * edge_frames`` copies of its first
            and of its last frame, and the features of the copies are
            dropped, so that the first and last feature frames see repeated
            frames instead of the convolutions' zero (grey) padding.
            Defaults to 0.

    Returns:
        tuple[Tensor, Tensor]: ``(T', C, h, w)`` float32 features on the CPU
        and the ``(T',)`` input frame of each (``temporal_stride * j``).
    """
    backbone = resolve_backbone(model)
    index = check_layer(backbone, layer)
    temporal, _ = feature_strides(backbone, layer)
    mean, std = input_normalisation(model)
    check_int('edge_frames', edge_frames, 0)
    param = next(backbone.parameters())
    pad = temporal * edge_frames
    clip = torch.cat([frames[:1]] * pad + [frames] + [frames[-1:]] * pad)
    clip = (clip.permute(3, 0, 1, 2).float() - mean.view(3, 1, 1, 1)) \
        / std.view(3, 1, 1, 1)
    clip = clip[None].to(device=param.device, dtype=param.dtype)
    with frozen_eval(backbone), backbone_outputs(backbone, index):
        feat = backbone(clip)
    num = -(-frames.shape[0] // temporal)  # feature frames of the clip
    if feat.shape[2] != num + 2 * edge_frames:
        raise RuntimeError(
            f'{feat.shape[2]} feature frames for {clip.shape[2]} input frames '
            f'at temporal stride {temporal}: the backbone does not reduce '
            'time as its strides say')
    feat = feat[0, :, edge_frames:edge_frames + num]
    return feat.float().cpu().transpose(0, 1).contiguous(), \
        torch.arange(num) * temporal


def _evaluate(clips: Sequence[Mapping], features, name: str,
              feature_stride: int, frame_stride: int, return_predictions: bool,
              **kwargs) -> Dict:
    """Runs ``features(frames) -> (feats, frame_inds)`` (or None: copy) on
    every clip, propagates, scores and summarises."""
    videos: List[Dict] = []
    predictions: List[Dict] = []
    for i in range(len(clips)):
        frames, masks = clip_arrays(clips[i], i)
        if features is None:
            inds = torch.arange(0, frames.shape[0], frame_stride)
            out = copy_first_frame(masks[inds])
        else:
            feats, inds = features(frames)
            out = propagate_video(feats, masks[inds], **kwargs)
        videos.append(out)
        if return_predictions and out['num_objects'] > 0:
            predictions.append(
                dict(
                    video=i,
                    frame_indices=inds,
                    prediction=out['prediction'],
                    gt=out['gt'],
                    object_ids=out['object_ids']))
    result = summarize_videos(videos)
    result.update(
        layer=name, feature_stride=feature_stride, frame_stride=frame_stride)
    if return_predictions:
        result['predictions'] = predictions
    return result


def evaluate_label_propagation(model: torch.nn.Module,
                               clips: Sequence[Mapping],
                               layer: str = 'res3',
                               context: int = 7,
                               radius: Optional[float] = 12,
                               topk: int = 10,
                               temperature: float = 0.05,
                               edge_frames: int = 1,
                               return_predictions: bool = False) -> Dict:
    """J-mean of label propagation with one backbone layer.

    Args:
        model (nn.Module): A :class:`ResNet3dY` or a model with one as
            ``.backbone`` (ConSTCL, CVRL, Recognizer3D); run frozen in eval
            mode (its modes and ``out_indices`` are restored afterwards).
        clips (Sequence[dict]): ``frames`` ``(T, H, W, 3)`` uint8 RGB and
            ``masks`` ``(T, H, W)`` ids; the whole clip is one forward pass.
        layer (str): 'res2', 'res3', 'res4', 'res5' or 'res5_1'. Defaults to
            'res3'.
        context, radius, topk, temperature: See
            :func:`~..functional.label_propagation.propagate_labels`
            (radius in feature cells of ``layer``).
        edge_frames (int): See :func:`backbone_features`. Defaults to 1:
            without it frame 0, the one whose labels are given, is the only
            frame whose stem sees zero padding (on a static clip, a random
            R3D-18 at res2 scores J 0.29 with 0 and 0.68 with 1).
        return_predictions (bool): Also return the per-video segmentations.
            Defaults to False.

    Returns:
        dict: ``j_mean``, ``j_recall`` (over all objects), ``j_per_video``,
        ``num_videos``, ``num_objects``, ``skipped_videos`` (no object in
        frame 0), ``layer``, ``feature_stride`` (pixels per feature cell),
        ``frame_stride`` (input frames per feature frame) and with
        ``return_predictions`` ``predictions``: per video a dict of
        ``video``, ``frame_indices``, ``prediction`` and ``gt`` (``(T', H,
        W)`` in ``0..K``), ``object_ids``.
    """
    check_propagation_args(context, radius, topk, temperature)
    check_int('edge_frames', edge_frames, 0)
    backbone = resolve_backbone(model)
    check_layer(backbone, layer)
    temporal, spatial = feature_strides(backbone, layer)
    return _evaluate(
        clips,
        lambda frames: backbone_features(model, frames, layer, edge_frames),
        layer,
        spatial,
        temporal,
        return_predictions,
        context=context,
        radius=radius,
        topk=topk,
        temperature=temperature)


def pixel_features(frames: torch.Tensor,
                   stride: int = 8,
                   space: str = 'rgb',
                   patch: bool = False) -> torch.Tensor:
    """Raw-pixel features at a feature stride.

    The colour values (RGB in [0, 1], or CIE Lab from OpenCV) minus the
    clip's mean colour, per ``stride x stride`` cell (the frame padded by
    edge replication to a multiple of ``stride``): the cell's mean colour,
    or with ``patch`` its ``3 * stride**2`` values.

    Args:
        frames (Tensor): ``(T, H, W, 3)`` uint8 RGB.
        stride (int): Cell side in pixels. Defaults to 8.
        space (str): 'rgb' or 'lab'. Defaults to 'rgb'.
        patch (bool): Flattened cells instead of their means. Defaults to
            False.

    Returns:
        Tensor: ``(T, C, ceil(H / stride), ceil(W / stride))`` float32.
    """
    check_int('stride', stride, 1)
    if space == 'rgb':
        x = frames.float() / 255.0
    elif space == 'lab':
        x = torch.from_numpy(
            np.stack([
                cv2.cvtColor(f, cv2.COLOR_RGB2LAB)
                for f in frames.numpy().astype(np.float32) / 255.0
            ]))
    else:
        raise ValueError(f"space must be 'rgb' or 'lab', got {space!r}")
    x = x.permute(0, 3, 1, 2)
    x = x - x.mean(dim=(0, 2, 3), keepdim=True)
    height, width = x.shape[2:]
    pad = (0, -width % stride, 0, -height % stride)
    x = F.pad(x, pad, mode='replicate') if any(pad) else x
    if patch:
        return F.pixel_unshuffle(x, stride)
    return F.avg_pool2d(x, stride)


def evaluate_label_propagation_pixels(
        clips: Sequence[Mapping],
        stride: int = 8,
        frame_stride: int = 2,
        space: str = 'rgb',
        patch: bool = False,
        context: int = 7,
        radius: Optional[float] = 12,
        topk: int = 10,
        temperature: float = 0.05,
        return_predictions: bool = False) -> Dict:
    """The raw-pixel control of :func:`evaluate_label_propagation`.

    Args:
        clips (Sequence[dict]): As for :func:`evaluate_label_propagation`.
        stride (int): Feature stride in pixels (match the model's
            ``feature_stride``). Defaults to 8.
        frame_stride (int): Every ``frame_stride``-th frame from frame 0 is
            propagated and scored; 2 scores the frames a ResNet3D-Y's
            features sit on. Defaults to 2.
        space, patch: See :func:`pixel_features`.
        context, radius, topk, temperature, return_predictions: As for
            :func:`evaluate_label_propagation`.

    Returns:
        dict: The keys of :func:`evaluate_label_propagation`; ``layer`` is
        e.g. ``'pixels-rgb'`` (``'pixels-rgb-patch'`` with ``patch``).
    """
    check_propagation_args(context, radius, topk, temperature)
    check_int('frame_stride', frame_stride, 1)
    pixel_features(
        torch.zeros(1, 1, 1, 3, dtype=torch.uint8), stride, space,
        patch)  # argument checks before the first clip

    def features(frames):
        inds = torch.arange(0, frames.shape[0], frame_stride)
        return pixel_features(frames[inds], stride, space, patch), inds

    name = f'pixels-{space}' + ('-patch' if patch else '')
    return _evaluate(
        clips,
        features,
        name,
        stride,
        frame_stride,
        return_predictions,
        context=context,
        radius=radius,
        topk=topk,
        temperature=temperature)


def copy_first_frame(masks: torch.Tensor) -> Dict:
    """The static control on one video: frame 0's objects in every frame.

    Args:
        masks (Tensor): ``(T, H, W)`` integer ids of the scored frames.

    Returns:
        dict: As :func:`~..functional.label_propagation.propagate_video`.
    """
    gt, ids = relabel_objects(masks)
    if len(ids) == 0:
        return dict(num_objects=0, object_ids=ids)
    pred = gt[:1].expand_as(gt).clone()
    out = score_video(pred, gt, len(ids))
    out.update(prediction=pred, gt=gt, object_ids=ids, num_objects=len(ids))
    return out


def evaluate_label_propagation_copy(clips: Sequence[Mapping],
                                    frame_stride: int = 2,
                                    return_predictions: bool = False) -> Dict:
    """J of copying the first frame's masks to every scored frame.

    Args:
        clips (Sequence[dict]): As for :func:`evaluate_label_propagation`.
        frame_stride (int): As for
            :func:`evaluate_label_propagation_pixels`. Defaults to 2.
        return_predictions (bool): Defaults to False.

    Returns:
        dict: The keys of :func:`evaluate_label_propagation`; ``layer`` is
        ``'copy-first-frame'``, ``feature_stride`` 1.
    """
    check_int('frame_stride', frame_stride, 1)
    return _evaluate(clips, None, COPY_NAME, 1, frame_stride,
                     return_predictions)


def overlay_masks(frame: np.ndarray,
                  mask: np.ndarray,
                  scale: int = 1,
                  alpha: float = 0.55) -> np.ndarray:
    """Objects of ``mask`` (``0..K``) filled and outlined in colour on a
    dimmed grey copy of ``frame`` (colours stay readable on any texture).

    Args:
        frame (np.ndarray): ``(H, W, 3)`` uint8 RGB.
        mask (np.ndarray): ``(H, W)`` int labels, 0 = background; object
            ``k`` takes colour ``k - 1`` of the palette (cycled).
        scale (int): Nearest-neighbour upscaling before drawing (crisp
            outlines). Defaults to 1.
        alpha (float): Fill opacity. Defaults to 0.55.

    Returns:
        np.ndarray: ``(H * scale, W * scale, 3)`` uint8.
    """
    size = (frame.shape[1] * scale, frame.shape[0] * scale)
    frame = cv2.resize(frame, size, interpolation=cv2.INTER_NEAREST)
    mask = cv2.resize(
        mask.astype(np.int32), size, interpolation=cv2.INTER_NEAREST)
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
    out = np.repeat(grey[..., None] * 0.6 + 50, 3, axis=2)
    colours = PALETTE[(mask - 1) % len(PALETTE)].astype(np.float32)
    fg = mask > 0
    out[fg] = (1 - alpha) * out[fg] + alpha * colours[fg]
    out = out.round().astype(np.uint8)
    for k in np.unique(mask[fg]):
        contours, _ = cv2.findContours((mask == k).astype(np.uint8),
                                       cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_NONE)
        colour = tuple(int(c) for c in PALETTE[(k - 1) % len(PALETTE)])
        cv2.drawContours(out, contours, -1, colour, 2)
    return out


def draw_label_propagation(frames: torch.Tensor,
                           columns: Mapping[str, torch.Tensor],
                           frame_indices: Sequence[int],
                           scale: int = 2) -> np.ndarray:
    """A grid of overlays: one row per frame, one column per segmentation.

    Args:
        frames (Tensor): ``(T, H, W, 3)`` uint8 RGB of the shown frames.
        columns (Mapping[str, Tensor]): Title (lines split at newlines, cut
            to the column width) -> ``(T, H, W)`` labels in ``0..K`` (the
            same numbering in every column), e.g. the ground truth first.
        frame_indices (Sequence[int]): Input frame number of each row.
        scale (int): Nearest-neighbour upscaling. Defaults to 2.

    Returns:
        np.ndarray: uint8 RGB image.
    """
    frames = np.asarray(frames)
    height, width = frames.shape[1] * scale, frames.shape[2] * scale
    names = list(columns)
    rows = max(len(name.split('\n')) for name in names)
    gap, header, margin = 4, 4 + 13 * rows, 30
    canvas = np.full((header + len(frames) *
                      (height + gap), margin + len(names) * (width + gap), 3),
                     255,
                     dtype=np.uint8)
    for c, name in enumerate(names):
        x0 = margin + c * (width + gap)
        for i, line in enumerate(name.split('\n')):
            # as many characters as fit the column
            while len(line) > 1 and cv2.getTextSize(
                    line, cv2.FONT_HERSHEY_SIMPLEX, 0.35, 1)[0][0] > width:
                line = line[:-1]
            cv2.putText(canvas, line, (x0 + 1, 13 + 13 * i),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1,
                        cv2.LINE_AA)
        labels = np.asarray(columns[name])
        for r, frame in enumerate(frames):
            y0 = header + r * (height + gap)
            canvas[y0:y0 + height,
                   x0:x0 + width] = overlay_masks(frame, labels[r], scale)
    for r, t in enumerate(frame_indices):
        y0 = header + r * (height + gap)
        cv2.putText(canvas, f't{int(t)}', (2, y0 + height // 2 + 4),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
    return canvas


def save_label_propagation_picture(path: str,
                                   clip: Mapping,
                                   models: Mapping[str, torch.nn.Module],
                                   layer: str = 'res3',
                                   pixels: bool = True,
                                   copy: bool = True,
                                   max_frames: int = 8,
                                   scale: int = 2,
                                   **kwargs) -> np.ndarray:
    """Saves a PNG of the propagation on one clip for several models.

    Columns: the ground truth, each model of ``models`` (title with its J),
    then the raw-pixel control (at the stride of the models' ``layer``) and
    the copy-first-frame control; rows: the scored frames (at most
    ``max_frames``, evenly spaced, frame 0 first).

    Args:
        path (str): Output PNG (parent folders are created).
        clip (dict): ``frames`` and ``masks`` as for
            :func:`evaluate_label_propagation`.
        models (Mapping[str, nn.Module]): Name -> model.
        layer (str): Backbone layer. Defaults to 'res3'.
        pixels, copy (bool): Add the controls. Default to True.
        max_frames (int): Rows at most. Defaults to 8.
        scale (int): Upscaling. Defaults to 2.
        **kwargs: ``context``, ``radius``, ``topk``, ``temperature``.

    Returns:
        np.ndarray: The picture (uint8 RGB).
    """
    runs = {
        name:
        evaluate_label_propagation(
            model, [clip], layer, return_predictions=True, **kwargs)
        for name, model in models.items()
    }
    strides = {(r['frame_stride'], r['feature_stride']) for r in runs.values()}
    if len(strides) > 1:
        raise ValueError(f'models of different strides {sorted(strides)} at '
                         f'{layer!r} cannot share the rows of one picture')
    frame_stride, feature_stride = strides.pop() if strides else (2, 8)
    if pixels:
        runs['pixels'] = evaluate_label_propagation_pixels(
            [clip],
            feature_stride,
            frame_stride,
            return_predictions=True,
            **kwargs)
    if copy:
        runs['copy'] = evaluate_label_propagation_copy([clip],
                                                       frame_stride,
                                                       return_predictions=True)
    if not runs:
        raise ValueError('nothing to draw: no model and no control')
    frames, _ = clip_arrays(clip, 0)
    first = next(iter(runs.values()))['predictions'][0]
    inds = first['frame_indices']
    rows = np.unique(
        np.linspace(0,
                    len(inds) - 1, min(max_frames,
                                       len(inds))).round().astype(int))
    columns = {'ground truth': first['gt'][rows].numpy()}
    for name, run in runs.items():
        columns[f"{name}\nJ={run['j_mean']:.2f}"] = \
            run['predictions'][0]['prediction'][rows].numpy()
    image = draw_label_propagation(frames[inds[rows]], columns,
                                   inds[rows].tolist(), scale)
    mmengine.mkdir_or_exist(osp.dirname(osp.abspath(path)))
    if not cv2.imwrite(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise OSError(f'could not write {path}')
    return image
