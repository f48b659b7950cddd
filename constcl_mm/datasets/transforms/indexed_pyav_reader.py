# Copyright (c) constcl_mm authors. All rights reserved.
"""A PyAV reader that decodes only from the keyframe before each clip.

:class:`IndexedPyAVReader` (backend ``'pyav_indexed'``) demuxes the file once
when it opens (no decoding), which gives the frame count and, per frame, its
packet and the keyframe it depends on, like decord's packet index. A read
then sends the decoder only the packets from the last clean keyframe before
each needed frame up to the last needed one (one run for frames of the same
group of pictures, so two nearby clips cost one pass), and converts to RGB
only the frames a clip uses. Frames between two runs that a later keyframe
makes unnecessary are never decoded, and inside a run, H.264 pictures that
no other picture references (``nal_ref_idc`` 0: most B-frames) are not sent
to the decoder unless a clip uses them.

Frame positions follow the output order of the decoder from the start of a
run, like :class:`~.video_readers.PyAVReader`'s sequential pass; a run only
starts at a *clean* keyframe (no later packet is shown before it), where that
order is exact. ``tests/test_datasets/test_indexed_pyav_reader.py`` checks
that the frames equal decord's.
"""
from typing import Callable, Iterator, List, Optional, Tuple

import numpy as np

from .video_readers import (VIDEO_BACKENDS, BaseFrameReader, VideoDecodeError,
                            _load_source, _short)

__all__ = ['IndexedPyAVReader', 'decode_runs', 'nal_unit_types']

#: FFmpeg demuxers whose packet timestamps order the decoded pictures.
_ORDERED_FORMATS = ('mov,mp4,m4a,3gp,3g2,mj2', 'matroska,webm')


class _BadStart(Exception):
    """Decoding from this keyframe gives a corrupt first picture."""

    def __init__(self, packet: int) -> None:
        super().__init__(packet)
        self.packet = packet


def decode_runs(inds: np.ndarray,
                decode_pos: np.ndarray,
                starts: np.ndarray,
                margin: int = 0) -> List[Tuple[int, int]]:
    """Packet ranges (decode order) that produce the frames at ``inds``.

    A run starts at the clean keyframe of its first frame and ends at the
    last packet shown at or before its last frame (so that every position
    up to it is decoded and the decoder's output order gives the positions);
    a frame whose keyframe lies inside the previous run extends that run.

    Args:
        inds (np.ndarray): Needed frame positions (presentation order),
            sorted, ``(K,)``.
        decode_pos (np.ndarray): Decode-order packet index of every frame
            position, ``(N,)``.
        starts (np.ndarray): For every decode-order packet, the clean
            keyframe (decode index = position) a run must start at, ``(N,)``.
        margin (int): Extra packets sent after each run (containers whose
            timestamps do not give the decoder's output order).

    Returns:
        list[tuple[int, int]]: ``(first, last)`` packet indices (inclusive,
        decode order) of each run, increasing.
    """
    runs: List[List[int]] = []  # [first packet, last packet]
    for pos in inds.tolist():
        start = int(starts[decode_pos[pos]])
        if not runs or start > runs[-1][1]:
            runs.append([start, start])
        # the packets of every position from the run's start up to ``pos``
        runs[-1][1] = int(decode_pos[runs[-1][0]:pos + 1].max())
    end = decode_pos.size - 1
    return [(first, min(last + margin, end)) for first, last in runs]


def nal_unit_types(data: bytes, length_size: int) -> List[int]:
    """First header byte of every NAL unit in a packet.

    Args:
        data (bytes): The packet.
        length_size (int): NAL length prefix size (avcC / hvcC), or 0 for
            Annex B start codes.

    Returns:
        list[int]: The first byte of each NAL unit header.
    """
    types = []
    if length_size:
        i = 0
        while i + length_size < len(data):
            size = int.from_bytes(data[i:i + length_size], 'big')
            i += length_size
            if size <= 0 or i >= len(data):
                break
            types.append(data[i])
            i += size
        return types
    i = data.find(b'\x00\x00\x01')
    while i >= 0 and i + 3 < len(data):
        types.append(data[i + 3])
        i = data.find(b'\x00\x00\x01', i + 3)
    return types


class IndexedPyAVReader(BaseFrameReader):
    """Reads a video with PyAV from the keyframes the frames need.

    Args:
        filename (str): Path or URI of the video.
        backend_args (dict, optional): mmengine file backend arguments; with
            ``None`` the local file is opened by its path.
        num_threads (int): FFmpeg decoding threads (``thread_type='AUTO'``
            when > 1; process CPU time stays about the same, wall time drops).
            Defaults to 1.
        **kwargs: Passed to :class:`BaseFrameReader`.

    The demuxed packets are kept until :meth:`close` (the size of the file in
    memory, a few MB for dataset clips).
    """

    def __init__(self,
                 filename: str,
                 backend_args: Optional[dict] = None,
                 num_threads: int = 1,
                 **kwargs) -> None:
        super().__init__(filename, **kwargs)
        import av
        self._container = None
        source = _load_source(filename, backend_args, need_path=False)
        try:
            self._container = av.open(source)
        except Exception as e:  # noqa: BLE001 - any FFmpeg failure
            raise VideoDecodeError(filename, 'unreadable',
                                   f'PyAV cannot open it ({_short(e)})')
        fmt = self._container.format.name
        if not self._container.streams.video:
            self.close()
            raise VideoDecodeError(filename, 'not_video',
                                   f'no video stream in this {fmt} file')
        if fmt == 'image2' or fmt.endswith('_pipe'):
            self.close()
            raise VideoDecodeError(filename, 'not_video',
                                   f'it is a still image ({fmt})')
        stream = self._container.streams.video[0]
        stream.thread_count = int(num_threads)
        if num_threads > 1:
            stream.thread_type = 'AUTO'
        rate = stream.average_rate or stream.guessed_rate
        self.fps = float(rate) if rate else 0.0
        self._stream = stream
        #: ``(height, width)`` of the pictures (0 when the stream has none)
        self.frame_size = (int(stream.codec_context.height),
                           int(stream.codec_context.width))
        extradata = stream.codec_context.extradata or b''
        # avcC / hvcC extradata: length-prefixed NAL units, else Annex B
        self._nal_length_size = 0
        if stream.codec_context.name == 'h264' and extradata[:1] == b'\x01':
            self._nal_length_size = (extradata[4] & 3) + 1
        elif (stream.codec_context.name == 'hevc' and len(extradata) > 22
              and extradata[0] == 1):
            self._nal_length_size = (extradata[21] & 3) + 1
        self._index()

    def _index(self) -> None:
        """Demuxes every packet once: frame count, order and keyframes."""
        try:
            packets = [
                p for p in self._container.demux(self._stream) if p.size > 0
            ]
        except Exception as e:  # noqa: BLE001
            self.close()
            raise VideoDecodeError(self.filename, 'unreadable',
                                   f'PyAV cannot demux it ({_short(e)})')
        if not packets:
            self.close()
            raise VideoDecodeError(self.filename, 'no_frames',
                                   'PyAV finds no frame in it')
        num = len(packets)
        stamps = [p.pts if p.pts is not None else p.dts for p in packets]
        if any(s is None for s in stamps):
            stamps = list(range(num))  # no timestamps: decode order
        stamps = np.asarray(stamps, dtype=np.int64)
        # presentation position of every decode-order packet, and back
        order = np.argsort(stamps, kind='stable')
        decode_pos = order
        # a keyframe is clean when no later packet is shown before it
        # and every earlier packet is shown before it (then its decode index
        # is its position, and decoding from it outputs the positions after
        # it in order)
        suffix_min = np.minimum.accumulate(stamps[::-1])[::-1]
        prefix_max = np.maximum.accumulate(
            np.concatenate([[np.iinfo(np.int64).min], stamps[:-1]]))
        keyframes = np.array(
            [p.is_keyframe and self._resets(p) for p in packets])
        fmt = self._container.format.name
        # Only these containers' timestamps give the decoder's output order
        # (AVI's do not, with B-frames): elsewhere runs go a few packets on,
        # and every packet of a run is decoded.
        self._margin = 0 if fmt in _ORDERED_FORMATS else 4
        self._droppable = np.array(
            [self._margin == 0 and self._unreferenced(p) for p in packets],
            dtype=bool)
        clean = keyframes & (stamps <= suffix_min) & (prefix_max < stamps)
        clean[0] = True  # the first packet: positions count from 0
        first_pos = np.empty(num, dtype=np.int64)
        first_pos[order] = np.arange(num)
        self._packets = packets
        self._decode_pos = decode_pos
        self._clean = clean
        self._update_starts()
        self._position_of = first_pos  # decode index -> position
        self.num_frames = num

    def _update_starts(self) -> None:
        """The clean keyframe at or before every decode-order packet."""
        num = self._clean.size
        self._starts = np.maximum.accumulate(
            np.where(self._clean, np.arange(num), 0))

    def _resets(self, packet) -> bool:
        """Whether decoding can start at this keyframe packet.

        H.264 marks intra pictures that later pictures may look past as
        keyframes too (non-IDR I pictures; mp4 sync samples): only packets
        holding an IDR slice (NAL type 5) count. HEVC: IRAP pictures (NAL
        types 16-21; leading pictures are excluded by the timestamp check).
        Other codecs' keyframes reset the references.
        """
        name = self._stream.codec_context.name
        if name not in ('h264', 'hevc'):
            return True
        types = nal_unit_types(bytes(packet), self._nal_length_size)
        if name == 'h264':
            return 5 in {t & 0x1f for t in types}
        return any(16 <= (t >> 1) & 0x3f <= 21 for t in types)

    def _unreferenced(self, packet) -> bool:
        """Whether no other picture references this packet's picture.

        H.264 only: every slice of the packet (NAL types 1 and 5) has
        ``nal_ref_idc`` 0, so leaving it out changes no other picture
        (``frame_num`` only counts reference pictures). Other codecs: False.
        """
        if self._stream.codec_context.name != 'h264':
            return False
        slices = [
            t for t in nal_unit_types(bytes(packet), self._nal_length_size)
            if t & 0x1f in (1, 5)
        ]
        return bool(slices) and all(t & 0x60 == 0 for t in slices)

    def frames(self, inds: np.ndarray) -> Iterator[Tuple[int, object]]:
        """Decodes the frames at ``inds``; yields them in order of position.

        Args:
            inds (np.ndarray): Strictly increasing positions (validated by
                the caller, as :meth:`read` does).

        Yields:
            tuple[int, av.VideoFrame]: ``(k, frame)`` for ``inds[k]``, each
            once, not converted.
        """
        slot = np.full(self.num_frames, -1, dtype=np.int64)
        slot[inds] = np.arange(inds.size)
        pending = np.asarray(inds, dtype=np.int64)
        while pending.size:
            runs = decode_runs(pending, self._decode_pos, self._starts,
                               self._margin)
            try:
                for first, last in runs:
                    for pos, frame in self._run(first, last, slot >= 0):
                        if pos < slot.size and slot[pos] >= 0:
                            yield int(slot[pos]), frame
                            slot[pos] = -1
            except _BadStart as bad:
                # decoding cannot start at this keyframe: use an earlier one
                self._clean[bad.packet] = False
                self._update_starts()
                pending = np.flatnonzero(slot >= 0)
                continue
            pending = np.flatnonzero(slot >= 0)
            if pending.size:
                raise VideoDecodeError(
                    self.filename, 'decode_error',
                    f'{pending.size} of the requested frames (from position '
                    f'{pending[0]}) were not decoded')

    def _run(self, first: int, last: int,
             needed: np.ndarray) -> Iterator[Tuple[int, object]]:
        """Decodes packets ``first..last`` from a flushed decoder, leaving
        out the unreferenced pictures at positions that are not ``needed``.

        Args:
            first (int): First packet (a clean keyframe), decode order.
            last (int): Last packet, decode order.
            needed (np.ndarray): Per position, whether a clip uses it,
                ``(num_frames,)`` bool.

        Yields:
            tuple[int, av.VideoFrame]: Position and frame of every picture.

        Raises:
            _BadStart: The run's keyframe (not the first packet) decodes to a
                corrupt picture: it needs pictures before it.
        """
        codec = self._stream.codec_context
        sent = np.arange(first, last + 1)
        positions = self._position_of[sent]
        keep = ~(self._droppable[sent] & ~needed[positions])
        if keep.all():  # in output order from the keyframe on
            positions = self._position_of[first] + np.arange(sent.size)
        else:  # ordered containers only: the sent pictures' positions
            sent, positions = sent[keep], np.sort(positions[keep])
        count = 0
        try:
            codec.flush_buffers()
            for index in sent.tolist() + [None]:
                packet = None if index is None else self._packets[index]
                for frame in codec.decode(packet):
                    if count == 0 and first > 0 and frame.is_corrupt:
                        raise _BadStart(first)
                    if count < positions.size:
                        yield int(positions[count]), frame
                    count += 1
        except (_BadStart, GeneratorExit):
            raise
        except Exception as e:  # noqa: BLE001 - any FFmpeg failure
            raise VideoDecodeError(
                self.filename, 'decode_error',
                f'PyAV fails in packets {first}..{last} ({_short(e)})')
        if count != sent.size:
            raise VideoDecodeError(
                self.filename, 'decode_error',
                f'the decoder returned {count} pictures for {sent.size} '
                f'packets ({first}..{last}); frame positions would be wrong')

    def convert(self, inds: np.ndarray, sink: Callable[[int, object],
                                                       None]) -> None:
        """Calls ``sink(k, frame)`` for every decoded frame ``inds[k]``."""
        for k, frame in self.frames(inds):
            sink(k, frame)

    def _read(self, inds: np.ndarray) -> np.ndarray:
        from av.video.reformatter import VideoReformatter
        reformatter = VideoReformatter()
        out = None
        for k, frame in self.frames(inds):
            # one thread: FFmpeg's default splits the conversion
            rgb = reformatter.reformat(
                frame, format='rgb24', threads=1).to_ndarray()
            if out is None:
                out = np.empty((inds.size, ) + rgb.shape, dtype=np.uint8)
            elif rgb.shape != out.shape[1:]:
                raise VideoDecodeError(
                    self.filename, 'decode_error',
                    f'frame {inds[k]} has shape {rgb.shape}, the previous '
                    f'frames {out.shape[1:]}')
            out[k] = rgb
        return out

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None
        self._packets = []


VIDEO_BACKENDS['pyav_indexed'] = IndexedPyAVReader
