# Copyright (c) constcl_mm authors. All rights reserved.
"""Reading data pickles (proposal files, result dumps) without running code.

A pickle names functions that the loader calls to rebuild its objects, so
``pickle.load`` (and ``mmengine.load`` of a ``.pkl``) runs whatever a
crafted file asks for. :func:`load_data_pickle` unpickles with an
allow-list instead: plain containers and numbers (``dict``, ``list``,
``tuple``, ``str``, ``int``, ``float``, ``bool``, ``None``, which pickle
writes without naming any function), numpy arrays, dtypes and scalars, and,
only with ``allow_tensors=True``, torch tensors (their storage is read with
``torch.load(weights_only=True)``). Anything else raises
:class:`UnsafePickleError` naming the file and the refused type, before it
is called.

:func:`load_data_file` reads a ``.pkl`` / ``.pickle`` that way and a
``.json`` with :mod:`json`; other formats (mmengine would read ``.yaml``
with PyYAML's unsafe loader) are refused.
"""
import codecs
import io
import json
import os.path as osp
import pickle
from typing import Any, Callable, Dict

__all__ = ['UnsafePickleError', 'load_data_pickle', 'load_data_file']

PLAIN_TYPES = ('numpy arrays, dtypes and scalars, dict, list, tuple, str, '
               'int, float, bool and None')


class UnsafePickleError(pickle.UnpicklingError):
    """A data pickle names a type outside the allow-list.

    Args:
        filename (str): The pickle.
        refused (str): The refused ``module.name``.
        allowed (str): What the file may hold, for the message.
    """

    def __init__(self, filename: str, refused: str, allowed: str) -> None:
        super().__init__(
            f'refused to load {filename}: it names {refused}, which is not '
            f'a plain data type (a data pickle may hold only {allowed}); '
            'unpickling it would call that object, and constcl_mm never '
            'runs code from a data file. If the file is yours, rewrite it '
            'with plain types (e.g. {key: np.asarray(boxes, np.float32)}) '
            'or as JSON.')
        self.filename = filename
        self.refused = refused

    def __reduce__(self):
        return (self.__class__, (self.filename, self.refused, ''))


def _latin1_encode(text: str, encoding: str = 'utf-8') -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it for ``bytes``."""
    if not isinstance(text, str) or encoding not in ('latin1', 'latin-1'):
        raise pickle.UnpicklingError(
            f'refused _codecs.encode({type(text).__name__}, {encoding!r}): '
            "only the 'latin1' bytes of a protocol-2 pickle are rebuilt")
    return codecs.encode(text, encoding)


def _empty_bytes(*args: Any) -> bytes:
    """``bytes()``: protocol 2 writes the data of an empty array so."""
    if args:
        raise pickle.UnpicklingError(
            f'refused bytes{args!r}: only the empty bytes() of an empty '
            'numpy array are rebuilt')
    return b''


def _numpy_globals() -> Dict[str, Callable]:
    import numpy as np
    core = np._core if hasattr(np, '_core') else np.core
    allowed = {
        'numpy.ndarray': np.ndarray,
        'numpy.dtype': np.dtype,
        '_codecs.encode': _latin1_encode,
        'builtins.bytes': _empty_bytes,
        '__builtin__.bytes': _empty_bytes,
    }
    # numpy 2 pickles under numpy._core, numpy 1 under numpy.core
    for module in ('numpy._core', 'numpy.core'):
        allowed[f'{module}.multiarray._reconstruct'] = \
            core.multiarray._reconstruct
        allowed[f'{module}.multiarray.scalar'] = core.multiarray.scalar
        # protocol 5 (out-of-band buffers) rebuilds arrays with _frombuffer
        allowed[f'{module}.numeric._frombuffer'] = core.numeric._frombuffer
    dtypes = getattr(np, 'dtypes', None)  # numpy >= 1.25: a class per dtype
    for name in dir(dtypes) if dtypes is not None else ():
        cls = getattr(dtypes, name)
        if isinstance(cls, type) and issubclass(cls, np.dtype):
            allowed[f'numpy.dtypes.{name}'] = cls
    return allowed


def _tensor_from_bytes(data: bytes) -> Any:
    """``torch.storage._load_from_bytes`` with the weights-only loader."""
    import torch
    return torch.load(io.BytesIO(data), weights_only=True)


def _tensor_globals() -> Dict[str, Callable]:
    from collections import OrderedDict

    import torch
    return {
        'torch._utils._rebuild_tensor_v2': torch._utils._rebuild_tensor_v2,
        'torch._utils._rebuild_tensor': torch._utils._rebuild_tensor,
        'torch.storage._load_from_bytes': _tensor_from_bytes,
        # the (empty) backward hooks of a pickled tensor
        'collections.OrderedDict': OrderedDict,
    }


class _DataUnpickler(pickle.Unpickler):
    """An unpickler whose ``find_class`` serves the allow-list only."""

    def __init__(self, file, filename: str, allow_tensors: bool) -> None:
        super().__init__(file)
        self.filename = filename
        self.allowed = _numpy_globals()
        self.what = PLAIN_TYPES
        if allow_tensors:
            self.allowed.update(_tensor_globals())
            self.what += ' (and torch tensors)'

    def find_class(self, module: str, name: str) -> Callable:
        key = f'{module}.{name}'
        if key not in self.allowed:
            raise UnsafePickleError(self.filename, key, self.what)
        return self.allowed[key]

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(self.filename, f'persistent id {pid!r}',
                                self.what)


def load_data_pickle(filename: str, allow_tensors: bool = False) -> Any:
    """Unpickles a data file without executing anything it names.

    Args:
        filename (str): The pickle.
        allow_tensors (bool): Also rebuild torch tensors (result dumps of
            ``tools/test.py --dump``). Defaults to False.

    Returns:
        The unpickled plain data.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        UnsafePickleError: The file names a type outside the allow-list.
        pickle.UnpicklingError: The file is truncated or not a pickle.
    """
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} does not exist')
    with open(filename, 'rb') as f:
        try:
            return _DataUnpickler(f, filename, allow_tensors).load()
        except UnsafePickleError:
            raise
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError,
                AttributeError, IndexError) as e:
            raise pickle.UnpicklingError(
                f'cannot read {filename}: it is truncated, corrupt or not a '
                f'pickle ({type(e).__name__}: {e})') from e


def load_data_file(filename: str, allow_tensors: bool = False) -> Any:
    """Reads a ``.pkl`` / ``.pickle`` (allow-listed) or ``.json`` data file.

    Args:
        filename (str): The file.
        allow_tensors (bool): See :func:`load_data_pickle`.

    Returns:
        The file's content.
    """
    ext = osp.splitext(filename)[1].lower()
    if ext in ('.pkl', '.pickle'):
        return load_data_pickle(filename, allow_tensors)
    if ext == '.json':
        if not osp.isfile(filename):
            raise FileNotFoundError(f'{filename} does not exist')
        with open(filename, encoding='utf-8') as f:
            return json.load(f)
    raise ValueError(f'{filename}: unsupported data file format {ext!r}; '
                     'write it as .pkl (plain types) or .json')
