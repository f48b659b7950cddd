# Copyright (c) constcl_mm authors. All rights reserved.
"""Random batches shaped like the output of the two-view pretraining
pipeline."""
from typing import Dict

import torch
from mmaction.structures import ActionDataSample


def random_two_view_batch(num_videos: int = 2,
                          boxes: int = 4,
                          frames: int = 16,
                          size: int = 32,
                          seed: int = 0) -> Dict[str, list]:
    """A pretraining batch of random pixels and random region boxes, as
    ``PackTwoViewInputs`` and the default collate produce it.

    Each video holds two views; each view ``boxes`` valid boxes in
    normalised ``(x1, y1, x2, y2)`` coordinates, 0.3 wide and high.

    Args:
        num_videos (int): Videos B. Defaults to 2.
        boxes (int): Boxes N per view. Defaults to 4.
        frames (int): Frames T per view. Defaults to 16.
        size (int): Height and width. Defaults to 32.
        seed (int): Seed of the generator. Defaults to 0.

    Returns:
        dict: ``inputs``: B uint8 tensors ``(2, 3, T, size, size)``;
        ``data_samples``: B :class:`ActionDataSample` with ``boxes``
        ``(2, N, 4)`` and ``box_valid`` ``(2, N)``.
    """
    gen = torch.Generator().manual_seed(seed)
    inputs = [
        torch.randint(
            0,
            256, (2, 3, frames, size, size),
            dtype=torch.uint8,
            generator=gen) for _ in range(num_videos)
    ]
    samples = []
    for _ in range(num_videos):
        xy = torch.rand(2, boxes, 2, generator=gen) * 0.6
        sample = ActionDataSample()
        sample.set_field(torch.cat([xy, xy + 0.3], -1), 'boxes')
        sample.set_field(torch.ones(2, boxes, dtype=torch.bool), 'box_valid')
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)
