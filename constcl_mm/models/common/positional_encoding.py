# Copyright (c) constcl_mm authors. All rights reserved.
"""Learned coordinate encoding of the context memory grid."""
import torch
import torch.nn as nn


class CoordinateMLPEncoding(nn.Module):
    """Learned positional encoding of a (t, h, w) memory grid
    (official_implementation.md §3.3).

    Coordinates are the integer grid positions minus their mean (so t is in
    {-2..2} and h, w in {-3..3} for a 5x7x7 memory). Two small MLPs map them:
    ``PE_t = Linear(hid, out)(ReLU(Linear(1, hid)(t)))`` and
    ``PE_s = Linear(hid, out)(ReLU(Linear(2, hid)([h, w])))``. The encodings
    are concatenated to the memory, not added.

    Args:
        hidden_channels (int): Hidden width of each MLP. Defaults to 4.
        out_channels (int): Output width of each MLP. Defaults to 8.
    """

    def __init__(self,
                 hidden_channels: int = 4,
                 out_channels: int = 8) -> None:
        super().__init__()
        self.temporal_mlp = nn.Sequential(
            nn.Linear(1, hidden_channels), nn.ReLU(inplace=True),
            nn.Linear(hidden_channels, out_channels))
        self.spatial_mlp = nn.Sequential(
            nn.Linear(2, hidden_channels), nn.ReLU(inplace=True),
            nn.Linear(hidden_channels, out_channels))
        self.out_channels = 2 * out_channels

    def forward(self, memory: torch.Tensor) -> torch.Tensor:
        """Concatenates the encoding to the memory.

        Args:
            memory (Tensor): ``(B, L, H, W, C)``, channels last.

        Returns:
            Tensor: ``(B, L, H, W, C + 2 * out_channels)``.
        """
        b, t, h, w, _ = memory.shape
        dtype = self.temporal_mlp[0].weight.dtype
        grid = torch.stack(
            torch.meshgrid(
                torch.arange(t, device=memory.device, dtype=dtype),
                torch.arange(h, device=memory.device, dtype=dtype),
                torch.arange(w, device=memory.device, dtype=dtype),
                indexing='ij'),
            dim=-1)  # (L, H, W, 3)
        grid = grid - grid.mean(dim=(0, 1, 2), keepdim=True)
        pe_t = self.temporal_mlp(grid[..., :1])
        pe_s = self.spatial_mlp(grid[..., 1:])
        pe = torch.cat([pe_t, pe_s], dim=-1).to(memory.dtype)
        return torch.cat([memory, pe.expand(b, -1, -1, -1, -1)], dim=-1)
