# Copyright (c) constcl_mm authors. All rights reserved.
"""FFmpeg's per-macroblock error lines do not flood stderr (issue 13)."""
import numpy as np
from helpers.reliability import run_python

DECODE = '''
import sys
import constcl_mm
from mmcv.transforms import Compose
from mmengine.registry import DefaultScope
DefaultScope.get_instance('noise', scope_name='mmaction')
for backend in ('decord', 'pyav'):
    pipeline = Compose([
        dict(type='VideoReaderInit', backend=backend),
        dict(type='CVRLSampleFrames', clip_len=16, frame_interval=2),
        dict(type='MultiClipDecode')])
    for _ in range(3):
        try:
            pipeline(dict(filename=sys.argv[1]))
        except Exception as e:
            print(backend, type(e).__name__)
'''


def damaged_h264(path: str) -> None:
    """An H.264 mp4 whose frame data has 20 garbled 30-byte runs."""
    import av
    rng = np.random.default_rng(0)
    with av.open(path, 'w') as out:
        stream = out.add_stream('libx264', rate=25)
        stream.width = stream.height = 64
        stream.pix_fmt = 'yuv420p'
        for i in range(60):
            img = (rng.integers(0, 255, (64, 64, 3), dtype=np.uint8) // 4 +
                   i).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img)):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    data = bytearray(open(path, 'rb').read())
    end = data.rfind(b'moov')
    for _ in range(20):
        i = int(rng.integers(2000, end - 100))
        data[i:i + 30] = rng.integers(0, 256, 30, dtype=np.uint8).tobytes()
    open(path, 'wb').write(bytes(data))


def test_decoder_errors_are_silenced_unless_asked(tmp_path):
    video = tmp_path / 'damaged.mp4'
    damaged_h264(str(video))
    script = tmp_path / 'decode.py'
    script.write_text(DECODE)
    quiet = run_python([str(script), str(video)])
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert 'error while decoding' not in quiet.stderr
    assert '[h264 @' not in quiet.stderr
    # the file is damaged enough for FFmpeg to complain when allowed to
    loud = run_python([str(script), str(video)], CONSTCL_DECODER_LOG='error')
    assert loud.stderr.count('[h264 @') >= 5, loud.stderr[-2000:]
