# Copyright (c) constcl_mm authors. All rights reserved.
"""Mixed precision on any device: bf16 where supported, else fp16 + scaler."""
from contextlib import contextmanager
from typing import Optional, Union

import torch
import torch.nn as nn
from mmaction.registry import OPTIM_WRAPPERS
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.optim import OptimWrapper

AMP_DTYPES = ('auto', 'bfloat16', 'float16')
LossScale = Union[str, float, dict, None]


def _device_type(device: Optional[Union[str, torch.device]]) -> str:
    if device is None:
        device = get_device()
    return torch.device(device).type


def resolve_amp_dtype(
        dtype: Union[str, torch.dtype] = 'auto',
        device: Optional[Union[str, torch.device]] = None) -> torch.dtype:
    """The autocast dtype of ``--amp`` on ``device``.

    ``'auto'`` is bfloat16 where the device runs it natively (the CPU; CUDA
    GPUs with ``torch.cuda.is_bf16_supported()``, i.e. Ampere and newer)
    and float16 (with a loss scaler) otherwise (older GPUs, other
    accelerators). The official ConST-CL code trains in bfloat16.

    Args:
        dtype (str | torch.dtype): 'auto', 'bfloat16' or 'float16'.
        device (str | torch.device, optional): Defaults to mmengine's
            ``get_device()`` (CUDA when available, else the CPU).

    Returns:
        torch.dtype: ``torch.bfloat16`` or ``torch.float16``.

    Raises:
        ValueError: Unknown dtype, or bfloat16 forced on a CUDA GPU that
            does not support it.
    """
    device_type = _device_type(device)
    if isinstance(dtype, torch.dtype):
        dtype = str(dtype).replace('torch.', '')
    if dtype not in AMP_DTYPES:
        raise ValueError(
            f'amp dtype must be one of {AMP_DTYPES}, got {dtype!r}')
    if dtype == 'auto':
        if device_type == 'cpu':
            return torch.bfloat16
        if device_type == 'cuda' and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float16
    if dtype == 'bfloat16' and device_type == 'cuda' and \
            not torch.cuda.is_bf16_supported():
        raise ValueError(
            'amp dtype bfloat16: this GPU does not support bfloat16 '
            '(torch.cuda.is_bf16_supported() is False; Ampere or newer '
            "needed); use 'float16' or 'auto'")
    return getattr(torch, dtype)


def _build_scaler(loss_scale: LossScale,
                  device_type: str) -> Optional[torch.amp.GradScaler]:
    if loss_scale is None or loss_scale == 'dynamic':
        return torch.amp.GradScaler(device_type)
    if isinstance(loss_scale, (int, float)) and \
            not isinstance(loss_scale, bool):
        # a static scale (reset to it after every step, see ``step``)
        return torch.amp.GradScaler(device_type, init_scale=float(loss_scale))
    if isinstance(loss_scale, dict):
        return torch.amp.GradScaler(device_type, **loss_scale)
    raise TypeError("optim_wrapper.loss_scale must be 'dynamic', a number or "
                    f'a dict of GradScaler arguments, got {loss_scale!r}')


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """Runs the forward pass under ``torch.autocast`` on any device.

    mmengine's ``AmpOptimWrapper`` requires a GPU (it asserts CUDA/NPU/MLU)
    and always keeps a ``GradScaler``. bfloat16 has float32's exponent range
    and needs no loss scaling; float16 does. This wrapper is the ``--amp``
    path everywhere: bfloat16 without a scaler where the device supports it
    (the CPU, Ampere and newer GPUs, as the official code trains in bf16 on
    TPUs), float16 with a ``torch.amp.GradScaler`` otherwise (or when
    forced). The losses stay float32 (our heads disable autocast).

    Args:
        dtype (str | torch.dtype): 'auto' (see :func:`resolve_amp_dtype`),
            'bfloat16' or 'float16'. Defaults to 'auto'.
        loss_scale (str | float | dict, optional): float16 only: 'dynamic'
            (the default), a static scale or ``GradScaler`` arguments.
            Refused with bfloat16, which needs none.
        device (str, optional): The training device. Defaults to mmengine's
            ``get_device()`` (the runner's device).
        **kwargs: Passed to :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self,
                 dtype: Union[str, torch.dtype] = 'auto',
                 loss_scale: LossScale = None,
                 device: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.device_type = _device_type(device)
        try:
            self.cast_dtype = resolve_amp_dtype(dtype, self.device_type)
        except ValueError as e:
            raise ValueError(f'optim_wrapper.dtype: {e}') from None
        if self.cast_dtype == torch.bfloat16:
            if loss_scale is not None:
                raise ValueError(
                    f'optim_wrapper.loss_scale={loss_scale!r} with bfloat16 '
                    '(which needs no loss scaling): drop loss_scale or set '
                    "dtype='float16'")
            self.loss_scaler = None
        else:
            self.loss_scaler = _build_scaler(loss_scale, self.device_type)
        self._static_scale = float(loss_scale) if isinstance(
            loss_scale, (int, float)) and self.loss_scaler else None

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        """Backward pass, through the loss scaler in float16."""
        if self.loss_scaler is None:
            return super().backward(loss, **kwargs)
        self.loss_scaler.scale(loss).backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs) -> None:
        """Optimizer step; float16 unscales (for clipping) and skips steps
        with inf/NaN gradients, updating the scale."""
        if self.loss_scaler is None:
            return super().step(**kwargs)
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update(self._static_scale)

    def state_dict(self) -> dict:
        """The optimizer state, with ``loss_scaler`` in float16."""
        state = super().state_dict()
        if self.loss_scaler is not None:
            state['loss_scaler'] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        """Loads the optimizer state (and the scaler's, when both have
        one: a bf16 run resumes an fp16 checkpoint and vice versa)."""
        state_dict = dict(state_dict)
        scaler_state = state_dict.pop('loss_scaler', None)
        if scaler_state is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(scaler_state)
        super().load_state_dict(state_dict)

    @contextmanager
    def optim_context(self, model: nn.Module):
        """Autocast on the device that holds the model's parameters."""
        param = next(model.parameters(), None)
        device_type = param.device.type if param is not None \
            else self.device_type
        with super().optim_context(model), torch.autocast(
                device_type=device_type, dtype=self.cast_dtype):
            yield


def enable_amp(cfg: Config, dtype: Optional[str] = None) -> Config:
    """Switches a config to mixed precision (``tools/train.py --amp``).

    The optim wrapper becomes :class:`AutocastOptimWrapper` with ``dtype``
    (``--amp-dtype``), else the config's ``optim_wrapper.dtype``, else
    'auto': bfloat16 on the CPU and on GPUs that support it, float16 with a
    dynamic loss scaler otherwise. A ``loss_scale`` of the config is kept
    for float16 and dropped for bfloat16.

    Args:
        cfg (Config): The config, changed in place.
        dtype (str, optional): 'auto', 'bfloat16' or 'float16'.

    Returns:
        Config: ``cfg``.
    """
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper not in ('OptimWrapper', 'AmpOptimWrapper',
                       'AutocastOptimWrapper'):
        raise ValueError(
            f'--amp cannot convert the custom optim_wrapper type {wrapper!r}')
    if dtype is None:
        dtype = cfg.optim_wrapper.get('dtype', None) or 'auto'
    resolved = resolve_amp_dtype(dtype)
    cfg.optim_wrapper.type = 'AutocastOptimWrapper'
    cfg.optim_wrapper.dtype = dtype
    if resolved == torch.bfloat16:
        cfg.optim_wrapper.pop('loss_scale', None)
    return cfg


def enable_test_amp(cfg: Config, dtype: Optional[str] = None) -> torch.dtype:
    """Mixed-precision evaluation (``tools/test.py --amp``).

    Turns on ``fp16`` (mmengine's autocast switch) of the config's
    ``val_cfg``/``test_cfg`` loops and sets the process's autocast dtype of
    the device to the resolved ``dtype`` (see :func:`resolve_amp_dtype`),
    which mmengine's loops read.

    Args:
        cfg (Config): The config, changed in place.
        dtype (str, optional): 'auto' (default), 'bfloat16' or 'float16'.

    Returns:
        torch.dtype: The autocast dtype.

    Raises:
        ValueError: float16 on the CPU (mmengine's CPU autocast runs
            bfloat16 only), or a loop that is not ValLoop/TestLoop.
    """
    device_type = _device_type(None)
    resolved = resolve_amp_dtype(dtype or 'auto', device_type)
    if device_type == 'cpu' and resolved != torch.bfloat16:
        raise ValueError('--amp-dtype float16: evaluation on the CPU runs '
                         "autocast in bfloat16 only; use 'bfloat16' or "
                         "'auto'")
    for key in ('val_cfg', 'test_cfg'):
        loop = cfg.get(key, None)
        if not loop:
            continue
        if loop.get('type', None) not in ('ValLoop', 'TestLoop'):
            raise ValueError(f"--amp: {key}.type={loop.get('type')!r} has no "
                             'fp16 switch (ValLoop/TestLoop have)')
        loop.fp16 = True
    if device_type in ('cpu', 'cuda'):
        torch.set_autocast_dtype(device_type, resolved)
    return resolved
