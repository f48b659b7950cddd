# Copyright (c) constcl_mm authors. All rights reserved.
"""Checks of a merged config before a run: settings that depend on each
other across the config (box source / region loss, LR / batch)."""
import logging
from typing import Optional

from mmengine.logging import print_log

from .pipeline_edit import steps_of_type

#: ``GenerateRegionBoxes.box_type`` values whose generators can find fewer
#: boxes than ``num_boxes``: the rest are padding boxes marked invalid, which
#: the region loss must mask (``model.local_head.mask_invalid_targets``)
PADDING_BOX_TYPES = ('slic', 'felzenszwalb', 'proposals')
MASK_KEY = 'model.local_head.mask_invalid_targets'


def resolve_region_box_settings(cfg) -> Optional[str]:
    """Derives ``model.local_head.mask_invalid_targets`` from the box source.

    Boxes from segments or proposals may be fewer than ``num_boxes``; their
    padding boxes must stay out of the region loss's matching and negatives.
    When the training pipeline's ``GenerateRegionBoxes`` uses such a source
    and the config leaves ``mask_invalid_targets`` unset, it is set to True
    (logged); set to False explicitly, the pair is refused.

    Args:
        cfg (Config): The merged config (modified in place).

    Returns:
        str | None: The log line of a derived setting.

    Raises:
        ValueError: a padding box source with ``mask_invalid_targets=False``,
            naming both keys.
    """
    head = (cfg.get('model', None) or {}).get('local_head', None)
    if not isinstance(head, dict):
        return None
    padded = [(path, step['box_type'])
              for path, step in steps_of_type(cfg, 'GenerateRegionBoxes', (
                  'train', ))
              if step.get('box_type', 'random') in PADDING_BOX_TYPES]
    if not padded:
        return None
    path, box_type = padded[0]
    if head.get('mask_invalid_targets', None) is False:
        raise ValueError(
            f'{path}.box_type={box_type!r} pads views with fewer segments '
            f'or proposals than num_boxes with invalid boxes, but '
            f'{MASK_KEY}=False lets them into the region loss: set '
            f'{MASK_KEY}=True (or box_type=random)')
    if head.get('mask_invalid_targets', None) is None:
        head['mask_invalid_targets'] = True
        message = (f'{path}.box_type={box_type!r} can pad: '
                   f'{MASK_KEY}=True (derived from the box source)')
        print_log(message, logger='current')
        return message
    return None


def lr_batch_message(cfg, world_size: int) -> Optional[str]:
    """The warning for an LR set for another global batch, or None.

    The global batch is ``world_size x train_dataloader.batch_size`` (as
    mmengine's ``--auto-scale-lr`` counts it). When it differs from
    ``auto_scale_lr.base_batch_size`` and ``auto_scale_lr.enable`` is off,
    the message gives the linearly scaled LR and, for the ConST-CL
    pretraining recipe, the per-cluster config of that many GPUs.
    """
    auto = cfg.get('auto_scale_lr', None)
    loader = cfg.get('train_dataloader', None)
    optim = (cfg.get('optim_wrapper', None) or {}).get('optimizer', None)
    if not auto or not loader or not optim or auto.get('enable', False) or \
            'base_batch_size' not in auto or 'lr' not in optim:
        return None
    base = int(auto['base_batch_size'])
    batch = int(world_size) * int(loader.get('batch_size', 1))
    if batch == base:
        return None
    lr = float(optim['lr'])
    scaled = lr * batch / base
    message = (
        f'optim_wrapper.optimizer.lr={lr:g} is set for a global batch of '
        f'{base} (auto_scale_lr.base_batch_size) but this run has '
        f'{batch} ({world_size} process(es) x train_dataloader.batch_size='
        f'{loader.get("batch_size", 1)}), and --auto-scale-lr is off: the LR '
        f'is not scaled. Add --auto-scale-lr (LR {scaled:g}) or set '
        f'optim_wrapper.optimizer.lr.')
    if str((cfg.get('model', None) or {}).get('type', '')) in ('ConSTCL', ):
        from .cluster_recipe import cluster_config
        config = cluster_config(world_size)
        if config is not None:
            message += (f' For the paper recipe on {world_size} GPUs use '
                        f'{config} (same epochs, its own LR and batch).')
        message += (' Per-cluster batch, LR and length: python '
                    'tools/analysis/cluster_recipe.py --gpus '
                    f'{world_size} (docs/pretraining.md "Clusters").')
    return message


def check_lr_batch(runner) -> Optional[str]:
    """Logs :func:`lr_batch_message` for a built runner as a warning."""
    message = lr_batch_message(runner.cfg, runner.world_size)
    if message:
        print_log(message, logger='current', level=logging.WARNING)
    return message
