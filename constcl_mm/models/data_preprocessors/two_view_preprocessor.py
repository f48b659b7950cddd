# Copyright (c) constcl_mm authors. All rights reserved.
from typing import List, Optional, Sequence, Union

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseDataPreprocessor

from ..utils.memory_format import (MemoryFormat, get_memory_format,
                                   to_memory_format)
from .batch_photometric import apply_photometric_ops


@MODELS.register_module()
class ConSTCLDataPreprocessor(BaseDataPreprocessor):
    """Stacks the two views of every video into one 2B batch in [-1, 1].

    Each sample's ``inputs`` is a ``(2, 3, T, H, W)`` clip pair (uint8 or
    float, 0-255). The batch becomes ``(2B, 3, T, H, W)`` with rows
    ``0..B-1`` the first views and ``B..2B-1`` the second views (the
    official layout, official_implementation.md §5.4), normalised with ``(x -
    mean) / std``; the defaults (127.5) map 0-255 to [-1, 1] without
    per-channel statistics.

    Photometric augmentations deferred by the pipeline (the colour
    transforms with ``apply_on='device'``, or ``'auto'`` on a CUDA machine)
    arrive as drawn parameters in each sample's ``photometric_ops``
    metainfo; they are applied here, batched, on the device the batch was
    moved to, before the normalisation (see
    :mod:`.batch_photometric`).

    Args:
        mean (Sequence[float]): Per-channel mean. Defaults to 127.5.
        std (Sequence[float]): Per-channel std. Defaults to 127.5.
        num_views (int): Views per video. Defaults to 2.
        non_blocking (bool): Non-blocking host-to-device copies.
        memory_format (str): Layout of the output batch, 'channels_last_3d'
            (what :class:`ResNet3dY` runs fastest, see
            :mod:`constcl_mm.models.utils.memory_format`) or 'contiguous'.
            Defaults to 'channels_last_3d'.
        apply_photometric (bool): Apply the deferred photometric ops. With
            False a batch that carries some is refused (the augmentation
            would be lost). Defaults to True.
    """

    def __init__(self,
                 mean: Sequence[float] = (127.5, 127.5, 127.5),
                 std: Sequence[float] = (127.5, 127.5, 127.5),
                 num_views: int = 2,
                 non_blocking: bool = False,
                 memory_format: MemoryFormat = 'channels_last_3d',
                 apply_photometric: bool = True) -> None:
        super().__init__(non_blocking)
        self.apply_photometric = apply_photometric
        self.memory_format = get_memory_format(memory_format)
        if len(mean) != len(std):
            raise ValueError(f'mean {mean} and std {std} differ in length')
        self.num_views = num_views
        self.register_buffer('mean',
                             torch.tensor(mean).view(-1, 1, 1, 1), False)
        self.register_buffer('std', torch.tensor(std).view(-1, 1, 1, 1), False)

    def _stack(
            self, inputs: Union[torch.Tensor,
                                Sequence[torch.Tensor]]) -> torch.Tensor:
        if isinstance(inputs, torch.Tensor):
            inputs = list(inputs)
        if len(inputs) == 0:
            raise ValueError('empty batch')
        for i, clip in enumerate(inputs):
            if clip.dim() != 5 or clip.shape[0] != self.num_views:
                raise ValueError(
                    f'sample {i} of the batch has inputs of shape '
                    f'{tuple(clip.shape)}; ConSTCL needs '
                    f'({self.num_views}, C, T, H, W): {self.num_views} views '
                    'of each video')
            if clip.shape[1] != self.mean.shape[0]:
                raise ValueError(
                    f'sample {i} has {clip.shape[1]} channels, mean/std have '
                    f'{self.mean.shape[0]}')
            if clip.shape != inputs[0].shape:
                raise ValueError(
                    f'sample {i} has shape {tuple(clip.shape)}, sample 0 '
                    f'{tuple(inputs[0].shape)}: clips must share one shape')
        batch = torch.stack(list(inputs))  # (B, V, C, T, H, W)
        return batch.transpose(0, 1).flatten(0, 1)  # (V*B, C, T, H, W)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Stacks, moves to the device and normalises.

        Args:
            data (dict): ``inputs`` (list of ``(2, C, T, H, W)``) and
                ``data_samples`` (list, optional).
            training (bool): Unused (no batch augmentation).

        Returns:
            dict: ``inputs`` ``(2B, C, T, H, W)`` float in
            ``memory_format`` and ``data_samples``.
        """
        data = self.cast_data(data)
        # the layout change runs on the (uint8) input; the float cast and
        # the normalisation keep it
        batch = to_memory_format(
            self._stack(data['inputs']), self.memory_format)
        ops = self._deferred_ops(data.get('data_samples'))
        if ops is None:
            batch = batch.float()
        else:
            batch = apply_photometric_ops(batch, ops, self.num_views)
        batch = (batch - self.mean) / self.std
        return dict(inputs=batch, data_samples=data.get('data_samples'))

    def _deferred_ops(self, data_samples) -> Optional[List[List[dict]]]:
        """The samples' ``photometric_ops``, or None when there are none."""
        if not data_samples:
            return None
        ops = [s.metainfo.get('photometric_ops') for s in data_samples]
        if all(o is None for o in ops):
            return None
        if any(o is None for o in ops):
            raise ValueError('some samples of the batch carry deferred '
                             'photometric ops (photometric_ops) and others '
                             'do not: one pipeline must build the batch')
        if not self.apply_photometric:
            raise ValueError(
                'the batch carries photometric ops deferred to the device '
                "(apply_on='device'/'auto' in the pipeline) but the data "
                'preprocessor has apply_photometric=False: set it to True or '
                "apply_on='cpu' in the pipeline")
        return ops
