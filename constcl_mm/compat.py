# Copyright (c) constcl_mm authors. All rights reserved.
"""Fixes for the OpenMMLab stack constcl_mm runs on, kept in one place.

``constcl_mm/__init__.py`` calls :func:`apply` before anything imports
``mmaction.models``. It

1. checks that mmcv was built with its compiled ops (``mmcv._ext``) and fails
   at once with the fix when it was not, instead of a late registry KeyError
   (mmaction2 registers its AVA heads inside a silent ``try/except``);
2. provides ``mmaction.models.localizers.drn``, which the mmaction2 1.2.0 wheel
   lacks although ``mmaction.models.localizers`` imports it (mmaction2 #2714);
3. makes mmengine load checkpoints with ``torch.load(weights_only=True)`` on
   every torch version, and allow-lists exactly the few non-tensor types
   that an mmengine runner checkpoint holds, so that ``--resume`` and
   ``load_from`` work under torch >= 2.6 while an untrusted pickle still
   cannot run code;
4. lets mmengine's ``pytorch`` launcher start on machines without CUDA
   (mmengine 0.10.7 calls ``torch.cuda.set_device`` unconditionally), with
   the gloo backend, so ``tools/dist_train.sh CONFIG N`` runs on CPUs;
5. makes ``Runner.resume`` refuse, with the file named, a checkpoint that
   cannot continue the run (:mod:`constcl_mm.engine.resume_checks`).
6. adds ``sync_bn='constcl'`` (a BatchNorm synchronised over gloo or NCCL)
   to ``Runner.wrap_model`` and logs the BatchNorm of every distributed run
   (:mod:`constcl_mm.engine.sync_bn`).
"""
import importlib.util
import os.path as osp
import pickle
import sys
import types
from typing import Any, Callable, List, Optional, Tuple, Union

import torch

MMCV_OPS_FIX = (
    'Reinstall mmcv with its ops: `pip uninstall -y mmcv mmcv-lite && '
    'MMCV_WITH_OPS=1 pip install --no-build-isolation mmcv==2.1.0` '
    '(torch must be installed first), or run `make install` in the '
    'constcl_mm checkout.')

_APPLIED = False


class CheckpointSafetyError(pickle.UnpicklingError):
    """A checkpoint holds objects outside the weights-only allow-list."""


class CheckpointFormatError(ValueError):
    """A file given as a checkpoint is no ``torch.save`` file at all."""


# --------------------------------------------------------------------------
# 1. mmcv compiled ops
# --------------------------------------------------------------------------
def check_mmcv_ops() -> None:
    """Raises ``ImportError`` naming the fix when ``mmcv._ext`` is missing."""
    try:
        import mmcv  # noqa: F401
    except ImportError as e:
        raise ImportError(
            f'constcl_mm needs mmcv 2.1.0 with compiled ops: {e}. '
            f'{MMCV_OPS_FIX}') from e
    try:
        importlib.import_module('mmcv._ext')
    except ImportError as e:
        raise ImportError(
            'mmcv is installed without its compiled ops (`mmcv._ext` cannot '
            f'be imported: {e}); RoIAlign, mmdet.models and the AVA heads '
            f'need them. {MMCV_OPS_FIX}') from e


# --------------------------------------------------------------------------
# 2. mmaction.models.localizers.drn
# --------------------------------------------------------------------------
def _drn_missing() -> bool:
    spec = importlib.util.find_spec('mmaction')
    if spec is None or not spec.submodule_search_locations:
        return False
    root = spec.submodule_search_locations[0]
    return not osp.isfile(
        osp.join(root, 'models', 'localizers', 'drn', 'drn.py'))


def install_drn_stub() -> bool:
    """Inserts ``mmaction.models.localizers.drn(.drn)`` if the wheel lacks it.

    The stub's ``DRN`` is not registered; constructing it raises an error that
    explains why. Returns whether a stub was installed.
    """
    name = 'mmaction.models.localizers.drn'
    if name in sys.modules or not _drn_missing():
        return False

    class DRN:  # noqa: D401  (placeholder with a helpful error)
        """Placeholder: DRN's code is absent from the mmaction2 1.2.0 wheel."""

        def __init__(self, *args, **kwargs) -> None:
            raise RuntimeError(
                'DRN is not available: the mmaction2 1.2.0 wheel ships '
                'without mmaction/models/localizers/drn (mmaction2 issue '
                '#2714). Install mmaction2 from source to use DRN.')

    package = types.ModuleType(name)
    package.__path__ = []  # a package, so that `.drn` can be imported
    package.__doc__ = 'constcl_mm stub for the missing DRN localizer.'
    module = types.ModuleType(name + '.drn')
    DRN.__module__ = module.__name__
    DRN.__qualname__ = 'DRN'
    module.DRN = DRN
    package.drn = module
    sys.modules[name] = package
    sys.modules[name + '.drn'] = module
    return True


# --------------------------------------------------------------------------
# 3. Safe checkpoint loading
# --------------------------------------------------------------------------
# HistoryBuffer registers these lazily, in its first __init__.
_BUILTIN_STATISTICS = frozenset(('min', 'max', 'current', 'mean'))


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """The only ``getattr`` a runner checkpoint may use.

    ``HistoryBuffer`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'min')`` and so on. A general ``getattr`` would
    let a crafted pickle walk to arbitrary callables, so only these lookups
    are served.
    """
    from mmengine.logging import HistoryBuffer
    allowed = _BUILTIN_STATISTICS | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(HistoryBuffer, name)
    raise CheckpointSafetyError(
        f'refused getattr({obj!r}, {name!r}) while loading a checkpoint: '
        'only HistoryBuffer statistics methods may be looked up')


def _empty_bytes(*args: Any) -> bytes:
    """The only ``bytes(...)`` a runner checkpoint may call.

    numpy pickles the data of an empty array (for example the history of an
    mmengine ``HistoryBuffer`` that was never updated) as ``bytes()``; data
    of non-empty arrays goes through ``_codecs.encode``, which torch handles
    itself. ``bytes(n)`` would allocate ``n`` bytes, so arguments are
    refused.
    """
    if args:
        raise CheckpointSafetyError(
            f'refused bytes{args!r} while loading a checkpoint: only the '
            'empty bytes() of an empty numpy array may be built')
    return b''


def checkpoint_safe_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    """The non-tensor globals an mmengine runner checkpoint contains.

    Found with ``torch.serialization.get_unsafe_globals_in_checkpoint`` on
    runner checkpoints (``message_hub`` holds ``HistoryBuffer`` objects with
    numpy arrays and numpy scalars; an empty array adds ``bytes()``);
    nothing else is allowed.
    """
    import numpy as np
    from mmengine.logging import HistoryBuffer
    multiarray = np._core.multiarray if hasattr(np, '_core') \
        else np.core.multiarray
    allowed: List[Union[Callable, Tuple[Callable, str]]] = [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        (_history_buffer_getattr, 'builtins.getattr'),
        (_empty_bytes, 'builtins.bytes'),
    ]
    # numpy 2 pickles under numpy._core, numpy 1 under numpy.core.
    for module in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        allowed.append((multiarray._reconstruct, f'{module}._reconstruct'))
        allowed.append((multiarray.scalar, f'{module}.scalar'))
    # numpy >= 1.25 has one dtype class per scalar type (np.dtypes.Float64DType
    # ...); they appear when a dtype object itself is pickled.
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        for name in dir(dtypes):
            cls = getattr(dtypes, name)
            if isinstance(cls, type) and issubclass(cls, np.dtype):
                allowed.append(cls)
    return allowed


def _describe_refusal(filename: str, err: Exception) -> CheckpointSafetyError:
    # keep torch's diagnosis, drop its advice to switch weights_only off
    text = str(err)
    start = text.find('WeightsUnpickler error:')
    if start >= 0:
        end = text.find('Check the documentation', start)
        text = text[start:end if end > start else None].strip()
    return CheckpointSafetyError(
        f'Refused to load checkpoint {filename!r}: it contains objects '
        'outside the weights-only allow-list, and constcl_mm never turns '
        "torch.load's safety check off (an untrusted pickle could run code). "
        f'Details: {text} If you trust this file and it only holds plain '
        'data types, allow them with '
        '`constcl_mm.compat.allow_checkpoint_globals([...])`, or convert it '
        'to a plain state_dict.')


#: ``(offset, magic, what)`` of files often given as a checkpoint by mistake.
_NOT_CHECKPOINTS = (
    (4, b'ftyp', 'an MP4/MOV video'),
    (0, b'RIFF', 'a RIFF file (AVI video or WAV audio)'),
    (0, b'\x1aE\xdf\xa3', 'a Matroska/WebM video'),
    (0, b'\xff\xd8\xff', 'a JPEG image'),
    (0, b'\x89PNG', 'a PNG image'),
    (0, b'\x89HDF', 'an HDF5 file (Keras weights?)'),
    (0, b'\x1f\x8b', 'a gzip archive'),
)


def not_a_checkpoint(filename: str) -> Optional[str]:
    """Why a local file cannot be a ``torch.save`` file, or None.

    ``torch.save`` writes a zip archive (``PK``) or, before torch 1.6 or
    with ``_use_new_zipfile_serialization=False``, a pickle (``0x80``).
    """
    with open(filename, 'rb') as f:
        head = f.read(16)
    if head.startswith(b'PK') or head.startswith(b'\x80'):
        return None
    if not head:
        return 'it is empty (0 bytes)'
    for offset, magic, what in _NOT_CHECKPOINTS:
        if head[offset:offset + len(magic)] == magic:
            return f'it is {what}'
    return (f'it starts with {head[:8]!r}, not like a torch.save file (a zip '
            'archive or a pickle)')


def safe_torch_load(
        filename: str,
        map_location: Optional[Union[str, Callable]] = None) -> Any:
    """``torch.load`` with ``weights_only=True`` and a clear refusal error."""
    problem = not_a_checkpoint(filename) if isinstance(filename, str) and \
        osp.isfile(filename) else None
    if problem:
        raise CheckpointFormatError(
            f'{filename} is not a checkpoint file: {problem}. Give the .pth '
            'file a training run wrote (e.g. work_dirs/<config>/iter_N.pth) '
            'or an exported backbone.')
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        raise _describe_refusal(filename, e) from e
    except (RuntimeError, EOFError, ValueError) as e:
        raise RuntimeError(
            f'cannot read checkpoint {filename!r} (truncated, corrupt or not '
            f'a torch file): {e}') from e


def load_from_local(
        filename: str,
        map_location: Optional[Union[str, Callable]] = None) -> Any:
    """mmengine ``CheckpointLoader`` backend for local paths (weights only).

    The name must start with ``load_from_``: mmengine logs ``name[10:]``.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found.')
    return safe_torch_load(filename, map_location)


def load_from_http(filename: str,
                   map_location: Optional[Union[str, Callable]] = None,
                   model_dir: Optional[str] = None) -> Any:
    """mmengine backend for URLs: download once per node, load weights only."""
    from mmengine.dist import barrier, get_dist_info
    from torch.hub import download_url_to_file, get_dir
    rank, world_size = get_dist_info()
    model_dir = model_dir or osp.join(get_dir(), 'checkpoints')
    cached = osp.join(model_dir, osp.basename(filename.split('?')[0]))
    if rank == 0 and not osp.isfile(cached):
        import os
        os.makedirs(model_dir, exist_ok=True)
        download_url_to_file(filename, cached, progress=sys.stderr.isatty())
    if world_size > 1:
        barrier()
    return safe_torch_load(cached, map_location)


def allow_checkpoint_globals(
        extra: List[Union[Callable, Tuple[Callable, str]]]) -> None:
    """Adds trusted types to the weights-only allow-list."""
    torch.serialization.add_safe_globals(list(extra))


def install_safe_checkpoint_loading() -> None:
    """Allow-lists runner-checkpoint types; routes mmengine through them."""
    from mmengine.runner.checkpoint import CheckpointLoader
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'), loader=load_from_http, force=True)


# --------------------------------------------------------------------------
# 4. Distributed launch without CUDA
# --------------------------------------------------------------------------
def install_cpu_distributed() -> None:
    """Makes mmengine's pytorch launcher and DDP wrapper work without CUDA.

    mmengine 0.10.7 calls ``torch.cuda.set_device`` in ``init_dist`` and
    passes ``device_ids=[LOCAL_RANK]`` to DDP, both of which fail for CPU
    modules. Without CUDA the process group uses gloo and DDP gets no
    ``device_ids``; with CUDA nothing changes.
    """
    from mmengine.dist import utils as dist_utils
    from mmengine.model.wrappers import MMDistributedDataParallel
    original = dist_utils._init_dist_pytorch
    if getattr(original, '_constcl_cpu_fallback', False):
        return

    ddp_init = MMDistributedDataParallel.__init__

    def ddp_init_cpu_aware(self, module, *args, **kwargs):
        if kwargs.get('device_ids') is not None and all(
                p.device.type == 'cpu' for p in module.parameters()):
            kwargs['device_ids'] = None
        ddp_init(self, module, *args, **kwargs)

    MMDistributedDataParallel.__init__ = ddp_init_cpu_aware

    def _init_dist_pytorch(backend: str = 'nccl',
                           init_backend: str = 'torch',
                           **kwargs) -> None:
        if torch.cuda.is_available() or init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        if backend == 'nccl':
            backend = 'gloo'
        torch.distributed.init_process_group(backend=backend, **kwargs)

    _init_dist_pytorch._constcl_cpu_fallback = True
    _init_dist_pytorch.__doc__ = original.__doc__
    dist_utils._init_dist_pytorch = _init_dist_pytorch


def apply() -> None:
    """Applies every fix once. Called by ``import constcl_mm``."""
    global _APPLIED
    if _APPLIED:
        return
    check_mmcv_ops()
    install_drn_stub()
    install_safe_checkpoint_loading()
    install_cpu_distributed()
    from .engine.resume_checks import install_resume_checks
    install_resume_checks()
    from .engine.sync_bn import install_sync_bn
    install_sync_bn()
    _APPLIED = True
