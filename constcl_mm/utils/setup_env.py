# Copyright (c) constcl_mm authors. All rights reserved.
"""Runtime adjustments shared by ``tools/train.py`` and ``tools/test.py``."""
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner


def _loaders(cfg: Config):
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key, None)
        if loader is not None:
            yield key, loader


def adapt_cfg_to_machine(cfg: Config) -> Config:
    """Makes a config written for GPU clusters run where it is launched.

    * ``nccl`` needs CUDA: without a GPU the process group uses ``gloo``, so
      ``tools/dist_train.sh CONFIG N`` runs N CPU processes.
    * torch's and mmcv's SyncBatchNorm need CUDA: without a GPU
      ``sync_bn='torch'`` / ``'mmcv'`` becomes ``'constcl'``
      (``ConstclSyncBatchNorm``, synchronised over gloo), so N CPU processes
      train as one process with the global batch (logged).
    * ``persistent_workers`` needs ``num_workers > 0`` (mmengine 0.10.7 raises
      otherwise), so it is switched off for in-process loading.

    Args:
        cfg (Config): The full config; modified in place.

    Returns:
        Config: ``cfg``.
    """
    import torch
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    if dist_cfg.get('backend', 'nccl') == 'nccl' and \
            not torch.cuda.is_available():
        dist_cfg['backend'] = 'gloo'
        print_log(
            'No CUDA device: using the gloo process-group backend.',
            logger='current')
    if cfg.get('sync_bn', None) in ('torch', 'mmcv') and \
            not torch.cuda.is_available():
        if cfg.get('launcher', 'none') != 'none':
            print_log(
                f'sync_bn={cfg.sync_bn!r} needs CUDA: using '
                "sync_bn='constcl' (BatchNorm synchronised over gloo).",
                logger='current')
        cfg.sync_bn = 'constcl'
    for key, loader in _loaders(cfg):
        if loader.get('num_workers', 0) == 0 and \
                loader.get('persistent_workers', False):
            loader['persistent_workers'] = False
    return cfg


def set_work_dir(cfg: Config,
                 config_path: str,
                 work_dir: Optional[str] = None) -> Config:
    """CLI ``--work-dir`` > the config's ``work_dir`` >
    ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])
    return cfg


def build_runner(cfg: Config, training: bool = False) -> Runner:
    """The default Runner, or ``runner_type`` from the registry.

    Settings that depend on each other are resolved or refused first (the
    region-box source and the region loss's masking); with ``training`` the
    LR is checked against the run's global batch (a warning).
    """
    from .run_checks import check_lr_batch, resolve_region_box_settings
    resolve_region_box_settings(cfg)
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        from mmaction.registry import RUNNERS
        runner = RUNNERS.build(cfg)
    if training:
        check_lr_batch(runner)
    return runner


def finish_distributed() -> None:
    """Destroys the default process group after a successful run.

    Without it, gloo's worker threads can abort the process at interpreter
    exit ("terminate called without an active exception", SIGABRT), failing
    a run that completed. Called only after success: destroying the group
    while other ranks are still in a collective would hang them.
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
