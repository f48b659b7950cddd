# Copyright (c) constcl_mm authors. All rights reserved.
import torch
import torch.utils.checkpoint as cp
from mmaction.models.backbones.resnet3d import Bottleneck3d


class Bottleneck3dY(Bottleneck3d):
    """mmaction2's :class:`Bottleneck3d` with the residual sum in place.

    The same modules, parameters, state-dict keys and arithmetic as the stock
    block: ``relu(conv3(conv2(conv1(x))) + shortcut(x))``. The stock block
    allocates a new tensor for the sum; here the shortcut is added into the
    output of ``conv3`` (its batch norm's output, which no backward pass
    needs), so a step allocates one block-sized activation less per block
    and per pass. On the CPU, where every fresh large tensor is faulted in
    page by page, that is time as well as memory (docs/pretraining.md).

    Activation checkpointing (``with_cp``) uses the non-reentrant variant of
    :func:`torch.utils.checkpoint.checkpoint`, which recomputes the block
    also when its input does not require grad.
    """

    def _residual(self, x: torch.Tensor) -> torch.Tensor:
        """``conv3(conv2(conv1(x))) + shortcut(x)``, before the ReLU.

        Args:
            x (Tensor): Block input ``(N, C_in, T, H, W)``.

        Returns:
            Tensor: ``(N, 4 * planes, T', H', W')``.
        """
        out = self.conv3(self.conv2(self.conv1(x)))
        identity = x if self.downsample is None else self.downsample(x)
        return out.add_(identity)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Runs the block.

        Args:
            x (Tensor): Block input ``(N, C_in, T, H, W)``.

        Returns:
            Tensor: ``(N, 4 * planes, T', H', W')``.
        """
        if self.with_cp and self.training and torch.is_grad_enabled():
            out = cp.checkpoint(self._residual, x, use_reentrant=False)
        else:
            out = self._residual(x)
        out = self.relu(out)
        if self.non_local:
            out = self.non_local_block(out)
        return out
