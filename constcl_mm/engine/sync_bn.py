# Copyright (c) constcl_mm authors. All rights reserved.
"""``sync_bn='constcl'`` in mmengine's Runner, and a log of the BN in use.

mmengine's ``Runner.wrap_model`` converts BatchNorm layers with
``convert_sync_batchnorm(model, cfg.sync_bn)`` when the run is distributed,
knowing only ``'torch'`` and ``'mmcv'`` (both CUDA-only).
:func:`install_sync_bn` adds ``'constcl'``
(:class:`~constcl_mm.models.common.sync_batchnorm.ConstclSyncBatchNorm`,
gloo or NCCL) and makes every distributed run log which BatchNorm it trains
with. ``constcl_mm.utils.adapt_cfg_to_machine`` turns ``'torch'`` /
``'mmcv'`` into ``'constcl'`` when there is no CUDA device.
"""
from mmengine.logging import print_log

#: The ``sync_bn`` values a config may give.
SYNC_BN_CHOICES = ('torch', 'mmcv', 'constcl')


def convert_model_batchnorm(model, implementation: str):
    """``convert_sync_batchnorm`` of mmengine, plus ``'constcl'``.

    Raises:
        ValueError: ``implementation`` is not one of :data:`SYNC_BN_CHOICES`.
    """
    if implementation == 'constcl':
        from ..models.common.sync_batchnorm import convert_sync_batchnorm
        return convert_sync_batchnorm(model)
    if implementation not in SYNC_BN_CHOICES:
        raise ValueError(
            f'sync_bn={implementation!r} is not known; use one of '
            f'{SYNC_BN_CHOICES} (constcl works without CUDA) or None for '
            'per-process BatchNorm')
    from mmengine.model import convert_sync_batchnorm
    return convert_sync_batchnorm(model, implementation)


def describe_batchnorm(model, sync_bn, world_size: int) -> str:
    """One log line naming the BatchNorm a distributed model trains with."""
    from ..models.common.sync_batchnorm import count_batchnorms
    synced, plain = count_batchnorms(model)
    text = (f'BatchNorm: sync_bn={sync_bn!r}, {synced} layer(s) '
            f'synchronised over the {world_size} processes')
    if plain:
        text += (f', {plain} layer(s) with per-process statistics (a '
                 f'{world_size}-process run then differs from one process '
                 "holding the global batch; sync_bn='constcl' synchronises "
                 'them on any device)')
    return text + '.'


def install_sync_bn() -> None:
    """Patches ``Runner.wrap_model`` (once) as the module docstring says."""
    from mmengine.dist import get_world_size
    from mmengine.runner import runner as runner_module
    Runner = runner_module.Runner
    if getattr(Runner.wrap_model, '_constcl_sync_bn', False):
        return
    wrap_model = Runner.wrap_model
    runner_module.convert_sync_batchnorm = convert_model_batchnorm

    def wrap_model_logged(self, model_wrapper_cfg, model):
        wrapped = wrap_model(self, model_wrapper_cfg, model)
        if self.distributed:
            module = getattr(wrapped, 'module', wrapped)
            print_log(
                describe_batchnorm(module, self.cfg.get('sync_bn', None),
                                   get_world_size()),
                logger='current')
        return wrapped

    wrap_model_logged._constcl_sync_bn = True
    wrap_model_logged.__doc__ = wrap_model.__doc__
    Runner.wrap_model = wrap_model_logged
