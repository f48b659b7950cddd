# Copyright (c) constcl_mm authors. All rights reserved.
"""Extracts AVA movies and AVA-Kinetics clips to 30-fps JPEG frame folders.

Layout read by ``MixedAVAKineticsDataset`` (docs/detection_ava.md)::

    <out_root>/<video name>/img_00001.jpg img_00002.jpg ...

Frame ``k`` (1-based) is at ``start + (k - 1) / fps`` seconds of the video.

* AVA (15-minute movies, keyframes 902-1798 s): ``--start 900 --duration
  901``, so that ``img_00001.jpg`` is 900.0 s (mmaction2's layout).
* Kinetics clips of AVA-Kinetics: the whole 10-s clip; the video must be
  named ``<youtube_id>_<start:06d>_<end:06d>.<ext>`` (the Kinetics download
  naming), which becomes the folder name.

Two backends: ``ffmpeg`` (the command mmaction2's scripts run, with the
``fps`` filter) and ``pyav`` (no ffmpeg binary needed; the same frame
choice: output frame ``k`` is the last decoded frame whose timestamp rounds
to a slot ``<= k``, repeated or dropped to keep the rate). ``--dry-run``
prints the ffmpeg commands only.

Usage::

    # AVA: data/ava/videos/<id>.mkv -> data/ava/rawframes/<id>/
    python tools/data/ava/extract_frames.py data/ava/videos \\
        data/ava/rawframes --start 900 --duration 901
    # AVA-Kinetics Kinetics part
    python tools/data/ava/extract_frames.py data/ava_kinetics/videos \\
        data/ava_kinetics/rawframes
"""
import argparse
import math
import os
import os.path as osp
import shlex
import shutil
import subprocess
import sys
from typing import Iterator, List, Optional, Tuple

import numpy as np

VIDEO_EXTS = ('.mp4', '.mkv', '.webm', '.avi', '.mov', '.m4v')


def list_videos(path: str) -> List[str]:
    """The video files to extract: ``path`` itself, or the videos in it."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'{path} is neither a video nor a directory')
    videos = sorted(
        osp.join(path, name) for name in os.listdir(path)
        if name.lower().endswith(VIDEO_EXTS))
    if not videos:
        raise FileNotFoundError(f'no video ({"/".join(VIDEO_EXTS)}) in '
                                f'{path}')
    return videos


def ffmpeg_command(video: str,
                   out_dir: str,
                   fps: int = 30,
                   start: Optional[float] = None,
                   duration: Optional[float] = None,
                   short_side: Optional[int] = None,
                   quality: int = 2,
                   tmpl: str = 'img_%05d.jpg') -> List[str]:
    """The ffmpeg command extracting one video."""
    cmd = ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-y']
    if start is not None:
        cmd += ['-ss', f'{start:g}']
    if duration is not None:
        cmd += ['-t', f'{duration:g}']
    vf = f'fps={fps}'
    if short_side:
        vf += (f",scale='if(gt(iw,ih),-2,{short_side})':"
               f"'if(gt(iw,ih),{short_side},-2)'")
    cmd += [
        '-i', video, '-vf', vf, '-q:v',
        str(quality), '-start_number', '1',
        osp.join(out_dir, tmpl)
    ]
    return cmd


def round_near(x: float) -> int:
    """Nearest integer, halves away from zero (ffmpeg's AV_ROUND_NEAR_INF),
    tolerant to float noise."""
    return int(math.copysign(math.floor(abs(x) + 0.5 + 1e-9), x))


def resample(frames: Iterator[Tuple[float, np.ndarray]], fps: int,
             start: float, duration: Optional[float]) -> Iterator[np.ndarray]:
    """Constant-rate frames from ``(time, frame)`` pairs in time order.

    Output slot ``k`` (time ``start + k / fps``) holds the last input frame
    whose time rounds to a slot ``<= k`` (ffmpeg's ``fps`` filter: nearest
    slot, halves away from zero); the first frame also fills earlier slots.
    """
    end_slot = None if duration is None else round_near(duration * fps)
    slot = 0
    last = None
    for time, frame in frames:
        frame_slot = round_near((time - start) * fps)
        if frame_slot < 0:
            last = frame
            continue
        if last is None:
            last = frame
        while slot < frame_slot and (end_slot is None or slot < end_slot):
            yield last
            slot += 1
        last = frame
        if end_slot is not None and slot >= end_slot:
            return
    if last is not None and (end_slot is None or slot < end_slot):
        yield last


def pyav_frames(
        video: str, start: float,
        duration: Optional[float]) -> Iterator[Tuple[float, np.ndarray]]:
    """Decoded ``(seconds, RGB frame)`` pairs from ``start`` on."""
    import av
    with av.open(video) as container:
        stream = container.streams.video[0]
        stream.thread_type = 'AUTO'
        if start > 0:
            container.seek(
                int(start / stream.time_base),
                stream=stream,
                any_frame=False,
                backward=True)
        end = None if duration is None else start + duration
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            time = float(frame.pts * stream.time_base)
            if end is not None and time >= end + 1.0:
                break
            yield time, frame.to_ndarray(format='rgb24')


def write_jpeg(path: str, rgb: np.ndarray, short_side: Optional[int],
               quality: int) -> None:
    import cv2
    if short_side:
        h, w = rgb.shape[:2]
        scale = short_side / min(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    # -q:v 2 in ffmpeg is roughly JPEG quality 95
    ok = cv2.imwrite(path, rgb[..., ::-1],
                     [cv2.IMWRITE_JPEG_QUALITY, 97 - 2 * quality])
    if not ok:
        raise OSError(f'cannot write {path}')


def extract_pyav(video: str,
                 out_dir: str,
                 fps: int = 30,
                 start: Optional[float] = None,
                 duration: Optional[float] = None,
                 short_side: Optional[int] = None,
                 quality: int = 2,
                 tmpl: str = 'img_{:05d}.jpg') -> int:
    """Extracts one video with PyAV; returns the number of frames."""
    start = start or 0.0
    count = 0
    for count, frame in enumerate(
            resample(
                pyav_frames(video, start, duration), fps, start, duration), 1):
        write_jpeg(
            osp.join(out_dir, tmpl.format(count)), frame, short_side, quality)
    if count == 0:
        raise RuntimeError(f'no frame decoded from {video} after {start} s')
    return count


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract AVA / AVA-Kinetics videos to frame folders')
    parser.add_argument('videos', help='a video file or a directory of them')
    parser.add_argument('out_root', help='frame folders are created here')
    parser.add_argument('--fps', type=int, default=30)
    parser.add_argument(
        '--start',
        type=float,
        default=None,
        help='first second (AVA: 900); frame 1 is at this time')
    parser.add_argument(
        '--duration',
        type=float,
        default=None,
        help='seconds to extract (AVA: 901)')
    parser.add_argument(
        '--short-side',
        type=int,
        default=None,
        help='resize so that the short side has this length (default: keep)')
    parser.add_argument(
        '--quality',
        type=int,
        default=2,
        help='JPEG quality, ffmpeg -q:v scale (2 = high)')
    parser.add_argument(
        '--backend',
        choices=['auto', 'ffmpeg', 'pyav'],
        default='auto',
        help='auto: ffmpeg if on PATH, else PyAV')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='re-extract folders that already hold frames')
    parser.add_argument(
        '--dry-run', action='store_true', help='print ffmpeg commands only')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    videos = list_videos(args.videos)
    backend = args.backend
    if backend == 'auto':
        backend = 'ffmpeg' if shutil.which('ffmpeg') else 'pyav'
    if args.dry_run:
        for video in videos:
            out_dir = osp.join(args.out_root,
                               osp.splitext(osp.basename(video))[0])
            print(
                shlex.join(
                    ffmpeg_command(video, out_dir, args.fps, args.start,
                                   args.duration, args.short_side,
                                   args.quality)))
        return 0
    from mmengine.utils import ProgressBar
    failed = []
    progress = ProgressBar(len(videos))
    for video in videos:
        out_dir = osp.join(args.out_root, osp.splitext(osp.basename(video))[0])
        if osp.isdir(out_dir) and os.listdir(out_dir) and \
                not args.overwrite:
            progress.update()
            continue
        os.makedirs(out_dir, exist_ok=True)
        try:
            if backend == 'ffmpeg':
                subprocess.run(
                    ffmpeg_command(video, out_dir, args.fps, args.start,
                                   args.duration, args.short_side,
                                   args.quality),
                    check=True)
            else:
                extract_pyav(video, out_dir, args.fps, args.start,
                             args.duration, args.short_side, args.quality)
        except Exception as e:  # keep going, report at the end
            failed.append(f'{video}: {e}')
        progress.update()
    print(f'\n{len(videos) - len(failed)} of {len(videos)} videos '
          f'extracted to {args.out_root} ({backend}, {args.fps} fps)')
    if failed:
        print(
            f'{len(failed)} failed:\n  ' + '\n  '.join(failed),
            file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
