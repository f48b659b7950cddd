# Copyright (c) constcl_mm authors. All rights reserved.
"""Frame readers that decode a video (or a rawframe folder) once per sample.

A reader is opened once per sample, reports how many frames the video has,
and then returns any set of frames in **one** call (:meth:`read`), so that the
two clips of a ConST-CL sample share a single decoding pass. Every failure of
the underlying library is turned into a :class:`VideoDecodeError` that names
the file and says what kind of failure it was; the datasets count those and
draw another sample.

Backends:

* ``'decord'`` (default): random access with ``VideoReader.get_batch``. The
  frame count comes from decord's packet index, so a file whose tail is
  missing reports the frames it really has.
* ``'pyav'``: one sequential decoding pass from the first frame up to the
  last requested one (exact frame positions, no seeking).
* ``'opencv'``: one sequential pass with ``grab`` / ``retrieve`` (frames that
  are not requested are never converted to RGB). Local files only.
* rawframe folders (:class:`RawFrameReader`): each requested image file is
  read and decoded once.
"""
import io
import math
import os
import os.path as osp
import re
import string
from abc import ABCMeta, abstractmethod
from typing import Optional, Union

import cv2
import numpy as np
from mmengine import fileio

__all__ = [
    'VideoDecodeError', 'BaseFrameReader', 'DecordReader', 'PyAVReader',
    'OpenCVReader', 'RawFrameReader', 'open_video', 'VIDEO_BACKENDS'
]

#: FFmpeg log level of decord (its C library prints every concealed
#: macroblock error, "[h264 @ ...] error while decoding MB ...", to stderr,
#: hundreds of lines per damaged file). Failures that stop decoding still
#: raise :class:`VideoDecodeError`, named and counted; set the environment
#: variable to e.g. ``warning`` or ``error`` to see the FFmpeg lines again.
DECODER_LOG_ENV = 'CONSTCL_DECODER_LOG'
_decord_log_set = False


def _quiet_decord(decord) -> None:
    """Sets decord's FFmpeg log level once per process (quiet by default)."""
    global _decord_log_set
    if _decord_log_set:
        return
    level = os.environ.get(DECODER_LOG_ENV, 'quiet').upper()
    if not hasattr(decord.logging, level):
        raise ValueError(
            f'{DECODER_LOG_ENV}={level.lower()!r}: expected one of quiet, '
            'panic, fatal, error, warning, info, verbose, debug')
    decord.logging.set_level(getattr(decord.logging, level))
    _decord_log_set = True


#: Magic numbers of still-image formats that some video libraries (PyAV,
#: OpenCV) would otherwise happily open as a one-frame "video".
_IMAGE_SIGNATURES = (
    (b'\xff\xd8\xff', 'JPEG'),
    (b'\x89PNG\r\n\x1a\n', 'PNG'),
    (b'II*\x00', 'TIFF'),
    (b'MM\x00*', 'TIFF'),
    (b'BM', 'BMP'),
)


class VideoDecodeError(RuntimeError):
    """A video (or rawframe folder) could not be read.

    Args:
        filename (str): The file (or folder) that failed.
        kind (str): One of :attr:`KINDS`:

            * ``'missing'``: the file or folder does not exist;
            * ``'empty'``: the file has 0 bytes;
            * ``'not_video'``: it is a still image or has no video stream;
            * ``'unreadable'``: the backend cannot open it (corrupt data, a
              truncated container whose index is lost, or not a video);
            * ``'no_frames'``: it opens but holds no frames;
            * ``'truncated'``: the stream ends (or frame files are missing)
              before the frames its header announces;
            * ``'decode_error'``: the requested frames cannot be decoded;
            * ``'too_short'``: it has fewer frames than the sampler's
              ``min_frames`` (:class:`CVRLSampleFrames`).
        reason (str): A short human-readable explanation.
    """

    KINDS = ('missing', 'empty', 'not_video', 'unreadable', 'no_frames',
             'truncated', 'decode_error', 'too_short')

    def __init__(self, filename: str, kind: str, reason: str) -> None:
        if kind not in self.KINDS:
            raise ValueError(f'unknown failure kind {kind!r}; expected one '
                             f'of {self.KINDS}')
        super().__init__(f'{filename}: {kind}: {reason}')
        self.filename = filename
        self.kind = kind
        self.reason = reason

    def __reduce__(self):
        # Keeps the exception picklable across dataloader worker processes.
        return (self.__class__, (self.filename, self.kind, self.reason))


def _short(err: BaseException, limit: int = 200) -> str:
    """First line of an exception message, prefixed with its type."""
    text = str(err).strip().splitlines()
    text = text[0] if text else ''
    if len(text) > limit:
        text = text[:limit] + '...'
    return f'{type(err).__name__}: {text}'


def _sniff_still_image(header: bytes) -> Optional[str]:
    """Returns the image format name if ``header`` starts a still image."""
    for magic, name in _IMAGE_SIGNATURES:
        if header.startswith(magic):
            return name
    if header[:4] == b'RIFF' and header[8:12] == b'WEBP':
        return 'WebP'
    return None


def _load_source(filename: str, backend_args: Optional[dict],
                 need_path: bool) -> Union[str, io.BytesIO]:
    """Checks that ``filename`` exists, is non-empty and is not an image.

    Args:
        filename (str): Path or URI of the video.
        backend_args (dict, optional): mmengine file backend arguments. With
            ``None`` the file is opened from the local disk by its path.
        need_path (bool): The backend needs a local path (OpenCV).

    Returns:
        str | io.BytesIO: What the backend should open.
    """
    if backend_args is None:
        if not osp.exists(filename):
            raise VideoDecodeError(filename, 'missing', 'no such file')
        if osp.isdir(filename):
            raise VideoDecodeError(filename, 'not_video', 'it is a folder')
        if osp.getsize(filename) == 0:
            raise VideoDecodeError(filename, 'empty', 'the file has 0 bytes')
        with open(filename, 'rb') as f:
            header = f.read(16)
        source = filename
    else:
        if need_path:
            raise ValueError(
                'the OpenCV video backend reads local files only; use the '
                f'decord or pyav backend for backend_args={backend_args}')
        try:
            data = fileio.get(filename, backend_args=backend_args)
        except FileNotFoundError as e:
            raise VideoDecodeError(filename, 'missing', _short(e)) from e
        if len(data) == 0:
            raise VideoDecodeError(filename, 'empty', 'the file has 0 bytes')
        header = data[:16]
        source = io.BytesIO(data)
    image = _sniff_still_image(header)
    if image is not None:
        raise VideoDecodeError(filename, 'not_video',
                               f'it is a {image} still image')
    return source


class BaseFrameReader(metaclass=ABCMeta):
    """Decodes any set of frames of one video in a single call.

    Subclasses set :attr:`num_frames` (> 0) and :attr:`fps` when opening and
    implement :meth:`_read`.

    Args:
        filename (str): The video (or rawframe folder), used in messages.
        max_missing_frames (int): For sequential backends, how many frames
            the stream may fall short of the announced count (container
            headers are often off by a frame or two) before the file is
            reported as truncated; missing tail frames are replaced by the
            last decoded requested frame. Defaults to 3.
    """

    def __init__(self, filename: str, max_missing_frames: int = 3) -> None:
        self.filename = filename
        self.max_missing_frames = max_missing_frames
        self.num_frames = 0
        self.fps = 0.0

    def read(self, inds: np.ndarray) -> np.ndarray:
        """Decodes the frames at ``inds`` in one pass.

        Args:
            inds (np.ndarray): Strictly increasing 0-based frame positions,
                shape ``(K,)``, each in ``[0, num_frames)``.

        Returns:
            np.ndarray: RGB frames, ``uint8`` of shape ``(K, H, W, 3)``.
        """
        inds = np.asarray(inds, dtype=np.int64)
        if inds.ndim != 1 or inds.size == 0:
            raise ValueError(f'frame indices must be a non-empty 1-D array, '
                             f'got shape {inds.shape}')
        if np.any(np.diff(inds) <= 0):
            raise ValueError('frame indices must be strictly increasing')
        if inds[0] < 0 or inds[-1] >= self.num_frames:
            raise ValueError(
                f'frame indices {inds[0]}..{inds[-1]} are outside '
                f'[0, {self.num_frames}) of {self.filename}')
        frames = self._read(inds)
        if (frames.dtype != np.uint8 or frames.ndim != 4
                or frames.shape[0] != inds.size or frames.shape[-1] != 3):
            raise VideoDecodeError(
                self.filename, 'decode_error',
                f'expected {inds.size} RGB uint8 frames, got an array of '
                f'shape {frames.shape} and dtype {frames.dtype}')
        return frames

    @abstractmethod
    def _read(self, inds: np.ndarray) -> np.ndarray:
        """Backend decoding; ``inds`` is validated and sorted."""

    def close(self) -> None:
        """Releases the backend resources (idempotent)."""

    def _fill_shortfall(self, frames: list, inds: np.ndarray,
                        decoded: int) -> list:
        """Handles a stream that ended before the last requested frame.

        Args:
            frames (list): The requested frames decoded so far.
            inds (np.ndarray): All requested positions.
            decoded (int): How many frames the stream really had.

        Returns:
            list: ``frames`` padded with its last element.
        """
        if decoded == 0:
            raise VideoDecodeError(self.filename, 'decode_error',
                                   'no frame could be decoded')
        short = self.num_frames - decoded
        if short > self.max_missing_frames or not frames:
            raise VideoDecodeError(
                self.filename, 'truncated',
                f'the stream ends after {decoded} frames but '
                f'{self.num_frames} were announced')
        return frames + [frames[-1]] * (inds.size - len(frames))

    def __enter__(self) -> 'BaseFrameReader':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a destructor
            pass


class DecordReader(BaseFrameReader):
    """Reads a video with decord (random access, one ``get_batch`` call).

    Args:
        filename (str): Path or URI of the video.
        num_threads (int): Decoding threads. Defaults to 1.
        backend_args (dict, optional): mmengine file backend arguments; with
            ``None`` the local file is opened by its path.
        **kwargs: Passed to :class:`BaseFrameReader`.
    """

    def __init__(self,
                 filename: str,
                 num_threads: int = 1,
                 backend_args: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(filename, **kwargs)
        try:
            import decord
        except ImportError as e:  # pragma: no cover - decord is a dependency
            raise ImportError('the decord video backend needs `pip install '
                              'decord`') from e
        _quiet_decord(decord)
        self._vr = None
        source = _load_source(filename, backend_args, need_path=False)
        try:
            self._vr = decord.VideoReader(source, num_threads=num_threads)
            self.num_frames = len(self._vr)
            self.fps = float(self._vr.get_avg_fps())
        except Exception as e:  # noqa: BLE001 - any decord failure
            raise VideoDecodeError(filename, 'unreadable',
                                   f'decord cannot open it ({_short(e)})')
        if self.num_frames <= 0:
            raise VideoDecodeError(filename, 'no_frames',
                                   'decord finds no frame in it')

    def _read(self, inds: np.ndarray) -> np.ndarray:
        try:
            batch = self._vr.get_batch(inds.tolist())
        except Exception as e:  # noqa: BLE001 - any decord failure
            raise VideoDecodeError(
                self.filename, 'decode_error',
                f'decord cannot decode frames {inds[0]}..{inds[-1]} '
                f'({_short(e)})')
        if hasattr(batch, 'to_dlpack'):
            # Zero-copy hand-over of decord's buffer (``asnumpy`` would copy
            # every full-resolution frame once more).
            try:
                from torch.utils.dlpack import from_dlpack
                return from_dlpack(batch.to_dlpack()).numpy()
            except Exception:  # noqa: BLE001 - fall back to a copy
                return batch.asnumpy()
        if hasattr(batch, 'numpy'):  # a decord bridge set to torch / tf
            return batch.numpy()
        return np.asarray(batch)

    def close(self) -> None:
        self._vr = None


class PyAVReader(BaseFrameReader):
    """Reads a video with PyAV in one sequential pass.

    The frame count is the stream header's; when the header has none it is
    estimated from the duration and frame rate, and failing that counted by
    demuxing the packets.

    Args:
        filename (str): Path or URI of the video.
        backend_args (dict, optional): mmengine file backend arguments.
        num_threads (int): FFmpeg decoding threads; ``0`` lets FFmpeg decide.
            Defaults to 1.
        **kwargs: Passed to :class:`BaseFrameReader`.
    """

    def __init__(self,
                 filename: str,
                 backend_args: Optional[dict] = None,
                 num_threads: int = 1,
                 **kwargs) -> None:
        super().__init__(filename, **kwargs)
        import av
        self._av = av
        self._container = None
        self._source = _load_source(filename, backend_args, need_path=False)
        self._num_threads = num_threads
        self._open()
        stream = self._container.streams.video[0]
        count = int(stream.frames or 0)
        rate = stream.average_rate or stream.guessed_rate
        self.fps = float(rate) if rate else 0.0
        if count <= 0 and self.fps > 0:
            if stream.duration and stream.time_base:
                seconds = float(stream.duration * stream.time_base)
            else:
                seconds = float(self._container.duration or 0) / av.time_base
            count = int(round(seconds * self.fps))
            # An estimate: allow a wider shortfall before calling it
            # truncated.
            self.max_missing_frames = max(self.max_missing_frames,
                                          int(math.ceil(0.05 * count)))
        if count <= 0:
            count = self._count_packets()
        if count <= 0:
            raise VideoDecodeError(filename, 'no_frames',
                                   'PyAV finds no frame in it')
        self.num_frames = count

    def _open(self) -> None:
        if isinstance(self._source, io.BytesIO):
            self._source.seek(0)
        try:
            self._container = self._av.open(self._source)
        except Exception as e:  # noqa: BLE001 - any FFmpeg failure
            raise VideoDecodeError(self.filename, 'unreadable',
                                   f'PyAV cannot open it ({_short(e)})')
        fmt = self._container.format.name
        if not self._container.streams.video:
            self.close()
            raise VideoDecodeError(self.filename, 'not_video',
                                   f'no video stream in this {fmt} file')
        if fmt == 'image2' or fmt.endswith('_pipe'):
            self.close()
            raise VideoDecodeError(self.filename, 'not_video',
                                   f'it is a still image ({fmt})')
        stream = self._container.streams.video[0]
        stream.thread_count = self._num_threads

    def _count_packets(self) -> int:
        try:
            count = sum(1 for p in self._container.demux(video=0)
                        if p.size > 0)
        except Exception as e:  # noqa: BLE001
            raise VideoDecodeError(self.filename, 'unreadable',
                                   f'PyAV cannot demux it ({_short(e)})')
        self.close()
        self._open()
        return count

    def _read(self, inds: np.ndarray) -> np.ndarray:
        frames, j, decoded = [], 0, 0
        last = int(inds[-1])
        try:
            for frame in self._container.decode(video=0):
                if decoded == inds[j]:
                    frames.append(frame.to_ndarray(format='rgb24'))
                    j += 1
                decoded += 1
                if decoded > last:
                    break
        except Exception as e:  # noqa: BLE001 - any FFmpeg failure
            raise VideoDecodeError(
                self.filename, 'decode_error',
                f'PyAV fails at frame {decoded} ({_short(e)})')
        if j < inds.size:
            frames = self._fill_shortfall(frames, inds, decoded)
        return np.stack(frames)

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None


class OpenCVReader(BaseFrameReader):
    """Reads a local video with OpenCV in one sequential pass.

    Frames that are not requested are only grabbed, never converted.

    Args:
        filename (str): Local path of the video.
        backend_args (dict, optional): Must be ``None`` (local files only).
        **kwargs: Passed to :class:`BaseFrameReader`.
    """

    def __init__(self,
                 filename: str,
                 backend_args: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(filename, **kwargs)
        self._cap = None
        _load_source(filename, backend_args, need_path=True)
        self._open()
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if count <= 0:
            count = 0
            while self._cap.grab():
                count += 1
            self.close()
            self._open()
        if count <= 0:
            raise VideoDecodeError(filename, 'no_frames',
                                   'OpenCV finds no frame in it')
        self.num_frames = count

    def _open(self) -> None:
        cap = cv2.VideoCapture(self.filename)
        if not cap.isOpened():
            cap.release()
            raise VideoDecodeError(self.filename, 'unreadable',
                                   'OpenCV cannot open it')
        self._cap = cap

    def _read(self, inds: np.ndarray) -> np.ndarray:
        frames, j, decoded = [], 0, 0
        while j < inds.size:
            if not self._cap.grab():
                break
            if decoded == inds[j]:
                ok, frame = self._cap.retrieve()
                if not ok or frame is None:
                    raise VideoDecodeError(
                        self.filename, 'decode_error',
                        f'OpenCV cannot decode frame {decoded}')
                frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                j += 1
            decoded += 1
        if j < inds.size:
            frames = self._fill_shortfall(frames, inds, decoded)
        return np.stack(frames)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def _template_regex(filename_tmpl: str) -> 're.Pattern':
    """A regex matching the names ``filename_tmpl.format(int)`` produces."""
    parts = []
    for literal, field, _, _ in string.Formatter().parse(filename_tmpl):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(r'\d+')
    return re.compile(''.join(parts) + '$')


class RawFrameReader(BaseFrameReader):
    """Reads frames stored as image files in a folder.

    Args:
        frame_dir (str): The folder of the video's frames.
        filename_tmpl (str): Name of frame ``i`` (``start_index``-based).
            Defaults to ``'img_{:05}.jpg'``.
        start_index (int): File index of the first frame. Defaults to 1.
        total_frames (int, optional): Number of frames; ``None`` (or a value
            <= 0) counts the files matching ``filename_tmpl``.
        backend_args (dict, optional): mmengine file backend arguments.
        **kwargs: Passed to :class:`BaseFrameReader`.
    """

    def __init__(self,
                 frame_dir: str,
                 filename_tmpl: str = 'img_{:05}.jpg',
                 start_index: int = 1,
                 total_frames: Optional[int] = None,
                 backend_args: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(frame_dir, **kwargs)
        self.filename_tmpl = filename_tmpl
        self.start_index = start_index
        self.backend_args = backend_args
        if backend_args is None and not osp.isdir(frame_dir):
            kind = 'not_video' if osp.exists(frame_dir) else 'missing'
            raise VideoDecodeError(frame_dir, kind, 'no such frame folder')
        if total_frames is None or total_frames <= 0:
            pattern = _template_regex(filename_tmpl)
            if backend_args is None:
                names = os.listdir(frame_dir)
            else:
                names = list(
                    fileio.list_dir_or_file(
                        frame_dir, list_dir=False, backend_args=backend_args))
            total_frames = sum(1 for n in names if pattern.match(n))
        if total_frames <= 0:
            raise VideoDecodeError(
                frame_dir, 'no_frames',
                f'no file matches the template {filename_tmpl!r}')
        self.num_frames = int(total_frames)

    def frame_path(self, index: int) -> str:
        """Path of the frame at 0-based position ``index``."""
        return osp.join(self.filename,
                        self.filename_tmpl.format(index + self.start_index))

    def _read(self, inds: np.ndarray) -> np.ndarray:
        frames, shape = [], None
        for index in inds:
            path = self.frame_path(int(index))
            try:
                data = fileio.get(path, backend_args=self.backend_args)
            except (FileNotFoundError, IsADirectoryError) as e:
                raise VideoDecodeError(
                    self.filename, 'truncated',
                    f'frame file {path} is missing ({_short(e)})') from e
            img = None
            if len(data):
                img = cv2.imdecode(
                    np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            if img is None:
                raise VideoDecodeError(self.filename, 'decode_error',
                                       f'cannot decode frame file {path}')
            if shape is not None and img.shape != shape:
                raise VideoDecodeError(
                    self.filename, 'decode_error',
                    f'frame file {path} has shape {img.shape}, the '
                    f'previous frames {shape}')
            shape = img.shape
            frames.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        return np.stack(frames)


VIDEO_BACKENDS = {
    'decord': DecordReader,
    'pyav': PyAVReader,
    'opencv': OpenCVReader,
}


def open_video(filename: str,
               backend: str = 'decord',
               **kwargs) -> BaseFrameReader:
    """Opens a video file with the chosen backend.

    Args:
        filename (str): Path or URI of the video.
        backend (str): ``'decord'``, ``'pyav'`` or ``'opencv'``.
        **kwargs: Backend options (see the reader classes).

    Returns:
        BaseFrameReader: The opened reader.

    Raises:
        VideoDecodeError: The file is missing, empty, not a video, or cannot
            be opened.
    """
    if backend not in VIDEO_BACKENDS:
        raise ValueError(f'unknown video backend {backend!r}; choose one of '
                         f'{sorted(VIDEO_BACKENDS)}')
    return VIDEO_BACKENDS[backend](filename, **kwargs)
