# Copyright (c) constcl_mm authors. All rights reserved.
"""Text annotation files read line by line, with errors naming the line."""
from typing import List

from .errors import AnnotationError


def read_lines(path: str, backend_args=None) -> List[str]:
    """The lines of a UTF-8 text file (without line ends).

    Unlike ``open(path).read()`` or mmengine's ``list_from_file``, a byte
    sequence that is not UTF-8 raises :class:`AnnotationError` naming the
    file, the line and the column instead of a bare ``UnicodeDecodeError``.
    A UTF-8 byte-order mark at the start is dropped.

    Args:
        path (str): Local path or mmengine URI.
        backend_args (dict, optional): mmengine file backend arguments.

    Returns:
        list[str]: The lines.
    """
    from mmengine import fileio
    data = fileio.get(path, backend_args=backend_args)
    if data.startswith(b'\xef\xbb\xbf'):
        data = data[3:]
    lines = []
    for lineno, raw in enumerate(data.splitlines(), 1):
        try:
            lines.append(raw.decode('utf-8'))
        except UnicodeDecodeError as e:
            raise AnnotationError(
                f'{path}:{lineno}: byte 0x{raw[e.start]:02x} at column '
                f'{e.start + 1} is not UTF-8 ({e.reason}); annotation files '
                'must be UTF-8 text (re-encode it, e.g. with `iconv -t '
                'utf-8`)') from None
    return lines
