# Copyright (c) constcl_mm authors. All rights reserved.
"""A checksum of a state dict's contents, independent of how it is saved.

``sha256sum`` of a ``.pth`` file changes with the pickle and zip details of
the torch version that wrote it; this digest only covers what loads: the
keys in sorted order and, for each, its dtype, shape and values (contiguous,
little-endian bytes). ``python tools/convert_tf_cvrl.py --digest FILE``
prints it for a checkpoint.
"""
import hashlib
from typing import Mapping

import torch


def state_dict_digest(state: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 hex digest of ``state`` (key, dtype, shape, bytes)."""
    sha = hashlib.sha256()
    for key in sorted(state):
        value = state[key]
        if not isinstance(value, torch.Tensor):
            raise TypeError(f'{key}: not a tensor ({type(value).__name__})')
        tensor = value.detach().cpu().contiguous()
        sha.update(key.encode('utf-8') + b'\0')
        sha.update(f'{tensor.dtype}{tuple(tensor.shape)}'.encode() + b'\0')
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.view(torch.int16)
        array = tensor.numpy()
        sha.update(array.astype(array.dtype.newbyteorder('<')).tobytes())
    return sha.hexdigest()
