# Copyright (c) constcl_mm authors. All rights reserved.
from typing import List, Sequence, Union

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseDataPreprocessor

from ..utils.memory_format import (MemoryFormat, get_memory_format,
                                   to_memory_format)

Frames = Union[torch.Tensor, List[torch.Tensor]]


@MODELS.register_module()
class SOTDataPreprocessor(BaseDataPreprocessor):
    """Stacks and normalises tracking frames like pretraining.

    Inputs are ``uint8`` RGB frame stacks ``(T, 3, H, W)`` (a frame and its
    neighbours), either a list (one per sample) or a dict of such lists
    (training pairs: ``exemplar`` and ``search``). Each becomes a float
    batch ``(N, T, 3, H, W)`` normalised as ``(x - mean) / std``; with the
    pretraining values mean = std = 127.5 the range is [-1, 1].

    Args:
        mean (Sequence[float]): Per-channel mean. Defaults to 127.5 x 3.
        std (Sequence[float]): Per-channel std. Defaults to 127.5 x 3.
        memory_format (str): 'channels_last_3d' lays each batch out
            ``N, T, H, W, C`` in memory, so that the tracker's
            ``(N, C, T, H, W)`` view of it is ``torch.channels_last_3d``
            without a copy; or 'contiguous'. Defaults to
            'channels_last_3d'.
    """

    def __init__(self,
                 mean: Sequence[float] = (127.5, 127.5, 127.5),
                 std: Sequence[float] = (127.5, 127.5, 127.5),
                 memory_format: MemoryFormat = 'channels_last_3d') -> None:
        super().__init__()
        self.memory_format = get_memory_format(memory_format)
        if len(mean) != len(std):
            raise ValueError(f'mean {mean} and std {std} differ in length')
        if any(s <= 0 for s in std):
            raise ValueError(f'std must be > 0, got {std}')
        self.register_buffer(
            'mean',
            torch.tensor(mean, dtype=torch.float32).view(1, 1, -1, 1, 1),
            False)
        self.register_buffer(
            'std',
            torch.tensor(std, dtype=torch.float32).view(1, 1, -1, 1, 1), False)

    def _batch(self, frames: Frames) -> torch.Tensor:
        if isinstance(frames, torch.Tensor):
            batch = frames if frames.dim() == 5 else frames[None]
        else:
            shapes = {tuple(f.shape) for f in frames}
            if len(shapes) != 1:
                raise ValueError(
                    f'frames of different sizes {sorted(shapes)} in one '
                    'batch: one-pass evaluation runs with batch_size=1')
            batch = torch.stack(list(frames))
        if batch.dim() != 5 or batch.shape[2] != self.mean.shape[2]:
            raise ValueError(
                f'expected frames (N, T, {self.mean.shape[2]}, H, W), got '
                f'{tuple(batch.shape)}')
        batch = to_memory_format(batch, self.memory_format, channel_dim=2)
        return (batch.float() - self.mean) / self.std

    def forward(self, data: dict, training: bool = False) -> dict:
        """Returns ``dict(inputs, data_samples)`` on the model's device."""
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, dict):
            inputs = {k: self._batch(v) for k, v in inputs.items()}
        else:
            inputs = self._batch(inputs)
        return dict(inputs=inputs, data_samples=data.get('data_samples'))
