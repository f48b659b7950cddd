# Copyright (c) constcl_mm authors. All rights reserved.
"""Writes videos of a :class:`SyntheticWorld` in the layouts of real data.

So that the real readers, datasets and evaluations run on the synthetic
world unchanged (``tools/data/synthetic/export_synthetic.py``):

* ``videos``: ``<out>/videos/<name>.mp4`` (PyAV, H.264 ``yuv420p`` at a high
  quality, or MPEG-4 part 2) and the recognition list ``<out>/videos.txt``,
  one ``<name>.mp4 <label>`` a line (mmaction2's ``VideoDataset`` with
  ``data_prefix=dict(video='<out>/videos')``); the label is the hero's
  texture class.
* ``otb``: one OTB-2015 sequence per video with the hero as the target,
  ``<out>/otb/<name>/img/0001.jpg ...`` and ``groundtruth_rect.txt`` (OTB's
  1-based ``x,y,w,h``), plus the info file ``<out>/otb/otb_infos.txt`` that
  :class:`OTB100Dataset` reads (``ann_file='otb_infos.txt'``,
  ``data_root='<out>/otb'``). Frame 1 of a sequence is the first video frame
  where at least ``min_visible`` of the hero is visible; ``frame_interval``
  keeps every k-th frame from there (default 2, the pretraining clips'
  interval). A video whose hero never reaches it, or
  whose sequence would be shorter than ``min_frames``, is skipped and
  listed (with the reason) in the summary.

* ``got10k``: SiamFC training sequences for :class:`GOT10kPairDataset`,
  ``<out>/got10k/train/<name>/00000001.jpg ...``, ``groundtruth.txt``
  (GOT-10k's 0-based ``x,y,w,h``), ``absence.label`` (1 where less than
  ``min_visible / 2`` of the hero is visible) and ``train/list.txt``;
  every ``frame_interval``-th frame of the whole video.

``<out>/export.json`` records the world, the range, every video's label and
each sequence's first video frame and interval (and every skipped video).
"""
import json
import os
import os.path as osp
from fractions import Fraction
from typing import Dict, List, Optional, Sequence, Union

import cv2
import numpy as np

from ..utils.atomic_io import atomic_write, atomic_write_text
from .synthetic_world import SyntheticVideo, SyntheticWorld, build_world

__all__ = [
    'LAYOUTS', 'write_mp4', 'hero_sequence', 'export_world', 'video_name'
]

LAYOUTS = ('videos', 'otb', 'got10k')
#: Header of the OTB info file (the format of tools/data/otb).
OTB_INFO_HEADER = ('# synthetic OTB targets: name,video_path,ann_path,'
                   'start_frame_id,end_frame_id,framename_template')
OTB_INFO_FILE = 'otb_infos.txt'
VIDEO_LIST_FILE = 'videos.txt'


def video_name(seed: int, index: int) -> str:
    """File / sequence name of video ``index`` of world ``seed``."""
    return f's{seed}_{index:06d}'


def write_mp4(path: str,
              frames: np.ndarray,
              fps: float = 25.,
              codec: str = 'libx264',
              quality: int = 10) -> None:
    """Encodes RGB frames as an mp4 (``yuv420p``), atomically.

    Args:
        path (str): Output ``.mp4``.
        frames (np.ndarray): ``uint8`` ``(T, H, W, 3)`` RGB; H and W even.
        fps (float): Frame rate. Defaults to 25.
        codec (str): 'libx264' (H.264) or 'mpeg4' (MPEG-4 part 2).
        quality (int): libx264's CRF (0 lossless .. 51; 10 is visually
            lossless) or mpeg4's qscale (1 best .. 31). Defaults to 10.
    """
    import av
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError('frames must be uint8 (T, H, W, 3), got '
                         f'{frames.dtype} {frames.shape}')
    height, width = frames.shape[1:3]
    if height % 2 or width % 2:
        raise ValueError(f'yuv420p needs an even frame size, got '
                         f'{height}x{width}')
    if codec == 'libx264':
        options = dict(crf=str(quality), preset='medium')
    elif codec == 'mpeg4':
        options = dict(qscale=str(quality))
    else:
        raise ValueError(f"codec must be 'libx264' or 'mpeg4', got {codec!r}")

    def write(tmp: str) -> None:
        with av.open(tmp, mode='w', format='mp4') as container:
            stream = container.add_stream(
                codec, rate=Fraction(fps).limit_denominator(1001))
            stream.width, stream.height = width, height
            stream.pix_fmt = 'yuv420p'
            stream.options = options
            if codec == 'mpeg4':
                stream.codec_context.qmin = stream.codec_context.qmax = \
                    quality
            for frame in frames:
                packet = stream.encode(
                    av.VideoFrame.from_ndarray(frame, format='rgb24'))
                container.mux(packet)
            container.mux(stream.encode())

    atomic_write(path, write)


def hero_sequence(visibility: np.ndarray,
                  hero_index: int,
                  min_visible: float = 0.5,
                  frame_interval: int = 1,
                  min_frames: int = 2,
                  max_frames: Optional[int] = None) -> Union[List[int], str]:
    """Video frames of the hero's OTB sequence, or why there is none.

    Args:
        visibility (np.ndarray): ``(T, M)`` visible fractions.
        hero_index (int): The hero's column.
        min_visible (float): Visible fraction needed on frame 1.
        frame_interval (int): Keep every k-th frame from frame 1.
        min_frames (int): Shortest sequence kept.
        max_frames (int, optional): Longest sequence (the rest is cut).

    Returns:
        list[int] | str: The 0-based video frames of the sequence, or the
        reason for skipping the video.
    """
    if frame_interval < 1:
        raise ValueError(f'frame_interval must be >= 1, got {frame_interval}')
    visible = np.flatnonzero(visibility[:, hero_index] >= min_visible)
    if visible.size == 0:
        return (f'hero never {min_visible:.0%} visible (max '
                f'{float(visibility[:, hero_index].max()):.2f})')
    frames = list(range(int(visible[0]), len(visibility), frame_interval))
    if max_frames is not None:
        frames = frames[:max_frames]
    if len(frames) < min_frames:
        return (f'hero first {min_visible:.0%} visible at frame '
                f'{int(visible[0])}: {len(frames)} frames < {min_frames}')
    return frames


def otb_lines(boxes: np.ndarray) -> str:
    """``[x1, y1, x2, y2]`` (0-based continuous pixels) -> OTB ``x,y,w,h``
    lines (1-based: ``x = x1 + 1``), the inverse of
    :class:`OTB100Dataset`'s conversion."""
    x1, y1, x2, y2 = (boxes[:, i].astype(np.float64) for i in range(4))
    rows = np.stack([x1 + 1, y1 + 1, x2 - x1, y2 - y1], axis=1)
    return ''.join(','.join(f'{v:.3f}' for v in row) + '\n' for row in rows)


def _write_jpegs(img_dir: str, frames: np.ndarray, template: str,
                 jpeg_quality: int) -> None:
    os.makedirs(img_dir, exist_ok=True)
    for k, frame in enumerate(frames, 1):
        path = osp.join(img_dir, template % k)
        ok, data = cv2.imencode('.jpg', cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
                                [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        if not ok:
            raise RuntimeError(f'cannot encode {path}')
        with open(path, 'wb') as f:
            f.write(data.tobytes())


def _write_otb_sequence(root: str, name: str, frames: np.ndarray,
                        boxes: np.ndarray, jpeg_quality: int) -> None:
    _write_jpegs(osp.join(root, name, 'img'), frames, '%04d.jpg', jpeg_quality)
    atomic_write_text(
        osp.join(root, name, 'groundtruth_rect.txt'), otb_lines(boxes))


def _write_got10k_sequence(root: str, name: str, frames: np.ndarray,
                           boxes: np.ndarray, absent: np.ndarray,
                           jpeg_quality: int) -> None:
    seq_dir = osp.join(root, name)
    _write_jpegs(seq_dir, frames, '%08d.jpg', jpeg_quality)
    x1, y1, x2, y2 = (boxes[:, i].astype(np.float64) for i in range(4))
    rows = np.stack([x1, y1, x2 - x1, y2 - y1], axis=1)
    atomic_write_text(
        osp.join(seq_dir, 'groundtruth.txt'),
        ''.join(','.join(f'{v:.3f}' for v in row) + '\n' for row in rows))
    atomic_write_text(
        osp.join(seq_dir, 'absence.label'),
        ''.join(f'{int(a)}\n' for a in absent))


def export_world(world: Union[SyntheticWorld, Dict, None],
                 out_dir: str,
                 first_index: int = 0,
                 num_videos: int = 1,
                 layouts: Sequence[str] = ('videos', 'otb'),
                 codec: str = 'libx264',
                 quality: int = 10,
                 jpeg_quality: int = 95,
                 min_visible: float = 0.5,
                 frame_interval: int = 2,
                 min_frames: int = 16,
                 max_frames: Optional[int] = None,
                 progress: bool = True) -> Dict:
    """Exports videos ``first_index .. first_index + num_videos - 1``.

    Args:
        world (SyntheticWorld | dict | None): The world, or its settings
            (None: the defaults).
        out_dir (str): Output folder (created).
        first_index (int): First video index. Defaults to 0.
        num_videos (int): How many videos. Defaults to 1.
        layouts (Sequence[str]): Subset of :data:`LAYOUTS`.
        codec (str), quality (int): See :func:`write_mp4`.
        jpeg_quality (int): OTB frames' JPEG quality. Defaults to 95.
        min_visible (float): Hero visibility needed on an OTB sequence's
            first frame. Defaults to 0.5.
        frame_interval (int): OTB frame step (1: every frame). Defaults to
            2, the frame interval of the pretraining clips (16x2), so that
            the tracker's 5-frame stacks are sampled as in pretraining.
        min_frames (int): Shortest OTB sequence. Defaults to 16.
        max_frames (int, optional): Longest OTB sequence.
        progress (bool): Show an mmengine ProgressBar. Defaults to True.

    Returns:
        dict: The summary also written to ``<out_dir>/export.json``: ``world``,
        ``first_index``, ``num_videos``, ``classes``, ``videos`` (name,
        index, label), and for the ``otb`` layout ``sequences`` (name, index,
        frames) and ``skipped`` (name, reason); the paths ``video_list``,
        ``video_dir``, ``otb_root``, ``otb_info`` of what was written.
    """
    if not isinstance(world, SyntheticWorld):
        world = build_world(world)
    layouts = tuple(layouts)
    unknown = set(layouts) - set(LAYOUTS)
    if not layouts or unknown:
        raise ValueError(f'layouts must be a non-empty subset of {LAYOUTS}, '
                         f'got {layouts}')
    if num_videos < 1 or first_index < 0:
        raise ValueError(f'need num_videos >= 1 and first_index >= 0, got '
                         f'{num_videos}, {first_index}')
    os.makedirs(out_dir, exist_ok=True)
    video_dir = osp.join(out_dir, 'videos')
    otb_root = osp.join(out_dir, 'otb')
    got10k_dir = osp.join(out_dir, 'got10k', 'train')
    summary: Dict = dict(
        world=world.config(),
        first_index=first_index,
        num_videos=num_videos,
        classes=list(world.classes),
        videos=[])
    if 'videos' in layouts:
        os.makedirs(video_dir, exist_ok=True)
        summary.update(
            video_dir=video_dir, video_list=osp.join(out_dir, VIDEO_LIST_FILE))
    if 'otb' in layouts:
        os.makedirs(otb_root, exist_ok=True)
        summary.update(
            otb_root=otb_root,
            otb_info=osp.join(otb_root, OTB_INFO_FILE),
            sequences=[],
            skipped=[],
            otb_settings=dict(
                min_visible=min_visible,
                frame_interval=frame_interval,
                min_frames=min_frames,
                max_frames=max_frames))
    if 'got10k' in layouts:
        os.makedirs(got10k_dir, exist_ok=True)
        summary.update(
            got10k_root=osp.dirname(got10k_dir),
            got10k_list=osp.join(got10k_dir, 'list.txt'))
    bar = None
    if progress:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(num_videos)
    for index in range(first_index, first_index + num_videos):
        _export_video(
            world.video(index), video_name(world.seed,
                                           index), index, layouts, summary,
            video_dir, otb_root, got10k_dir, codec, quality, jpeg_quality,
            min_visible, frame_interval, min_frames, max_frames, world.fps)
        if bar is not None:
            bar.update()
    if bar is not None:
        print()
    if 'videos' in layouts:
        atomic_write_text(
            summary['video_list'], ''.join(f"{v['name']}.mp4 {v['label']}\n"
                                           for v in summary['videos']))
    if 'otb' in layouts:
        rows = [OTB_INFO_HEADER] + [
            f"{s['name']},{s['name']}/img,{s['name']}/groundtruth_rect.txt,"
            f"1,{len(s['frames'])},%04d.jpg" for s in summary['sequences']
        ]
        atomic_write_text(summary['otb_info'], '\n'.join(rows) + '\n')
    if 'got10k' in layouts:
        atomic_write_text(summary['got10k_list'],
                          ''.join(v['name'] + '\n' for v in summary['videos']))
    atomic_write_text(
        osp.join(out_dir, 'export.json'),
        json.dumps(summary, indent=1) + '\n')
    return summary


def _export_video(video: SyntheticVideo, name: str, index: int,
                  layouts: Sequence[str], summary: Dict, video_dir: str,
                  otb_root: str, got10k_dir: str, codec: str, quality: int,
                  jpeg_quality: int, min_visible: float, frame_interval: int,
                  min_frames: int, max_frames: Optional[int],
                  fps: float) -> None:
    frames, boxes, visibility = video.render(range(video.num_frames))
    summary['videos'].append(dict(name=name, index=index, label=video.label))
    if 'videos' in layouts:
        write_mp4(
            osp.join(video_dir, name + '.mp4'), frames, fps, codec, quality)
    if 'got10k' in layouts:
        keep = list(range(0, video.num_frames, frame_interval))
        _write_got10k_sequence(
            got10k_dir, name, frames[keep], boxes[keep, video.hero_index],
            visibility[keep, video.hero_index] < min_visible / 2, jpeg_quality)
    if 'otb' in layouts:
        seq = hero_sequence(visibility, video.hero_index, min_visible,
                            frame_interval, min_frames, max_frames)
        if isinstance(seq, str):
            summary['skipped'].append(dict(name=name, reason=seq))
            return
        _write_otb_sequence(otb_root, name, frames[seq],
                            boxes[seq, video.hero_index], jpeg_quality)
        summary['sequences'].append(dict(name=name, index=index, frames=seq))
