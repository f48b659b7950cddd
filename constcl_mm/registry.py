# Copyright (c) constcl_mm authors. All rights reserved.
"""Registries of the ``constcl_mm`` scope.

constcl_mm registers its modules into mmaction2's registries. A base config
taken by its package name (``_base_ = 'constcl_mm::constcl/pretrain.py'``)
gives every inherited dict ``_scope_='constcl_mm'``; mmengine then imports
``constcl_mm.registry`` and looks for registries of that scope. Each registry
here is an empty child of mmaction2's, so every lookup falls through to the
mmaction2 registry that holds the constcl_mm (and mmaction2) modules.
"""
from mmaction import registry as _mmaction
from mmengine.registry import Registry

_NAMES = ('RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'DATASETS',
          'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS',
          'WEIGHT_INITIALIZERS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
          'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS',
          'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS',
          'LOG_PROCESSORS', 'INFERENCERS', 'FUNCTION')


def _child(name: str) -> Registry:
    parent = getattr(_mmaction, name)
    # `locations`: what mmengine imports before a lookup in this scope (the
    # parent's own, e.g. mmaction.visualization, are not imported when a
    # child falls through to it)
    return Registry(
        parent.name,
        parent=parent,
        scope='constcl_mm',
        locations=['constcl_mm'] + list(parent._locations))


RUNNERS = _child('RUNNERS')
RUNNER_CONSTRUCTORS = _child('RUNNER_CONSTRUCTORS')
LOOPS = _child('LOOPS')
HOOKS = _child('HOOKS')
DATASETS = _child('DATASETS')
DATA_SAMPLERS = _child('DATA_SAMPLERS')
TRANSFORMS = _child('TRANSFORMS')
MODELS = _child('MODELS')
MODEL_WRAPPERS = _child('MODEL_WRAPPERS')
WEIGHT_INITIALIZERS = _child('WEIGHT_INITIALIZERS')
OPTIMIZERS = _child('OPTIMIZERS')
OPTIM_WRAPPERS = _child('OPTIM_WRAPPERS')
OPTIM_WRAPPER_CONSTRUCTORS = _child('OPTIM_WRAPPER_CONSTRUCTORS')
PARAM_SCHEDULERS = _child('PARAM_SCHEDULERS')
METRICS = _child('METRICS')
EVALUATOR = _child('EVALUATOR')
TASK_UTILS = _child('TASK_UTILS')
VISUALIZERS = _child('VISUALIZERS')
VISBACKENDS = _child('VISBACKENDS')
LOG_PROCESSORS = _child('LOG_PROCESSORS')
INFERENCERS = _child('INFERENCERS')
FUNCTION = _child('FUNCTION')

# importing the package registers the constcl_mm modules into mmaction2's
import constcl_mm  # noqa: E402,F401
