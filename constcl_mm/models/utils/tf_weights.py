# Copyright (c) constcl_mm authors. All rights reserved.
"""Names of the official TF (Keras) weights in constcl_mm, in one place.

Used by the equivalence tests and meant for a TF-checkpoint converter.
Keras Dense kernels are ``[in, out]``; a ``nn.Linear.weight`` is their
transpose. LayerNorm ``gamma/beta`` are ``weight/bias``.
"""
import re
from typing import Dict, Mapping, Tuple

import numpy as np
import torch

# InstanceReconstructor (our ContextCrossAttentionNeck), relative names.
_NECK_RULES = (
    (r'temporal_mlp_l1/(kernel|bias)', 'positional_encoding.temporal_mlp.0'),
    (r'temporal_mlp_l2/(kernel|bias)', 'positional_encoding.temporal_mlp.2'),
    (r'spatial_mlp_l1/(kernel|bias)', 'positional_encoding.spatial_mlp.0'),
    (r'spatial_mlp_l2/(kernel|bias)', 'positional_encoding.spatial_mlp.2'),
    (r'transformer_decoder/layer_(\d+)/mha_(\d+)/'
     r'(query|key|value|ffn1|ffn2)/(kernel|bias)',
     'decoder.layers.{0}.{1}.{2}'),
    (r'transformer_decoder/layer_(\d+)/mha_(\d+)/layer_norm/(gamma|beta)',
     'decoder.layers.{0}.{1}.layer_norm'),
    (r'dense/(kernel|bias)', 'projection'),
)
_LEAF = {'kernel': 'weight', 'bias': 'bias', 'gamma': 'weight', 'beta': 'bias'}


def tf_neck_name_to_torch(tf_name: str) -> Tuple[str, bool]:
    """Maps an ``instance_reconstructor/...`` weight name to ours.

    Args:
        tf_name (str): e.g. ``instance_reconstructor/transformer_decoder/
            layer_0/mha_1/query/kernel:0`` (the scope prefix and ``:0`` are
            optional).

    Returns:
        tuple[str, bool]: The parameter name inside
        :class:`ContextCrossAttentionNeck` and whether the array must be
        transposed.
    """
    name = re.sub(r':\d+$', '', tf_name)
    name = re.sub(r'^.*?instance_reconstructor/', '', name)
    for pattern, target in _NECK_RULES:
        match = re.fullmatch(pattern, name)
        if match is None:
            continue
        groups = match.groups()
        leaf = groups[-1]
        module = target.format(*groups[:-1])
        return f'{module}.{_LEAF[leaf]}', leaf == 'kernel'
    raise KeyError(f'no constcl_mm parameter for TF weight {tf_name!r}')


def convert_tf_neck_weights(weights: Mapping[str, np.ndarray],
                            prefix: str = '') -> Dict[str, torch.Tensor]:
    """Converts InstanceReconstructor weights to a neck state dict.

    Args:
        weights (Mapping[str, ndarray]): TF names (optionally prefixed, e.g.
            ``w::instance_reconstructor/...`` in the reference file) to
            arrays. Names outside ``instance_reconstructor`` are ignored.
        prefix (str): Prepended to every key (e.g. ``'neck.'``).

    Returns:
        dict[str, Tensor]: State dict for ``ContextCrossAttentionNeck``.
    """
    state = {}
    for key, value in weights.items():
        if 'instance_reconstructor/' not in key:
            continue
        name, transpose = tf_neck_name_to_torch(key)
        array = np.asarray(value)
        state[prefix + name] = torch.from_numpy(
            np.ascontiguousarray(array.T if transpose else array))
    return state
