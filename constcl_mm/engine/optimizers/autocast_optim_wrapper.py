# Copyright (c) constcl_mm authors. All rights reserved.
"""Mixed precision without a loss scaler, on any device."""
from contextlib import contextmanager
from typing import Union

import torch
import torch.nn as nn
from mmaction.registry import OPTIM_WRAPPERS
from mmengine.config import Config
from mmengine.optim import OptimWrapper


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """Runs the forward pass under ``torch.autocast`` in ``dtype``.

    mmengine's ``AmpOptimWrapper`` requires a GPU (it asserts CUDA/NPU/MLU)
    and always keeps a ``GradScaler``. bfloat16 has float32's exponent range
    and needs no loss scaling, so this wrapper is the ``--amp`` path on the
    CPU (and a scaler-free bf16 option on GPUs), as the official ConST-CL
    code trains in bfloat16 on TPUs.

    Args:
        dtype (str | torch.dtype): Autocast dtype. Defaults to ``'bfloat16'``.
        **kwargs: Passed to :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self,
                 dtype: Union[str, torch.dtype] = 'bfloat16',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(dtype, str):
            if not hasattr(torch, dtype) or not isinstance(
                    getattr(torch, dtype), torch.dtype):
                raise ValueError(
                    f'optim_wrapper.dtype: unknown torch dtype {dtype!r}')
            dtype = getattr(torch, dtype)
        if dtype not in (torch.bfloat16, torch.float16):
            raise ValueError(
                'optim_wrapper.dtype must be bfloat16 or float16, got '
                f'{dtype}')
        self.cast_dtype = dtype

    @contextmanager
    def optim_context(self, model: nn.Module):
        """Autocast on the device that holds the model's parameters."""
        param = next(model.parameters(), None)
        device_type = param.device.type if param is not None else 'cpu'
        with super().optim_context(model), torch.autocast(
                device_type=device_type, dtype=self.cast_dtype):
            yield


def enable_amp(cfg: Config) -> Config:
    """Switches a config to mixed precision (``tools/train.py --amp``).

    With CUDA: mmengine's ``AmpOptimWrapper`` (fp16 with dynamic loss scale
    unless the config sets ``dtype``). Without CUDA: ``AutocastOptimWrapper``
    in bfloat16.
    """
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper not in ('OptimWrapper', 'AmpOptimWrapper',
                       'AutocastOptimWrapper'):
        raise ValueError(
            f'--amp cannot convert the custom optim_wrapper type {wrapper!r}')
    if torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:
        cfg.optim_wrapper.type = 'AutocastOptimWrapper'
        cfg.optim_wrapper.pop('loss_scale', None)
        cfg.optim_wrapper.setdefault('dtype', 'bfloat16')
    return cfg
