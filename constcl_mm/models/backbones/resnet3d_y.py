# Copyright (c) constcl_mm authors. All rights reserved.
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmaction.models.backbones.resnet3d import Bottleneck3d, ResNet3d
from mmaction.registry import MODELS
from mmengine.model.weight_init import constant_init, kaiming_init
from torch.nn.modules.batchnorm import _BatchNorm

from ..utils.checkpoint import load_backbone_checkpoint
from ..utils.memory_format import (MemoryFormat, get_memory_format,
                                   to_memory_format)
from ..utils.tf_same_padding import convert_to_tf_same_padding
from .bottleneck3d_y import Bottleneck3dY
from .stock_config_checks import (check_input_range, check_stock_backbone_args,
                                  guard_tensor_heads, warn_on_overwrite)

GLOBAL_INDEX = 3  # res5, layer4
LOCAL_INDEX = 4  # res5_1, layer4_local

guard_tensor_heads()  # I3DHead names the fix for ResNet3dY's tuple output


def variance_scaling_init(module: nn.Module) -> None:
    """Keras ``VarianceScaling()`` (scale 1, fan_in, truncated normal)."""
    weight = module.weight
    fan_in = weight.shape[1] * weight[0, 0].numel()
    # 0.8796... is the std of a unit normal truncated to [-2, 2]
    std = (1.0 / fan_in)**0.5 / 0.87962566103423978
    nn.init.trunc_normal_(weight, 0., std, -2 * std, 2 * std)
    if getattr(module, 'bias', None) is not None:
        nn.init.zeros_(module.bias)


@MODELS.register_module()
class ResNet3dY(ResNet3d):
    """ResNet3D-Y: CVRL's R3D-50 with res5 duplicated
    (official_implementation.md §1).

    The trunk is mmaction2's :class:`ResNet3d` configured as CVRL's R3D-50:
    stem conv 5x7x7 with temporal stride 2 (16 frames -> 8), no temporal
    pooling, 3x1x1 temporal kernels in res4/res5 only, the spatial stride in
    the 3x3 conv, projection shortcuts. A second res5 (``layer4_local``) with
    its own weights is fed by res4. Parameter names of the trunk are those of
    ``ResNet3d``, so checkpoints move between the two.

    Output indices: 0-3 are res2-res5 of the trunk (res5 = the global
    branch ``layer4``), 4 is the local branch ``layer4_local`` (res5_1).

    The bottleneck blocks are :class:`Bottleneck3dY` (the stock block with
    the residual sum in place: same parameters and values, one activation
    less per block).

    Args:
        depth (int): ResNet depth. Defaults to 50.
        branches (Sequence[str]): Which res5 copies to build: 'global'
            (``layer4``) and/or 'local' (``layer4_local``). Defaults to both.
        out_indices (Sequence[int], optional): Outputs, see above.
            Defaults to the res5 of each built branch: ``(3, 4)``
            (``(res5, res5_1)``) for both, ``(3,)`` or ``(4,)`` for one (a
            single tensor, what recognition heads such as ``I3DHead`` take).
        pretrained (str, optional): Backbone checkpoint, loaded strictly by
            :func:`load_backbone_checkpoint` (ConST-CL pretraining, mmaction2
            or exported checkpoints). Defaults to None.
        pretrained_branch (str, optional): Which source res5 ('global' or
            'local') feeds a backbone built with a single branch.
        pretrained2d (bool): Accepted for stock configs that state it; must
            be False (3-D checkpoints only). Defaults to False.
        padding (str): 'symmetric' (PyTorch / mmaction2) or 'tf_same'
            (exact TF alignment, official_implementation.md §8.3). Defaults to
            'symmetric'.
        conv_init (str): 'variance_scaling' (the official Keras init) or
            'kaiming' (mmaction2's). Defaults to 'variance_scaling'.
        frozen_stages (int): Stages to freeze (-1: none; 4 freezes both
            res5 branches too). Defaults to -1.
        norm_eval (bool): Keep BN in eval mode. Defaults to False.
        with_cp (bool): Activation checkpointing (recompute in the backward
            pass) of the stages in ``cp_stages``. Defaults to False.
        cp_stages (Sequence[str]): Stages checkpointed when ``with_cp``:
            'stem', 'layer1'-'layer4', 'layer4_local'. The default, the stem
            and res2-res3, holds most of the activation memory (large maps)
            for a third of the forward compute; res4/res5 have small maps
            and most of the compute. Defaults to
            ``('stem', 'layer1', 'layer2')``.
        memory_format (str): 'channels_last_3d' (conv weights and feature
            maps stored ``N, T, H, W, C``; inputs in another layout are
            converted once at the start of :meth:`forward`) or
            'contiguous'. The values are the same (within float rounding);
            channels-last is faster (``benchmarks/trunk_step.py``).
            Defaults to 'channels_last_3d'.
        **kwargs: Other :class:`ResNet3d` arguments (``norm_cfg``,
            ``spatial_strides``, ``dilations`` ...).
    """

    arch_settings = {
        depth: (Bottleneck3dY, blocks) if block is Bottleneck3d else
        (block, blocks)
        for depth, (block, blocks) in ResNet3d.arch_settings.items()
    }

    def __init__(self,
                 depth: int = 50,
                 branches: Sequence[str] = ('global', 'local'),
                 out_indices: Optional[Sequence[int]] = None,
                 pretrained: Optional[str] = None,
                 pretrained_branch: Optional[str] = None,
                 pretrained2d: bool = False,
                 padding: str = 'symmetric',
                 cp_stages: Sequence[str] = ('stem', 'layer1', 'layer2'),
                 conv_init: str = 'variance_scaling',
                 memory_format: MemoryFormat = 'channels_last_3d',
                 conv1_kernel: Sequence[int] = (5, 7, 7),
                 conv1_stride_t: int = 2,
                 pool1_stride_t: int = 1,
                 with_pool2: bool = False,
                 inflate: Sequence[int] = (0, 0, 1, 1),
                 zero_init_residual: bool = False,
                 norm_cfg: Dict = dict(
                     type='BN3d', requires_grad=True, momentum=0.1, eps=1e-5),
                 **kwargs) -> None:
        check_stock_backbone_args(pretrained2d, kwargs)
        branches = tuple(branches)
        if out_indices is None:
            out_indices = tuple(i for b, i in (('global', GLOBAL_INDEX),
                                               ('local', LOCAL_INDEX))
                                if b in branches)
        out_indices = tuple(out_indices)
        self._check_args(branches, out_indices, padding, conv_init, kwargs)
        super().__init__(
            depth=depth,
            pretrained=pretrained,
            pretrained2d=False,
            out_indices=(GLOBAL_INDEX, ),
            conv1_kernel=conv1_kernel,
            conv1_stride_t=conv1_stride_t,
            pool1_stride_t=pool1_stride_t,
            with_pool2=with_pool2,
            inflate=inflate,
            zero_init_residual=zero_init_residual,
            norm_cfg=norm_cfg,
            **kwargs)
        self.branches = branches
        self.out_indices = out_indices
        self.pretrained_branch = pretrained_branch
        self.padding = padding
        self.conv_init = conv_init
        if 'local' in branches:
            self.layer4_local = self._make_res5()
        if 'global' not in branches:
            del self.layer4
        self.res_layers = ['layer1', 'layer2', 'layer3']
        self.cp_stages = tuple(cp_stages)
        self._select_cp_stages()
        if padding == 'tf_same':
            convert_to_tf_same_padding(self)
        self.memory_format = get_memory_format(memory_format)
        # after every module exists: conv weights (5-D) change layout, BN
        # vectors are unaffected; in-place init and load_state_dict keep it
        self.to(memory_format=self.memory_format)
        # freeze again: layer4_local did not exist when the parent froze
        self._freeze_stages()

    @staticmethod
    def _check_args(branches, out_indices, padding, conv_init, kwargs) -> None:
        if not branches or set(branches) - {'global', 'local'}:
            raise ValueError("branches must be a non-empty subset of "
                             f"('global', 'local'), got {branches}")
        if not out_indices or set(out_indices) - {0, 1, 2, 3, 4}:
            raise ValueError(
                f'out_indices must be in 0-4 (4 = local res5), got '
                f'{out_indices}')
        if GLOBAL_INDEX in out_indices and 'global' not in branches:
            raise ValueError('out_indices has 3 (global res5) but branches '
                             f'{branches} has no global branch')
        if LOCAL_INDEX in out_indices and 'local' not in branches:
            raise ValueError('out_indices has 4 (local res5) but branches '
                             f'{branches} has no local branch')
        if padding not in ('symmetric', 'tf_same'):
            raise ValueError(
                f"padding must be 'symmetric' or 'tf_same', got {padding!r}")
        if conv_init not in ('variance_scaling', 'kaiming'):
            raise ValueError("conv_init must be 'variance_scaling' or "
                             f"'kaiming', got {conv_init!r}")
        if kwargs.get('num_stages', 4) != 4:
            raise ValueError('ResNet3dY needs num_stages=4')

    def _make_res5(self) -> nn.Module:
        """A res5 block group with the same spec as ``layer4``."""
        return self.make_res_layer(
            self.block,
            self.base_channels * 2**2 * self.block.expansion,
            self.base_channels * 2**3,
            self.stage_blocks[3],
            spatial_stride=self.spatial_strides[3],
            temporal_stride=self.temporal_strides[3],
            dilation=self.dilations[3],
            style=self.style,
            norm_cfg=self.norm_cfg,
            conv_cfg=self.conv_cfg,
            act_cfg=self.act_cfg,
            non_local=self.non_local_stages[3],
            non_local_cfg=self.non_local_cfg,
            inflate=self.stage_inflations[3],
            inflate_style=self.inflate_style,
            with_cp=self.with_cp)

    def _select_cp_stages(self) -> None:
        """Keeps block checkpointing on in ``cp_stages`` only."""
        known = {
            'stem', 'layer1', 'layer2', 'layer3', 'layer4', 'layer4_local'
        }
        unknown = set(self.cp_stages) - known
        if unknown:
            raise ValueError(f'cp_stages: unknown stages {sorted(unknown)}; '
                             f'choose from {sorted(known)}')
        for name in known - {'stem'}:
            for block in getattr(self, name, ()):
                block.with_cp = self.with_cp and name in self.cp_stages

    def _res5_layers(self) -> Tuple[nn.Module, ...]:
        return tuple(
            getattr(self, name) for name in ('layer4', 'layer4_local')
            if hasattr(self, name))

    def _freeze_stages(self) -> None:
        if self.frozen_stages >= 0:
            self.conv1.eval()
            for param in self.conv1.parameters():
                param.requires_grad = False
        for i in range(1, min(self.frozen_stages, 3) + 1):
            layer = getattr(self, f'layer{i}')
            layer.eval()
            for param in layer.parameters():
                param.requires_grad = False
        if self.frozen_stages >= 4:
            for layer in self._res5_layers():
                layer.eval()
                for param in layer.parameters():
                    param.requires_grad = False

    def train(self, mode: bool = True) -> 'ResNet3dY':
        """Sets the mode, keeping frozen stages and ``norm_eval`` BN in eval.

        Returns ``self`` (mmaction2's ``ResNet3d.train`` returns None, which
        breaks ``model.eval()`` chaining).
        """
        super().train(mode)
        return self

    def init_weights(self) -> None:
        """Loads ``pretrained`` strictly, or initialises from scratch."""
        if self.pretrained is not None:
            load_backbone_checkpoint(self, self.pretrained,
                                     self.pretrained_branch)
            warn_on_overwrite(self, self.pretrained)
            self._range_checked = False
            return
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                if self.conv_init == 'variance_scaling':
                    variance_scaling_init(m)
                else:
                    kaiming_init(m)
            elif isinstance(m, _BatchNorm):
                constant_init(m, 1)
        if self.zero_init_residual:
            for m in self.modules():
                if hasattr(m, 'conv3') and hasattr(m.conv3, 'bn'):
                    constant_init(m.conv3.bn, 0)

    def _stem(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        return self.maxpool(x) if self.with_pool1 else x

    def forward(
            self,
            x: torch.Tensor) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        """Extracts features.

        Args:
            x (Tensor): Clips ``(N, 3, T, H, W)``.

        Returns:
            Tensor or tuple[Tensor]: The ``out_indices`` features, e.g.
            ``(res5, res5_1)``, each ``(N, 2048, T/2, H/32, W/32)``, in
            ``memory_format``.
        """
        x = to_memory_format(x, self.memory_format)
        if getattr(self, '_range_checked', True) is False:
            check_input_range(self, x)  # once, after loading `pretrained`
        if self.with_cp and 'stem' in self.cp_stages and self.training \
                and torch.is_grad_enabled():
            # the stem's outputs are the largest activations (112x112 per
            # frame at 224): recompute them too. Non-reentrant, because the
            # input clip itself does not require grad.
            x = cp.checkpoint(self._stem, x, use_reentrant=False)
        else:
            x = self._stem(x)
        feats = {}
        last_trunk = min(max(self.out_indices), 2)
        for i in range(last_trunk + 1):
            x = getattr(self, f'layer{i + 1}')(x)
            if i == 0 and self.with_pool2:
                x = self.pool2(x)
            feats[i] = x
        if GLOBAL_INDEX in self.out_indices:
            feats[GLOBAL_INDEX] = self.layer4(x)
        if LOCAL_INDEX in self.out_indices:
            feats[LOCAL_INDEX] = self.layer4_local(x)
        outs = tuple(feats[i] for i in self.out_indices)
        return outs[0] if len(outs) == 1 else outs
