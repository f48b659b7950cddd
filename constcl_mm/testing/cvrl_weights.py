# Copyright (c) constcl_mm authors. All rights reserved.
"""Seeded random CVRL backbone weights and clips, in numpy alone.

The TF goldens script (``tools/tf/make_cvrl_goldens.py``, run where TF is
installed and torch is not) and the tests (torch, no TF) build the same
arrays from a variable list and a seed: every tensor draws from its own
generator seeded by ``(seed, crc32(name))``, so the values do not depend on
the order of the names. The module imports nothing but numpy so that it
loads from its file path in either environment.
"""
import zlib
from typing import Dict, Mapping, Sequence

import numpy as np

_SUFFIX = '/.ATTRIBUTES/VARIABLE_VALUE'


def random_cvrl_weights(shapes: Mapping[str, Sequence[int]],
                        seed: int = 0) -> Dict[str, np.ndarray]:
    """Random values for the variables of a Keras ResNet3D checkpoint.

    Convolution kernels are He-normal (``[kT, kH, kW, Cin, Cout]``, fan-in
    = all but the last axis) so activations neither vanish nor explode over
    16 blocks; BN gamma and the moving variance are drawn from U[0.8, 1.2),
    beta and the moving mean from N(0, 0.1): BN in eval mode is then not the
    identity and a swapped statistic changes the output.

    Args:
        shapes (Mapping[str, Sequence[int]]): Checkpoint names (with or
            without ``/.ATTRIBUTES/VARIABLE_VALUE``) to shapes. Names whose
            last part is not kernel/gamma/beta/moving_mean/moving_variance
            are left out.
        seed (int): Base seed. Defaults to 0.

    Returns:
        dict[str, ndarray]: float32 arrays under the given names.
    """
    out = {}
    for name, shape in shapes.items():
        leaf = name[:-len(_SUFFIX)] if name.endswith(_SUFFIX) else name
        leaf = leaf.rsplit('/', 1)[-1]
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        shape = tuple(int(s) for s in shape)
        if leaf == 'kernel':
            fan_in = int(np.prod(shape[:-1]))
            value = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
        elif leaf in ('gamma', 'moving_variance'):
            value = rng.uniform(0.8, 1.2, shape)
        elif leaf in ('beta', 'moving_mean'):
            value = rng.normal(0.0, 0.1, shape)
        else:
            continue
        out[name] = value.astype(np.float32)
    return out


def random_clip(shape: Sequence[int], seed: int = 0) -> np.ndarray:
    """A clip ``(N, T, H, W, 3)`` (TF layout) uniform in [-1, 1), float32:
    the input range of CVRL and ConST-CL."""
    rng = np.random.default_rng([seed, 1])
    return rng.uniform(-1.0, 1.0, tuple(shape)).astype(np.float32)
