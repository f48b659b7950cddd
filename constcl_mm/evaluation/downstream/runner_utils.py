# Copyright (c) constcl_mm authors. All rights reserved.
"""Config and Runner plumbing shared by the downstream evaluations."""
import os.path as osp
import tempfile
import uuid
from typing import Dict, Optional

from mmengine.config import Config
from mmengine.logging import print_log

#: Backbone settings that define the architecture (and so must match the
#: pretrained model); strides, dilations, branches, outputs and freezing
#: are the downstream config's.
ARCH_KEYS = ('depth', 'base_channels', 'conv1_kernel', 'conv1_stride_t',
             'pool1_stride_t', 'with_pool2', 'inflate', 'padding', 'norm_cfg',
             'memory_format')

#: The repository's configs/ folder (the package is installed editable).
CONFIG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))),
    'configs')


def arch_overrides(backbone: Optional[Dict]) -> Dict:
    """The architecture keys of a backbone config (others are logged).

    Args:
        backbone (dict, optional): E.g. the pretraining config's
            ``model.backbone``.

    Returns:
        dict: Only the :data:`ARCH_KEYS` entries.
    """
    if not backbone:
        return {}
    kept = {k: v for k, v in backbone.items() if k in ARCH_KEYS}
    ignored = sorted(set(backbone) - set(kept) - {'type'})
    if backbone.get('type', 'ResNet3dY') != 'ResNet3dY':
        raise ValueError(f"backbone type must be ResNet3dY, got "
                         f"{backbone['type']!r}")
    if ignored:
        print_log(
            f'backbone settings {ignored} are set by the downstream '
            'config, not taken from the given backbone',
            logger='current')
    return kept


def res5_channels(backbone: Dict) -> int:
    """Output channels of res5 of a ResNet3dY config (8 x base channels x
    the block expansion: 4 for depth >= 50)."""
    depth = int(backbone.get('depth', 50))
    base = int(backbone.get('base_channels', 64))
    return base * 8 * (4 if depth >= 50 else 1)


def set_probe_backbone(cfg, backbone: Optional[Dict],
                       checkpoint: Optional[str]) -> None:
    """Gives a recognition config the pretrained global branch.

    The backbone takes the architecture of ``backbone`` and loads the global
    res5 (``res5``) of ``checkpoint`` (random init when None); the
    classifier's input width follows the backbone.

    Args:
        cfg (Config): A recognition config (``model.backbone`` a
            ``ResNet3dY``, ``model.cls_head``), changed in place.
        backbone (dict, optional): The pretraining ``model.backbone``.
        checkpoint (str, optional): A pretraining checkpoint.
    """
    bb = cfg.model.backbone
    bb.update(arch_overrides(backbone))
    bb.update(
        pretrained=checkpoint,
        pretrained_branch='global' if checkpoint is not None else None)
    cfg.model.cls_head.in_channels = res5_channels(bb)


def prepare_cfg(config: str,
                work_dir: Optional[str],
                tag: str,
                seed: int,
                log_level: str,
                cfg_options: Optional[Dict] = None) -> Config:
    """Loads a config for an in-process run: work_dir, unique experiment
    name (several Runners in one process), seed, log level, CPU fixes."""
    from constcl_mm.utils import adapt_cfg_to_machine
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.work_dir = work_dir or tempfile.mkdtemp(prefix=f'{tag}_')
    cfg.experiment_name = f'{tag}_{uuid.uuid4().hex[:8]}'
    cfg.randomness = dict(seed=seed)
    cfg.log_level = log_level
    cfg.launcher = 'none'
    cfg.load_from = None
    cfg.resume = False
    return adapt_cfg_to_machine(cfg)
