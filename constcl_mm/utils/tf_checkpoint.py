# Copyright (c) constcl_mm authors. All rights reserved.
"""TensorFlow checkpoints (TensorBundle V2) read and written without TF.

A checkpoint ``PREFIX`` is ``PREFIX.index`` plus the shards
``PREFIX.data-00000-of-0000N``:

* ``.index`` is an SSTable (the LevelDB table format TF's ``table`` module
  writes): data blocks of prefix-compressed ``key -> value`` entries with
  restart points, an index block of ``last key -> block handle``, an (empty)
  metaindex block and a 48-byte footer with both handles and the magic
  number. Every block ends with a 5-byte trailer: its compression (0 none,
  1 snappy; TF writes bundles uncompressed) and the masked CRC-32C of the
  block plus that byte.
* The entry of the empty key is a ``BundleHeaderProto`` (number of shards,
  endianness, version); every other entry is the ``BundleEntryProto`` of a
  tensor: dtype, shape, shard, offset and size in that shard, masked CRC-32C
  of its bytes. Both are decoded here by a small protobuf wire-format
  reader (no protobuf dependency).
* String tensors (``_CHECKPOINTABLE_OBJECT_GRAPH`` of object-based
  checkpoints) are stored as varint lengths, a masked CRC-32C of the lengths,
  then the bytes.

:func:`load_tf_checkpoint` returns ``{name: ndarray}`` after checking every
checksum; :class:`TFCheckpointReader` reads tensors one at a time.
:func:`write_tf_checkpoint` writes the same format (one shard), for tests and
for tools that hand arrays to TF.
"""
import glob
import os
import os.path as osp
import re
import struct
from typing import Dict, Iterator, List, Mapping, Optional, Tuple

import numpy as np

from .crc32c import crc32c, mask, unmask

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48  # two handles padded to 40 bytes + 8-byte magic
BLOCK_TRAILER = 5

#: TF ``DataType`` enum -> numpy dtype (little-endian; byte order applied
#: from the header). bfloat16 (14) is returned as float32.
TF_DTYPES = {
    1: np.float32,
    2: np.float64,
    3: np.int32,
    4: np.uint8,
    5: np.int16,
    6: np.int8,
    8: np.complex64,
    9: np.int64,
    10: np.bool_,
    14: 'bfloat16',
    17: np.uint16,
    18: np.complex128,
    19: np.float16,
    22: np.uint32,
    23: np.uint64,
}
DT_STRING = 7
TF_DTYPE_NAMES = {
    1: 'float32',
    2: 'float64',
    3: 'int32',
    4: 'uint8',
    5: 'int16',
    6: 'int8',
    7: 'string',
    8: 'complex64',
    9: 'int64',
    10: 'bool',
    14: 'bfloat16',
    17: 'uint16',
    18: 'complex128',
    19: 'float16',
    22: 'uint32',
    23: 'uint64'
}
_NUMPY_TO_TF = {
    np.dtype(np.float32): 1,
    np.dtype(np.float64): 2,
    np.dtype(np.int32): 3,
    np.dtype(np.uint8): 4,
    np.dtype(np.int16): 5,
    np.dtype(np.int8): 6,
    np.dtype(np.int64): 9,
    np.dtype(np.bool_): 10,
    np.dtype(np.float16): 19
}


class TFCheckpointError(ValueError):
    """A TF checkpoint that cannot be read: the message names the file."""


# -- protobuf wire format -------------------------------------------------
def _varint(buf: bytes, pos: int, where: str) -> Tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise TFCheckpointError(f'{where}: truncated varint')
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise TFCheckpointError(f'{where}: varint longer than 10 bytes')


def _signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def parse_proto(buf: bytes, where: str = 'protobuf') -> Dict[int, list]:
    """Decodes one protobuf message into ``{field number: [raw values]}``.

    Varints give ints, fixed32/fixed64 ints, length-delimited fields
    ``bytes`` (a sub-message is decoded by calling this again).
    """
    fields: Dict[int, list] = {}
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos, where)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos, where)
        elif wire == 1:
            value, pos = int.from_bytes(buf[pos:pos + 8], 'little'), pos + 8
        elif wire == 2:
            size, pos = _varint(buf, pos, where)
            value, pos = bytes(buf[pos:pos + size]), pos + size
        elif wire == 5:
            value, pos = int.from_bytes(buf[pos:pos + 4], 'little'), pos + 4
        else:
            raise TFCheckpointError(
                f'{where}: unsupported wire type {wire} (field {number})')
        if pos > len(buf):
            raise TFCheckpointError(f'{where}: truncated field {number}')
        fields.setdefault(number, []).append(value)
    return fields


def _put_varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number: int, value, wire: int = 0) -> bytes:
    tag = _put_varint(number << 3 | wire)
    if wire == 0:
        return tag + _put_varint(value)
    if wire == 2:
        return tag + _put_varint(len(value)) + value
    if wire == 5:
        return tag + struct.pack('<I', value)
    raise ValueError(wire)


# -- SSTable ----------------------------------------------------------------
def snappy_decompress(data: bytes, where: str = 'snappy block') -> bytes:
    """Decompresses a raw snappy block (literals and back-references)."""
    length, pos = _varint(data, 0, where)
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal
            size = tag >> 2
            if size >= 60:
                extra = size - 59
                size = int.from_bytes(data[pos:pos + extra], 'little')
                pos += extra
            size += 1
            out += data[pos:pos + size]
            pos += size
            continue
        if kind == 1:
            size = ((tag >> 2) & 7) + 4
            offset = (tag >> 5) << 8 | data[pos]
            pos += 1
        else:
            nbytes = 2 if kind == 2 else 4
            size = (tag >> 2) + 1
            offset = int.from_bytes(data[pos:pos + nbytes], 'little')
            pos += nbytes
        if offset == 0 or offset > len(out):
            raise TFCheckpointError(f'{where}: corrupt back-reference')
        for _ in range(size):  # may overlap itself
            out.append(out[-offset])
    if len(out) != length:
        raise TFCheckpointError(
            f'{where}: {len(out)} bytes decompressed, header says {length}')
    return bytes(out)


def _block_handle(buf: bytes, pos: int, where: str) -> Tuple[int, int, int]:
    offset, pos = _varint(buf, pos, where)
    size, pos = _varint(buf, pos, where)
    return offset, size, pos


def _read_block(data: bytes, offset: int, size: int, where: str) -> bytes:
    end = offset + size + BLOCK_TRAILER
    if end > len(data) - FOOTER_SIZE:
        raise TFCheckpointError(
            f'{where}: block at {offset}+{size} lies past the end of the '
            f'file ({len(data)} bytes): truncated')
    block = data[offset:offset + size]
    kind = data[offset + size]
    stored = int.from_bytes(data[offset + size + 1:end], 'little')
    actual = crc32c(data[offset:offset + size + 1])
    if unmask(stored) != actual:
        raise TFCheckpointError(
            f'{where}: checksum mismatch in the block at offset {offset} '
            f'(stored {unmask(stored):#010x}, computed {actual:#010x}): the '
            'file is corrupt')
    if kind == 1:
        return snappy_decompress(block, where)
    if kind != 0:
        raise TFCheckpointError(
            f'{where}: unknown block compression {kind} (0 none, 1 snappy)')
    return block


def _block_entries(block: bytes, where: str) -> Iterator[Tuple[bytes, bytes]]:
    if len(block) < 4:
        raise TFCheckpointError(f'{where}: block shorter than its trailer')
    restarts = int.from_bytes(block[-4:], 'little')
    limit = len(block) - 4 * (restarts + 1)
    if limit < 0:
        raise TFCheckpointError(f'{where}: bad restart count {restarts}')
    pos, key = 0, b''
    while pos < limit:
        shared, pos = _varint(block, pos, where)
        unshared, pos = _varint(block, pos, where)
        value_size, pos = _varint(block, pos, where)
        if shared > len(key) or pos + unshared + value_size > limit:
            raise TFCheckpointError(f'{where}: corrupt block entry')
        key = key[:shared] + block[pos:pos + unshared]
        pos += unshared
        yield key, block[pos:pos + value_size]
        pos += value_size


def read_sstable(path: str) -> List[Tuple[bytes, bytes]]:
    """All ``(key, value)`` entries of an SSTable file, in key order."""
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < FOOTER_SIZE:
        raise TFCheckpointError(
            f'{path}: {len(data)} bytes, shorter than the 48-byte table '
            'footer: truncated or not a TF checkpoint index')
    footer = data[-FOOTER_SIZE:]
    magic = int.from_bytes(footer[-8:], 'little')
    if magic != TABLE_MAGIC:
        raise TFCheckpointError(
            f'{path}: no table magic number at the end (found {magic:#x}): '
            'truncated, or not a TF checkpoint .index file (TF1 V1 '
            'checkpoints are not supported)')
    _, _, pos = _block_handle(footer, 0, path)  # metaindex: unused by TF
    index_offset, index_size, _ = _block_handle(footer, pos, path)
    index = _read_block(data, index_offset, index_size, path)
    entries = []
    for _, handle in _block_entries(index, path):
        offset, size, _ = _block_handle(handle, 0, path)
        entries.extend(
            _block_entries(_read_block(data, offset, size, path), path))
    return entries


def _shared_prefix(a: bytes, b: bytes) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _build_block(entries: List[Tuple[bytes, bytes]],
                 restart_interval: int = 16) -> bytes:
    out, restarts, prev = bytearray(), [], b''
    for i, (key, value) in enumerate(entries):
        shared = 0
        if i % restart_interval == 0:
            restarts.append(len(out))
        else:
            shared = _shared_prefix(prev, key)
        out += _put_varint(shared) + _put_varint(len(key) - shared)
        out += _put_varint(len(value)) + key[shared:] + value
        prev = key
    for r in restarts or [0]:
        out += struct.pack('<I', r)
    out += struct.pack('<I', len(restarts or [0]))
    return bytes(out)


def write_sstable(path: str,
                  entries: List[Tuple[bytes, bytes]],
                  block_size: int = 4096) -> None:
    """Writes sorted ``(key, value)`` entries as an uncompressed SSTable."""
    out = bytearray()

    def add_block(contents: bytes) -> bytes:
        handle = _put_varint(len(out)) + _put_varint(len(contents))
        trailer = b'\0' + struct.pack('<I', mask(crc32c(contents + b'\0')))
        out.extend(contents + trailer)
        return handle

    index, chunk, chunk_bytes = [], [], 0
    for key, value in entries:
        chunk.append((key, value))
        chunk_bytes += len(key) + len(value) + 3
        if chunk_bytes >= block_size:
            index.append((key, add_block(_build_block(chunk))))
            chunk, chunk_bytes = [], 0
    if chunk:
        index.append((chunk[-1][0], add_block(_build_block(chunk))))
    meta_handle = add_block(_build_block([]))
    index_handle = add_block(_build_block(index, restart_interval=1))
    footer = (meta_handle + index_handle).ljust(40, b'\0')
    out += footer + struct.pack('<Q', TABLE_MAGIC)
    with open(path, 'wb') as f:
        f.write(out)


# -- the bundle -------------------------------------------------------------
def _shape(buf: bytes, where: str) -> Optional[Tuple[int, ...]]:
    fields = parse_proto(buf, where)
    if fields.get(3, [0])[0]:
        return None  # unknown rank
    return tuple(
        _signed64(parse_proto(d, where).get(1, [0])[0])
        for d in fields.get(2, []))


class TFCheckpointEntry:
    """One tensor of the bundle (decoded ``BundleEntryProto``)."""

    def __init__(self, name: str, value: bytes, where: str) -> None:
        fields = parse_proto(value, f'{where}: entry {name!r}')
        self.name = name
        self.dtype = fields.get(1, [0])[0]
        self.shape = _shape(fields[2][0], where) if 2 in fields else ()
        self.shard_id = fields.get(3, [0])[0]
        self.offset = _signed64(fields.get(4, [0])[0])
        self.size = _signed64(fields.get(5, [0])[0])
        self.crc32c = fields.get(6, [None])[0]
        self.num_slices = len(fields.get(7, []))

    @property
    def dtype_name(self) -> str:
        return TF_DTYPE_NAMES.get(self.dtype, f'DataType {self.dtype}')


def _checkpoints_in(folder: str) -> List[str]:
    return sorted(p[:-len('.index')]
                  for p in glob.glob(osp.join(folder or '.', '*.index')))


def resolve_prefix(path: str) -> str:
    """The checkpoint prefix meant by ``path``.

    ``path`` may be the prefix itself (``dir/ckpt-1``), its ``.index`` or a
    ``.data-*`` file, or a folder (its ``checkpoint`` state file, or its only
    checkpoint). Anything else raises :class:`TFCheckpointError` listing the
    checkpoints found next to it.
    """
    path = re.sub(r'\.(index|data-\d{5}-of-\d{5})$', '', str(path))
    if osp.isdir(path):
        state = osp.join(path, 'checkpoint')
        if osp.isfile(state):
            match = re.search(r'^model_checkpoint_path:\s*"([^"]+)"',
                              open(state).read(), re.M)
            if match:
                named = match.group(1)
                return named if osp.isabs(named) else osp.join(path, named)
        found = _checkpoints_in(path)
        if len(found) == 1:
            return found[0]
        folder = path
    else:
        if osp.isfile(path + '.index'):
            return path
        folder = osp.dirname(path)
        found = _checkpoints_in(folder) if osp.isdir(folder or '.') else []
    listing = ('; checkpoints there: ' +
               ', '.join(osp.basename(p) for p in found)) if found else (
                   f'; no checkpoint (*.index) in {folder or "."}')
    raise TFCheckpointError(
        f'{path}: no TF checkpoint with this prefix ({path}.index is '
        f'missing){listing}. Give the prefix, e.g. '
        f'{osp.join(folder, "ckpt-1") if folder else "ckpt-1"}, without '
        '.index')


class TFCheckpointReader:
    """Reads a TF2 / TF1-V2 checkpoint (TensorBundle) without TensorFlow.

    Args:
        path (str): The checkpoint prefix (or see :func:`resolve_prefix`).

    Raises:
        TFCheckpointError: Missing, truncated or corrupt files, unsupported
            features (partitioned variables, unknown dtypes), each naming
            the file.
    """

    def __init__(self, path: str) -> None:
        self.prefix = resolve_prefix(path)
        index = self.prefix + '.index'
        entries = read_sstable(index)
        if not entries or entries[0][0] != b'':
            raise TFCheckpointError(
                f'{index}: no bundle header (the entry of the empty key)')
        header = parse_proto(entries[0][1], f'{index}: header')
        self.num_shards = header.get(1, [1])[0]
        self.big_endian = header.get(2, [0])[0] == 1
        version = parse_proto(header[3][0], index) if 3 in header else {}
        self.version = version.get(1, [0])[0]
        self.entries: Dict[str, TFCheckpointEntry] = {}
        for key, value in entries[1:]:
            name = key.decode('utf-8')
            self.entries[name] = TFCheckpointEntry(name, value, index)
        self._shards: Dict[int, bytes] = {}

    def shard_path(self, shard: int) -> str:
        return (f'{self.prefix}.data-{shard:05d}-of-'
                f'{self.num_shards:05d}')

    def variables(self) -> Dict[str, Tuple[str, Optional[Tuple[int, ...]]]]:
        """``{name: (dtype name, shape)}`` of every tensor, as
        ``tf.train.list_variables`` lists them (without reading data)."""
        return {
            n: (e.dtype_name, e.shape)
            for n, e in sorted(self.entries.items())
        }

    def _shard(self, shard: int) -> bytes:
        if shard not in self._shards:
            path = self.shard_path(shard)
            if not osp.isfile(path):
                present = sorted(
                    osp.basename(p)
                    for p in glob.glob(glob.escape(self.prefix) + '.data-*'))
                raise TFCheckpointError(
                    f'{path}: data shard {shard} of {self.num_shards} is '
                    f'missing (found: {", ".join(present) or "none"}); copy '
                    'every .data-* file of the checkpoint next to its .index')
            with open(path, 'rb') as f:
                self._shards[shard] = f.read()
        return self._shards[shard]

    def _raw(self, entry: TFCheckpointEntry) -> bytes:
        if entry.num_slices:
            raise TFCheckpointError(
                f'{self.prefix}: {entry.name!r} is a partitioned (sliced) '
                'variable, which this reader does not support; re-save it '
                'unpartitioned with TensorFlow')
        if not 0 <= entry.shard_id < self.num_shards:
            raise TFCheckpointError(
                f'{self.prefix}.index: {entry.name!r} names shard '
                f'{entry.shard_id} of {self.num_shards}')
        data = self._shard(entry.shard_id)
        end = entry.offset + entry.size
        if entry.offset < 0 or end > len(data):
            raise TFCheckpointError(
                f'{self.shard_path(entry.shard_id)}: {entry.name!r} needs '
                f'bytes {entry.offset}-{end}, the file has {len(data)}: '
                'truncated')
        return data[entry.offset:end]

    def _check(self, entry: TFCheckpointEntry, actual: int) -> None:
        if entry.crc32c is not None and unmask(entry.crc32c) != actual:
            raise TFCheckpointError(
                f'{self.shard_path(entry.shard_id)}: checksum mismatch for '
                f'{entry.name!r} (stored {unmask(entry.crc32c):#010x}, '
                f'computed {actual:#010x}): the file is corrupt')

    def get_tensor(self, name: str, verify: bool = True) -> np.ndarray:
        """One tensor as a numpy array (bfloat16 as float32, strings as
        an object array of bytes).

        Args:
            name (str): The tensor's key.
            verify (bool): Check its CRC-32C. Defaults to True.
        """
        if name not in self.entries:
            raise KeyError(f'{self.prefix}: no tensor {name!r} (it has '
                           f'{len(self.entries)} tensors)')
        entry = self.entries[name]
        if entry.shape is None:
            raise TFCheckpointError(
                f'{self.prefix}: {name!r} has an unknown rank')
        raw = self._raw(entry)
        if entry.dtype == DT_STRING:
            return self._strings(entry, raw, verify)
        if entry.dtype not in TF_DTYPES:
            raise TFCheckpointError(
                f'{self.prefix}: {name!r} has dtype {entry.dtype_name}, '
                f'which this reader does not know (known: '
                f'{", ".join(TF_DTYPE_NAMES[d] for d in sorted(TF_DTYPES))}'
                ', string)')
        if verify:
            self._check(entry, crc32c(raw))
        order = '>' if self.big_endian else '<'
        dtype = TF_DTYPES[entry.dtype]
        count = int(np.prod(entry.shape, dtype=np.int64))
        itemsize = 2 if dtype == 'bfloat16' else np.dtype(dtype).itemsize
        if len(raw) != count * itemsize:
            raise TFCheckpointError(
                f'{self.prefix}: {name!r} has {len(raw)} bytes for shape '
                f'{entry.shape} of {entry.dtype_name} ({count * itemsize} '
                'expected)')
        if dtype == 'bfloat16':
            half = np.frombuffer(raw, dtype=order + 'u2').astype(np.uint32)
            array = (half << 16).view(np.float32)
        else:
            array = np.frombuffer(
                raw, dtype=np.dtype(dtype).newbyteorder(order))
            array = array.astype(np.dtype(dtype), copy=True)
        return array.reshape(entry.shape)

    def _strings(self, entry: TFCheckpointEntry, raw: bytes,
                 verify: bool) -> np.ndarray:
        where = f'{self.prefix}: {entry.name!r}'
        count = int(np.prod(entry.shape, dtype=np.int64))
        lengths, pos, crc = [], 0, 0
        for _ in range(count):
            size, pos = _varint(raw, pos, where)
            lengths.append(size)
            crc = crc32c(
                struct.pack('<I' if size <= 0xFFFFFFFF else '<Q', size), crc)
        length_crc = raw[pos:pos + 4]
        if verify and unmask(int.from_bytes(length_crc, 'little')) != crc:
            raise TFCheckpointError(f'{where}: checksum mismatch in the '
                                    'string lengths: the file is corrupt')
        crc = crc32c(length_crc, crc)
        pos += 4
        values = np.empty(count, dtype=object)
        for i, size in enumerate(lengths):
            values[i] = raw[pos:pos + size]
            crc = crc32c(values[i], crc)
            pos += size
        if pos != len(raw):
            raise TFCheckpointError(f'{where}: string data of {pos} bytes, '
                                    f'entry says {len(raw)}')
        if verify:
            self._check(entry, crc)
        return values.reshape(entry.shape)

    def read_all(self, verify: bool = True) -> Dict[str, np.ndarray]:
        """Every tensor, ``{name: ndarray}`` in key order."""
        return {n: self.get_tensor(n, verify) for n in sorted(self.entries)}


def load_tf_checkpoint(path: str,
                       verify: bool = True,
                       strings: bool = False) -> Dict[str, np.ndarray]:
    """Reads a TF checkpoint into ``{name: ndarray}`` without TensorFlow.

    Args:
        path (str): Checkpoint prefix (``dir/ckpt-1``), its ``.index`` or
            its folder.
        verify (bool): Check every stored CRC-32C. Defaults to True.
        strings (bool): Also return string tensors (the object graph of
            object-based checkpoints). Defaults to False.

    Returns:
        dict[str, ndarray]: Tensor name -> array, names as
        ``tf.train.list_variables`` gives them (e.g.
        ``backbone/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE``).
    """
    reader = TFCheckpointReader(path)
    return {
        name: reader.get_tensor(name, verify)
        for name, entry in sorted(reader.entries.items())
        if strings or entry.dtype != DT_STRING
    }


def write_tf_checkpoint(prefix: str, tensors: Mapping[str, np.ndarray]) -> str:
    """Writes numeric arrays as a one-shard TF checkpoint
    (``tf.train.load_checkpoint`` reads it).

    Args:
        prefix (str): Output prefix; ``prefix.index`` and
            ``prefix.data-00000-of-00001`` are written.
        tensors (Mapping[str, ndarray]): Name -> array (float16/32/64,
            int8-64, uint8, bool).

    Returns:
        str: ``prefix``.
    """
    folder = osp.dirname(osp.abspath(prefix))
    os.makedirs(folder, exist_ok=True)
    data, entries = bytearray(), []
    for name in sorted(tensors):
        array = np.asarray(tensors[name])  # keeps 0-d shapes
        if array.dtype not in _NUMPY_TO_TF:
            raise TFCheckpointError(
                f'{prefix}: cannot write {name!r} of dtype {array.dtype}')
        raw = array.astype(array.dtype.newbyteorder('<')).tobytes()
        shape = b''.join(_field(2, _field(1, int(d)), 2) for d in array.shape)
        entry = (
            _field(1, _NUMPY_TO_TF[array.dtype]) + _field(2, shape, 2) +
            (_field(4, len(data)) if data else b'') + _field(5, len(raw)) +
            _field(6, mask(crc32c(raw)), 5))
        entries.append((name.encode('utf-8'), entry))
        data += raw
    version = _field(1, 1)  # producer 1, as TF writes it
    header = _field(1, 1) + _field(3, version, 2)
    write_sstable(prefix + '.index', [(b'', header)] + entries)
    with open(prefix + '.data-00000-of-00001', 'wb') as f:
        f.write(data)
    return prefix
