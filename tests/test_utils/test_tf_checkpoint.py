# Copyright (c) constcl_mm authors. All rights reserved.
"""The TF checkpoint reader without TensorFlow: CRC-32C, the SSTable, the
bundle protos, and its errors, on the checkpoint TF wrote in
``tests/data/tf_cvrl/cvrl_reduced`` (tools/tf/make_cvrl_goldens.py)."""
import os.path as osp
import shutil
import struct

import numpy as np
import pytest
from helpers.paths import data_path

from constcl_mm.utils import tf_checkpoint as tfc
from constcl_mm.utils.crc32c import _raw_bytes, crc32c, mask, unmask

PREFIX_NAME = 'cvrl_reduced_backbone-1'
STEM = 'backbone/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE'


@pytest.fixture
def ckpt(tmp_path):
    """A writable copy of the golden checkpoint folder; its prefix."""
    folder = tmp_path / 'ckpt'
    shutil.copytree(data_path('tf_cvrl', 'cvrl_reduced'), folder)
    return str(folder / PREFIX_NAME)


def byte_loop_crc(data: bytes) -> int:
    return _raw_bytes(0xFFFFFFFF, data) ^ 0xFFFFFFFF


@pytest.mark.parametrize(
    'data,expected',
    [
        (b'123456789', 0xE3069283),  # the CRC-32C check value
        (bytes(32), 0x8A9136AA),  # RFC 3720 B.4
        (b'\xff' * 32, 0x62A8AB43),
        (bytes(range(32)), 0x46DD794E),
        (b'', 0),
    ])
def test_crc32c_known_values(data, expected):
    assert crc32c(data) == expected


@pytest.mark.parametrize('size', [1023, 1024, 1025, 4096 + 3, 300001])
def test_crc32c_lanes_match_the_byte_loop(size):
    data = np.random.default_rng(size).integers(0, 256, size, np.uint8)
    assert crc32c(data) == byte_loop_crc(data.tobytes())
    cut = size // 3  # continuing a CRC
    assert crc32c(data[cut:], crc32c(data[:cut])) == crc32c(data)
    assert crc32c(data.view(np.uint8).reshape(-1, 1)) == crc32c(data)


def test_mask_round_trip():
    for value in (0, 1, 0xE3069283, 0xFFFFFFFF):
        assert unmask(mask(value)) == value
    assert mask(0xE3069283) != 0xE3069283


def test_reads_the_tf_written_checkpoint(ckpt):
    reader = tfc.TFCheckpointReader(ckpt)
    assert reader.num_shards == 1 and not reader.big_endian
    variables = reader.variables()
    assert len(variables) == 117  # 115 weights, save_counter, object graph
    assert variables[STEM] == ('float32', (5, 7, 7, 3, 4))
    assert variables['_CHECKPOINTABLE_OBJECT_GRAPH'] == ('string', ())
    tensors = tfc.load_tf_checkpoint(ckpt, strings=True)
    assert tensors['save_counter/.ATTRIBUTES/VARIABLE_VALUE'] == 1
    assert tensors[STEM].dtype == np.float32
    assert tensors[STEM].shape == (5, 7, 7, 3, 4)
    graph = tensors['_CHECKPOINTABLE_OBJECT_GRAPH'].item()
    assert b'layer_with_weights-0' in graph  # a TrackableObjectGraph proto
    assert 1 in tfc.parse_proto(graph)  # its repeated `nodes` field
    assert '_CHECKPOINTABLE_OBJECT_GRAPH' not in tfc.load_tf_checkpoint(ckpt)


def test_values_are_the_seeded_weights(ckpt):
    # the goldens script set every variable from random_cvrl_weights
    from constcl_mm.testing.cvrl_weights import random_cvrl_weights
    tensors = tfc.load_tf_checkpoint(ckpt)
    expected = random_cvrl_weights({k: v.shape for k, v in tensors.items()})
    assert len(expected) == 115
    for name, value in expected.items():
        np.testing.assert_array_equal(tensors[name], value, err_msg=name)


@pytest.mark.parametrize('form', ['prefix', 'index', 'data', 'folder'])
def test_prefix_forms(ckpt, form):
    path = dict(
        prefix=ckpt,
        index=ckpt + '.index',
        data=ckpt + '.data-00000-of-00001',
        folder=osp.dirname(ckpt))[form]
    assert tfc.resolve_prefix(path) == ckpt


def test_unknown_prefix_lists_the_checkpoints(ckpt):
    wrong = osp.join(osp.dirname(ckpt), 'r3d_1x_k400_200ep_backbone-1')
    with pytest.raises(tfc.TFCheckpointError) as err:
        tfc.load_tf_checkpoint(wrong)
    assert 'no TF checkpoint with this prefix' in str(err.value)
    assert PREFIX_NAME in str(err.value)


def test_missing_shard(ckpt):
    shard = ckpt + '.data-00000-of-00001'
    shutil.move(shard, shard + '.bak')
    with pytest.raises(
            tfc.TFCheckpointError, match='data shard 0 of 1 is '
            'missing'):
        tfc.load_tf_checkpoint(ckpt)


def test_truncated_data_file(ckpt):
    shard = ckpt + '.data-00000-of-00001'
    data = open(shard, 'rb').read()
    open(shard, 'wb').write(data[:len(data) // 2])
    with pytest.raises(tfc.TFCheckpointError, match='truncated'):
        tfc.load_tf_checkpoint(ckpt)


@pytest.mark.parametrize('keep', [30, 2000])
def test_truncated_index(ckpt, keep):
    index = ckpt + '.index'
    data = open(index, 'rb').read()
    open(index, 'wb').write(data[:keep])
    with pytest.raises(tfc.TFCheckpointError, match='truncated'):
        tfc.load_tf_checkpoint(ckpt)


def test_corrupt_tensor_is_named(ckpt):
    reader = tfc.TFCheckpointReader(ckpt)
    entry = reader.entries[STEM]
    shard = ckpt + '.data-00000-of-00001'
    data = bytearray(open(shard, 'rb').read())
    data[entry.offset + 5] ^= 0x10
    open(shard, 'wb').write(bytes(data))
    with pytest.raises(tfc.TFCheckpointError) as err:
        tfc.load_tf_checkpoint(ckpt)
    assert 'checksum mismatch' in str(err.value) and STEM in str(err.value)
    # without verification the (corrupt) values come back
    assert tfc.load_tf_checkpoint(
        ckpt, verify=False)[STEM].shape == (5, 7, 7, 3, 4)


def test_corrupt_index_block(ckpt):
    index = ckpt + '.index'
    data = bytearray(open(index, 'rb').read())
    data[100] ^= 0x01
    open(index, 'wb').write(bytes(data))
    with pytest.raises(
            tfc.TFCheckpointError, match='checksum mismatch in '
            'the block'):
        tfc.TFCheckpointReader(ckpt)


def _bundle(tmp_path, entry: bytes, payload: bytes = b'\0' * 4) -> str:
    """A checkpoint with one hand-written BundleEntryProto."""
    prefix = str(tmp_path / 'hand' / 'ckpt')
    header = tfc._field(1, 1) + tfc._field(3, tfc._field(1, 1), 2)
    (tmp_path / 'hand').mkdir()
    tfc.write_sstable(prefix + '.index', [(b'', header), (b'x', entry)])
    with open(prefix + '.data-00000-of-00001', 'wb') as f:
        f.write(payload)
    return prefix


def test_unknown_dtype(tmp_path):
    shape = tfc._field(2, tfc._field(1, 1), 2)
    entry = tfc._field(1, 99) + tfc._field(2, shape, 2) + tfc._field(5, 4)
    with pytest.raises(tfc.TFCheckpointError, match='dtype DataType 99'):
        tfc.load_tf_checkpoint(_bundle(tmp_path, entry))


def test_sliced_variable_is_refused(tmp_path):
    shape = tfc._field(2, tfc._field(1, 1), 2)
    entry = (
        tfc._field(1, 1) + tfc._field(2, shape, 2) + tfc._field(5, 4) +
        tfc._field(7, b'', 2))
    with pytest.raises(tfc.TFCheckpointError, match='partitioned'):
        tfc.load_tf_checkpoint(_bundle(tmp_path, entry))


def test_writer_round_trip(tmp_path):
    arrays = {
        'a/kernel': np.arange(24, dtype=np.float32).reshape(2, 3, 4),
        'b': np.array(7, dtype=np.int64),
        'c': np.array([True, False]),
        'd': np.linspace(-1, 1, 5).astype(np.float16),
        'e': np.arange(6, dtype=np.float64).reshape(3, 2).T,  # not contiguous
    }
    # enough names for several data blocks and restart points
    arrays.update(
        {f'z/{i:04d}': np.full(i % 5, i, np.int32)
         for i in range(300)})
    prefix = tfc.write_tf_checkpoint(str(tmp_path / 'w' / 'ck'), arrays)
    back = tfc.load_tf_checkpoint(prefix)
    assert set(back) == set(arrays)
    for name, value in arrays.items():
        assert back[name].dtype == value.dtype and back[name].shape == \
            value.shape, name
        np.testing.assert_array_equal(back[name], value, err_msg=name)


def _snappy_literal(data: bytes) -> bytes:
    """``data`` as a snappy stream of literals (no back-references)."""
    out = tfc._put_varint(len(data))
    for i in range(0, len(data), 256):
        chunk = data[i:i + 256]
        out += bytes([60 << 2, len(chunk) - 1]) + chunk
    return out


def test_snappy_blocks(tmp_path):
    assert tfc.snappy_decompress(
        bytes([12, 2 << 2]) + b'abc' + bytes([(5 << 2) | 1, 3])) == b'abc' * 4
    # a table whose data block is snappy-compressed reads the same
    out = bytearray()

    def add(contents: bytes, kind: bytes = b'\0') -> bytes:
        handle = tfc._put_varint(len(out)) + tfc._put_varint(len(contents))
        out.extend(contents + kind +
                   struct.pack('<I', mask(crc32c(contents + kind))))
        return handle

    entries = [(b'', b'h'), (b'k1', b'value one'), (b'k2', b'value two')]
    data = add(_snappy_literal(tfc._build_block(entries)), b'\x01')
    meta = add(tfc._build_block([]))
    index = add(tfc._build_block([(b'k2', data)], 1))
    out += (meta + index).ljust(40, b'\0')
    out += struct.pack('<Q', tfc.TABLE_MAGIC)
    path = tmp_path / 'snappy.index'
    path.write_bytes(bytes(out))
    assert tfc.read_sstable(str(path)) == entries


def test_matches_tf_load_checkpoint(ckpt):
    tf = pytest.importorskip('tensorflow')
    reader = tf.train.load_checkpoint(ckpt)
    ours = tfc.load_tf_checkpoint(ckpt, strings=True)
    names = dict(tf.train.list_variables(ckpt))
    assert set(names) == set(ours)
    for name in names:
        if ours[name].dtype == object:
            assert ours[name].item() == reader.get_tensor(name)
        else:
            np.testing.assert_array_equal(ours[name], reader.get_tensor(name))
