# Copyright (c) constcl_mm authors. All rights reserved.
"""The TF side of the CVRL conversion checks (runs where TensorFlow and
tf-models-official are installed; torch and constcl_mm are not needed).

* :func:`build_cvrl_backbone`: the Model Garden ``resnet_3d.ResNet3D`` built
  by the official factory with the settings of CVRL's experiment files
  (``official/projects/video_ssl/configs/experiments/cvrl_*.yaml``; the pip
  package does not ship the yaml files, so their backbone section is
  restated in :data:`CVRL_BACKBONE`);
* :func:`build_reduced_backbone`: the same class at reduced width and depth
  (a ``RESNET_SPECS`` entry and a narrower stem) for the small golden
  checkpoint committed under ``tests/data/tf_cvrl``;
* :func:`assign_by_checkpoint_name`: sets variables from arrays keyed by
  their object-based checkpoint names (``backbone/layer_with_weights-N/
  .../.ATTRIBUTES/VARIABLE_VALUE``);
* :func:`load_numpy_module`: constcl_mm's numpy-only modules (the checkpoint
  reader, the seeded weights) imported from their files, without the
  package (which needs torch).
"""
import importlib.util
import os.path as osp
import sys
import types
from typing import Dict, Mapping, Sequence

import numpy as np
import tensorflow as tf
import tf_keras
from official.core import exp_factory
from official.projects.video_ssl.configs import video_ssl  # noqa: F401
from official.vision.modeling.backbones import factory, resnet_3d

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SUFFIX = '/.ATTRIBUTES/VARIABLE_VALUE'

#: The backbone section of cvrl_pretrain_k600_200ep.yaml and
#: cvrl_linear_eval_k600.yaml (identical in both), applied on top of the
#: registered experiment 'video_ssl_linear_eval_kinetics600' (whose
#: norm_activation is momentum 0.9, epsilon 1e-5; use_sync_bn false as in the
#: linear-eval yaml, which is what loads the released checkpoints).
CVRL_BACKBONE = dict(
    resnet_3d=dict(
        block_specs=[
            dict(
                temporal_kernel_sizes=k,
                temporal_strides=1,
                use_self_gating=False)
            for k in ([1, 1, 1], [1, 1, 1, 1], [3] * 6, [3] * 3)
        ],
        model_id=50,
        stem_conv_temporal_kernel_size=5,
        stem_conv_temporal_stride=2,
        stem_pool_temporal_stride=1))
CVRL_EXPERIMENT = 'video_ssl_linear_eval_kinetics600'

#: The reduced model of the committed golden: widths 4/8/16/32 (x4 out),
#: blocks (1, 2, 2, 1), temporal kernels [1] [1, 1] [3, 1] [3].
REDUCED = dict(
    base=4,
    blocks=(1, 2, 2, 1),
    temporal_kernel_sizes=([1], [1, 1], [3, 1], [3]))


def load_numpy_module(name: str):
    """``constcl_mm.utils.<name>`` or ``constcl_mm.testing.<name>`` loaded
    from its file (numpy-only modules; the package itself needs torch)."""
    for sub in ('utils', 'testing'):
        path = osp.join(REPO, 'constcl_mm', sub, name + '.py')
        if osp.isfile(path):
            break
    else:
        raise FileNotFoundError(name)
    package = f'_constcl_{sub}'
    if package not in sys.modules:  # a stand-in parent for relative imports
        module = types.ModuleType(package)
        module.__path__ = [osp.dirname(path)]
        sys.modules[package] = module
    spec = importlib.util.spec_from_file_location(f'{package}.{name}', path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def cvrl_config():
    """The experiment config with CVRL's backbone (strict override)."""
    exp = exp_factory.get_exp_config(CVRL_EXPERIMENT)
    exp.override(
        dict(
            task=dict(
                model=dict(
                    backbone=CVRL_BACKBONE,
                    norm_activation=dict(use_sync_bn=False)))),
        is_strict=True)
    return exp


def build_cvrl_backbone(input_shape: Sequence[int]) -> tf_keras.Model:
    """CVRL's R3D-50 through ``backbones.factory.build_backbone``, as
    ``video_ssl_model.build_video_ssl_pretrain_model`` builds it.

    Args:
        input_shape: ``(T, H, W, 3)``.
    """
    model_cfg = cvrl_config().task.model
    spec = tf_keras.layers.InputSpec(shape=[None] + list(input_shape))
    return factory.build_backbone(
        input_specs=spec,
        backbone_config=model_cfg.backbone,
        norm_activation_config=model_cfg.norm_activation)


class _NarrowStemResNet3D(resnet_3d.ResNet3D):
    """ResNet3D whose v0 stem has ``stem_filters`` filters (the official
    stem has 64 whatever the widths; mmaction2 ties the stem to the first
    stage's width)."""

    def __init__(self, stem_filters: int, **kwargs) -> None:
        self._stem_filters = stem_filters
        super().__init__(**kwargs)

    def _build_stem(self, inputs, stem_type):
        assert stem_type == 'v0'
        x = tf_keras.layers.Conv3D(
            filters=self._stem_filters,
            kernel_size=[self._stem_conv_temporal_kernel_size, 7, 7],
            strides=[self._stem_conv_temporal_stride, 2, 2],
            use_bias=False,
            padding='same',
            kernel_initializer=self._kernel_initializer)(
                inputs)
        x = self._norm(
            axis=self._bn_axis,
            momentum=self._norm_momentum,
            epsilon=self._norm_epsilon,
            synchronized=self._use_sync_bn)(
                x)
        return tf.nn.relu(x)


def build_reduced_backbone(input_shape: Sequence[int]) -> tf_keras.Model:
    """The official ResNet3D at reduced size (:data:`REDUCED`), CVRL's stem
    and pool settings and BN (momentum 0.9, epsilon 1e-5)."""
    key = 'cvrl_reduced'
    resnet_3d.RESNET_SPECS[key] = [('bottleneck3d', REDUCED['base'] * 2**i, n)
                                   for i, n in enumerate(REDUCED['blocks'])]
    norm = cvrl_config().task.model.norm_activation
    return _NarrowStemResNet3D(
        stem_filters=REDUCED['base'],
        model_id=key,
        temporal_strides=[1] * 4,
        temporal_kernel_sizes=[
            list(k) for k in REDUCED['temporal_kernel_sizes']
        ],
        use_self_gating=[False] * 4,
        input_specs=tf_keras.layers.InputSpec(shape=[None] +
                                              list(input_shape)),
        stem_type='v0',
        stem_conv_temporal_kernel_size=5,
        stem_conv_temporal_stride=2,
        stem_pool_temporal_stride=1,
        norm_momentum=norm.norm_momentum,
        norm_epsilon=norm.norm_epsilon)


def checkpoint_variables(root: tf.train.Checkpoint) -> Dict[str, tf.Variable]:
    """Each variable under ``root`` by its object-based checkpoint name."""
    out: Dict[str, tf.Variable] = {}
    seen = set()

    def walk(obj, path):
        if isinstance(obj, tf.Variable):
            out.setdefault(path + SUFFIX, obj)
            return
        if id(obj) in seen:
            return
        seen.add(id(obj))
        for name, child in tf.train.TrackableView(obj).children(obj).items():
            walk(child, f'{path}/{name}' if path else name)

    walk(root, '')
    return out


def assign_by_checkpoint_name(root: tf.train.Checkpoint,
                              values: Mapping[str, np.ndarray]) -> int:
    """Assigns ``values`` (checkpoint name -> array) to ``root``'s
    variables; every variable must get one. Returns the count."""
    variables = checkpoint_variables(root)
    missing = sorted(set(variables) - set(values))
    unknown = sorted(set(values) - set(variables))
    if missing or unknown:
        raise KeyError(f'missing {missing[:5]}, unknown {unknown[:5]}')
    for name, var in variables.items():
        var.assign(values[name])
    return len(variables)


def endpoints(model: tf_keras.Model,
              clip: np.ndarray) -> Dict[str, np.ndarray]:
    """res2-res5 (endpoints '2'-'5') in eval mode, ``(N, T, H, W, C)``."""
    out = model(tf.constant(clip), training=False)
    return {k: v.numpy() for k, v in out.items()}
