# Copyright (c) constcl_mm authors. All rights reserved.
"""SiamFC one-pass evaluation of a (pretrained) backbone, as a function."""
import os.path as osp
import time
from typing import Dict, Optional, Sequence

from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader

from .runner_utils import (CONFIG_DIR, arch_overrides, prepare_cfg,
                           res5_channels)

#: The mini SiamFC config with the parameter-free identity adjust layer.
TRACKING_CONFIG = osp.join(
    CONFIG_DIR, 'mini',
    'siamfc_r3d50y-w16-local-frozen_1xb1-5x2x1-identity_synthetic-otb.py')
#: The mini SiamFC config whose adjust layer (1x1 conv + BN) trains for 150
#: iterations on GOT-10k-layout pairs (needs ``train_root``).
TRACKING_TRAIN_CONFIG = osp.join(
    CONFIG_DIR, 'mini',
    'siamfc_r3d50y-w16-local-frozen_1xb8-5x2x1-150it_synthetic-otb.py')


def tracking_branch(checkpoint: Optional[str]) -> str:
    """The res5 a tracker uses for a checkpoint.

    'local' (res5_1, the paper's tracker) when the checkpoint has a local
    branch or when there is no checkpoint (random init); 'global' (the
    single res5) for a CVRL checkpoint.
    """
    if checkpoint is None:
        return 'local'
    state = CheckpointLoader.load_checkpoint(
        checkpoint, map_location='cpu', logger='silent')
    state = state.get('state_dict', state)
    return 'local' if any('layer4_local.' in k for k in state) else 'global'


def evaluate_tracking(otb_root: str,
                      checkpoint: Optional[str] = None,
                      train_root: Optional[str] = None,
                      branch: Optional[str] = None,
                      backbone: Optional[Dict] = None,
                      targets: Optional[Sequence[str]] = None,
                      ann_file: str = 'otb_infos.txt',
                      config: str = TRACKING_CONFIG,
                      work_dir: Optional[str] = None,
                      seed: int = 0,
                      log_level: str = 'WARNING',
                      cfg_options: Optional[Dict] = None) -> Dict[str, float]:
    """SiamFC OPE with the project's tracker, OTB dataset and metric.

    Builds ``config`` (:data:`TRACKING_CONFIG`, frozen backbone and identity
    adjust layer, or :data:`TRACKING_TRAIN_CONFIG`, adjust layer + bias
    trained for 150 iterations), puts the checkpoint's
    ``branch`` res5 into the tracker's backbone, trains the head on
    :class:`GOT10kPairDataset` pairs from ``train_root``
    (``runner.train()``, when the config has a training loop), then runs
    ``runner.test()``: :class:`SiamFC` tracks every target of
    :class:`OTB100Dataset` from its ground-truth first box,
    :class:`SOTMetric` scores the boxes.

    Args:
        otb_root (str): Folder of the OTB sequences and ``ann_file`` (an
            export's ``<out>/otb``).
        checkpoint (str, optional): ConST-CL / CVRL pretraining checkpoint
            (or an exported backbone); None = random initialisation
            (ResNet3dY's official init, drawn from ``seed``).
        train_root (str, optional): GOT-10k-layout root of the training
            pairs (an export's ``<out>/got10k`` with ``train/list.txt``);
            needed when the config trains (:data:`TRACKING_TRAIN_CONFIG`). Use
            videos distinct from the evaluation ones (e.g. the
            pretraining world's).
        branch (str, optional): Source res5: 'local' (res5_1) or 'global';
            None picks :func:`tracking_branch`.
        backbone (dict, optional): The pretrained model's backbone config;
            its architecture keys (depth, base_channels ...) override the
            config's. Strides, dilations and freezing stay the tracker's.
        targets (Sequence[str], optional): Only these sequences.
        ann_file (str): Info file under ``otb_root``.
        config (str): The tracking config.
        work_dir (str, optional): Runner work dir (default: a temp dir).
        seed (int): Runner seed (the random init). Defaults to 0.
        log_level (str): Runner log level. Defaults to 'WARNING'.
        cfg_options (dict, optional): Merged into the config first.

    Returns:
        dict: ``success`` (AUC, x100), ``precision`` (at 20 px, x100),
        ``norm_precision`` (x100), ``branch``, ``num_sequences``,
        ``num_frames``, ``seconds`` (wall time of the whole call).
    """
    from constcl_mm.utils import build_runner
    start = time.time()
    branch = branch or tracking_branch(checkpoint)
    if branch not in ('local', 'global'):
        raise ValueError(f"branch must be 'local' or 'global', got "
                         f'{branch!r}')
    cfg = prepare_cfg(config, work_dir, 'siamfc_eval', seed, log_level,
                      cfg_options)
    bb = cfg.model.backbone
    bb.update(arch_overrides(backbone))
    bb.update(
        branches=(branch, ),
        out_indices=(4, ) if branch == 'local' else (3, ),
        pretrained=checkpoint,
        pretrained_branch=branch if checkpoint is not None else None)
    cfg.model.head.in_channels = res5_channels(bb)
    dataset = cfg.test_dataloader.dataset
    dataset.update(
        data_root=otb_root, ann_file=ann_file, data_prefix=dict(img_path=''))
    if targets is not None:
        dataset.targets = list(targets)
    trains = cfg.get('train_dataloader', None) is not None
    if trains:
        if train_root is None:
            raise ValueError(f'{config} trains the adjust layer: give '
                             'train_root (a GOT-10k-layout folder)')
        if not osp.isfile(osp.join(train_root, 'train', 'list.txt')):
            raise FileNotFoundError(
                f'no {osp.join(train_root, "train", "list.txt")}: export '
                'the training videos with --layouts got10k')
        cfg.train_dataloader.dataset.update(
            data_root=train_root,
            ann_file='train/list.txt',
            data_prefix=dict(img_path='train'))
    runner = build_runner(cfg)
    if trains:
        runner.train()  # initialises the weights (pretrained backbone)
    else:
        # runner.test() does not initialise weights: load the pretrained
        # backbone, or draw the random init
        runner.model.init_weights()
    metrics = runner.test()
    data = runner.test_dataloader.dataset
    out = dict(
        success=float(metrics['sot/success']),
        precision=float(metrics['sot/precision']),
        norm_precision=float(metrics['sot/norm_precision']),
        branch=branch,
        num_sequences=int(data.num_videos),
        num_frames=int(len(data)),
        seconds=round(time.time() - start, 2))
    print_log(
        f'tracking ({branch} res5, {checkpoint or "random init"}): '
        f"success {out['success']:.2f}, precision@20px "
        f"{out['precision']:.2f} on {out['num_sequences']} sequences "
        f"({out['num_frames']} frames) in {out['seconds']:.1f} s",
        logger='current')
    return out
