# Copyright (c) constcl_mm authors. All rights reserved.
"""CRC-32C (Castagnoli) in numpy, and TF's masked form of it.

TensorFlow checksums every table block and every tensor of a checkpoint with
CRC-32C (reflected polynomial 0x82F63B78, initial value and final xor
0xFFFFFFFF) and stores it *masked* (:func:`mask`). Inputs are cut into
lanes of 1 KiB whose raw CRCs are computed side by side (one numpy step per 4
bytes of every lane) and joined with the "append n zero bytes" operator,
which is linear over GF(2); the last partial lane runs byte by byte. About a
second for the 130 MB of an R3D-50 checkpoint, without a compiled extension.
"""
from functools import lru_cache
from typing import List, Union

import numpy as np

POLY = 0x82F63B78
_MASK_DELTA = 0xA282EAD8
_LANE = 1024  # bytes per lane; shorter inputs run the plain byte loop


def _make_tables() -> np.ndarray:
    """Slicing-by-4 tables: ``T[k][b]`` = CRC step of byte b, k bytes on."""
    tables = np.zeros((4, 256), dtype=np.uint32)
    for b in range(256):
        crc = b
        for _ in range(8):
            crc = (crc >> 1) ^ (POLY if crc & 1 else 0)
        tables[0, b] = crc
    for k in range(1, 4):
        prev = tables[k - 1]
        tables[k] = (prev >> 8) ^ tables[0][prev & 0xFF]
    return tables


_TABLES = _make_tables()
_TABLE0 = [int(v) for v in _TABLES[0]]


def _raw_bytes(crc: int, data: bytes) -> int:
    """Raw CRC register update (no initial value, no final xor)."""
    table = _TABLE0
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


# -- the zero-byte operator as a 32x32 GF(2) matrix (32 column images) -----
def _apply(matrix: List[int], vec: int) -> int:
    out = 0
    i = 0
    while vec:
        if vec & 1:
            out ^= matrix[i]
        vec >>= 1
        i += 1
    return out


def _compose(a: List[int], b: List[int]) -> List[int]:
    """The matrix of ``a(b(x))``."""
    return [_apply(a, col) for col in b]


@lru_cache(maxsize=64)
def _zeros_operator(nbytes: int) -> tuple:
    """Matrix that advances a raw CRC register over ``nbytes`` zero bytes."""
    one = [_raw_bytes(1 << i, b'\0') for i in range(32)]
    result = [1 << i for i in range(32)]
    power = one
    while nbytes:
        if nbytes & 1:
            result = _compose(power, result)
        nbytes >>= 1
        if nbytes:
            power = _compose(power, power)
    return tuple(result)


@lru_cache(maxsize=64)
def _operator_tables(nbytes: int) -> np.ndarray:
    """The zero-byte operator as 4 byte-wise lookup tables ``(4, 256)``."""
    matrix = list(_zeros_operator(nbytes))
    tables = np.zeros((4, 256), dtype=np.uint32)
    for k in range(4):
        for b in range(256):
            tables[k, b] = _apply(matrix, b << (8 * k))
    return tables


def _shift(tables: np.ndarray, crc: np.ndarray) -> np.ndarray:
    return (tables[0][crc & 0xFF] ^ tables[1][(crc >> 8) & 0xFF]
            ^ tables[2][(crc >> 16) & 0xFF] ^ tables[3][crc >> 24])


def _raw_lanes(words: np.ndarray, register: int) -> np.ndarray:
    """Raw CRCs of the rows of ``words`` (``(lanes, n)`` little-endian
    uint32), all rows advanced together; row 0 starts from ``register``,
    the others from 0."""
    crc = np.zeros(words.shape[0], dtype=np.uint32)
    crc[0] = register
    t0, t1, t2, t3 = _TABLES
    for col in np.ascontiguousarray(words.T):
        crc ^= col
        crc = (
            t3[crc & 0xFF] ^ t2[(crc >> 8) & 0xFF] ^ t1[(crc >> 16) & 0xFF]
            ^ t0[crc >> 24])
    return crc


def _raw_update(register: int, data: np.ndarray) -> int:
    """Raw CRC register after ``data`` (uint8), by lanes of ``_LANE`` bytes
    joined in a tree: a power of two of lanes at a time, so the joining
    operators (lane length x 2^k) are the same for every input and cached.
    """
    pos = 0
    while data.size - pos >= _LANE:
        lanes = 1 << (((data.size - pos) // _LANE).bit_length() - 1)
        n = lanes * _LANE
        words = data[pos:pos + n].view('<u4').reshape(lanes, _LANE // 4)
        crcs = _raw_lanes(words, register)
        span = _LANE
        while crcs.size > 1:  # r(AB) = Z_|B|(r(A)) ^ r(B)
            crcs = _shift(_operator_tables(span), crcs[0::2]) ^ crcs[1::2]
            span *= 2
        register = int(crcs[0])
        pos += n
    return _raw_bytes(register, data[pos:].tobytes())


def crc32c(data: Union[bytes, bytearray, memoryview, np.ndarray],
           crc: int = 0) -> int:
    """CRC-32C of ``data``, optionally continuing a previous value.

    Args:
        data: Bytes, or any numpy array (its raw bytes in memory order).
        crc (int): The CRC-32C of what came before (0 to start).

    Returns:
        int: The CRC-32C (unmasked), e.g. ``crc32c(b'123456789') ==
        0xE3069283``.
    """
    if isinstance(data, np.ndarray):
        array = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    else:
        array = np.frombuffer(data, dtype=np.uint8)
    return _raw_update(crc ^ 0xFFFFFFFF, array) ^ 0xFFFFFFFF


def mask(crc: int) -> int:
    """TF/LevelDB's masked CRC (a rotation plus a constant)."""
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def unmask(masked: int) -> int:
    """Inverse of :func:`mask`."""
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF
