# Copyright (c) constcl_mm authors. All rights reserved.
"""SiamFC one-pass evaluation of a (pretrained) backbone, and its controls,
as functions.

Every tracker (SiamFC on a pretrained or random backbone, frozen or
fine-tuned; the static first-frame box; the pixel NCC template tracker) runs
through the same Runner test loop, :class:`OTB100Dataset`,
:class:`VideoSampler` and :class:`SOTMetric`, and every function returns
the same keys (:func:`evaluate_tracker`).
"""
import json
import math
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import CheckpointLoader

from .runner_utils import (CONFIG_DIR, arch_overrides, prepare_cfg,
                           res5_channels)

#: The mini SiamFC config with the parameter-free identity adjust layer.
TRACKING_CONFIG = osp.join(
    CONFIG_DIR, 'mini',
    'siamfc_r3d50y-w16-local-frozen_1xb1-5x2x1-identity_synthetic-otb.py')
#: The mini SiamFC config whose adjust layer (1x1 conv + BN) and response
#: bias train on GOT-10k-layout pairs (needs ``train_root``).
TRACKING_TRAIN_CONFIG = osp.join(
    CONFIG_DIR, 'mini',
    'siamfc_r3d50y-w16-local-frozen_1xb8-5x2x1-150it_synthetic-otb.py')
#: Backbone LR of ``finetune=True``, relative to the head's (the paper's
#: fine-tuned SiamFC: 10x lower than the head).
FINETUNE_LR_MULT = 0.1
#: The loss of a readout that predicts nothing: the balanced logistic loss
#: at zero logits.
CHANCE_LOSS = math.log(2)


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


def _set_test_data(cfg, otb_root: str, ann_file: str,
                   targets: Optional[Sequence[str]], name: str,
                   num_neighbors: Optional[int]) -> str:
    """Points the test dataset at ``otb_root`` and the metric's dumps at
    ``<work_dir>/ope``; returns that folder."""
    dataset = cfg.test_dataloader.dataset
    dataset.update(
        data_root=otb_root, ann_file=ann_file, data_prefix=dict(img_path=''))
    if targets is not None:
        dataset.targets = list(targets)
    if num_neighbors is not None:
        dataset.num_neighbors = num_neighbors
    out_dir = osp.join(cfg.work_dir, 'ope')
    cfg.test_evaluator.update(out_dir=out_dir, plot=False, tracker_name=name)
    return out_dir


def _ope_result(runner, metrics: Dict, out_dir: str, name: str,
                start: float) -> Dict:
    """The keys every evaluate_* function returns."""
    data = runner.test_dataloader.dataset
    with open(osp.join(out_dir, 'per_sequence.json')) as f:
        per_sequence = json.load(f)
    out = dict(
        name=name,
        success=float(metrics['sot/success']),
        precision=float(metrics['sot/precision']),
        norm_precision=float(metrics['sot/norm_precision']),
        num_sequences=int(data.num_videos),
        num_frames=int(len(data)),
        per_sequence=per_sequence,
        ope_dir=out_dir,
        seconds=round(time.time() - start, 2))
    print_log(
        f"tracking ({name}): success {out['success']:.2f}, precision@20px "
        f"{out['precision']:.2f} on {out['num_sequences']} sequences "
        f"({out['num_frames']} frames) in {out['seconds']:.1f} s",
        logger='current')
    return out


def evaluate_tracker(otb_root: str,
                     model: Dict,
                     name: str,
                     num_neighbors: Optional[int] = None,
                     targets: Optional[Sequence[str]] = None,
                     ann_file: str = 'otb_infos.txt',
                     work_dir: Optional[str] = None,
                     seed: int = 0,
                     log_level: str = 'WARNING') -> Dict:
    """OPE of a tracker without training, through :data:`TRACKING_CONFIG`'s
    dataset, sampler and metric.

    Args:
        otb_root (str): Folder of the OTB sequences and ``ann_file``.
        model (dict): The tracker's model config, e.g.
            ``dict(type='NCCTracker')``.
        name (str): Its name in the log and the plots.
        num_neighbors (int, optional): Frames on each side of every frame
            (None: the config's 2; 0 for single-frame trackers).
        targets (Sequence[str], optional): Only these sequences.
        ann_file (str): Info file under ``otb_root``.
        work_dir (str, optional): Runner work dir (default: a temp dir).
        seed (int): Runner seed. Defaults to 0.
        log_level (str): Runner log level. Defaults to 'WARNING'.

    Returns:
        dict: ``name``; ``success`` (AUC), ``precision`` (at 20 px),
        ``norm_precision`` (at 0.2), all x100 as :class:`SOTMetric`
        reports them; ``num_sequences``, ``num_frames``; ``per_sequence``
        (per video: ``video``, ``frames``, ``success``, ``precision``,
        ``norm_precision``, ``success_curve`` (21), ``precision_curve``
        (51), as in ``SOTMetric``'s ``per_sequence.json``); ``ope_dir``
        (``<work_dir>/ope``: that json and ``results/<video>.txt``, the
        boxes for ``tools/analysis/draw_tracking_results.py``); ``seconds``.
    """
    from constcl_mm.utils import build_runner
    start = time.time()
    cfg = prepare_cfg(TRACKING_CONFIG, work_dir, f'ope_{name}', seed,
                      log_level)
    cfg.model = dict(model)
    out_dir = _set_test_data(cfg, otb_root, ann_file, targets, name,
                             num_neighbors)
    runner = build_runner(cfg)
    metrics = runner.test()
    return _ope_result(runner, metrics, out_dir, name, start)


def evaluate_static_tracker(otb_root: str, **kwargs) -> Dict:
    """The control that never moves: the first-frame box in every frame
    (:class:`StaticBoxTracker`). ``kwargs``: :func:`evaluate_tracker`'s
    ``targets``, ``ann_file``, ``work_dir``, ``seed``, ``log_level``."""
    return evaluate_tracker(
        otb_root,
        dict(type='StaticBoxTracker'),
        kwargs.pop('name', 'static first-frame box'),
        num_neighbors=0,
        **kwargs)


def evaluate_ncc_tracker(otb_root: str,
                         search_factor: float = 1.0,
                         scales: Sequence[float] = (1 / 1.05, 1.0, 1.05),
                         **kwargs) -> Dict:
    """The pixel control: the first frame's template matched by normalised
    cross-correlation around the last position (:class:`NCCTracker`).
    ``kwargs``: :func:`evaluate_tracker`'s ``targets``, ``ann_file``,
    ``work_dir``, ``seed``, ``log_level``."""
    return evaluate_tracker(
        otb_root,
        dict(
            type='NCCTracker',
            search_factor=search_factor,
            scales=tuple(scales)),
        kwargs.pop('name', 'pixel NCC template'),
        num_neighbors=0,
        **kwargs)


def _set_backbone(cfg, checkpoint: Optional[str], branch: str,
                  backbone: Optional[Dict], finetune: bool,
                  finetune_lr_mult: float) -> None:
    """The tracker's backbone: the pretrained architecture and strides, the
    chosen res5, frozen or fine-tuned."""
    from constcl_mm.models.trackers import pretrain_geometry
    bb = cfg.model.backbone
    bb.update(arch_overrides(backbone))
    if backbone is not None:
        # the dilations follow these strides (checked when SiamFC builds)
        cfg.model.pretrain_backbone = pretrain_geometry(backbone)
    bb.update(
        branches=(branch, ),
        out_indices=(4, ) if branch == 'local' else (3, ),
        pretrained=checkpoint,
        pretrained_branch=branch if checkpoint is not None else None)
    cfg.model.head.in_channels = res5_channels(bb)
    if finetune:
        # every stage trains, BN statistics stay those of pretraining
        bb.update(frozen_stages=-1, norm_eval=True)
        paramwise = cfg.optim_wrapper.setdefault('paramwise_cfg', {})
        paramwise.setdefault('custom_keys',
                             {})['backbone'] = dict(lr_mult=finetune_lr_mult)


def _set_train_data(cfg, config: str, train_root: Optional[str]) -> None:
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


class BackboneChangeHook(Hook):
    """Measures how far training moved the tracker's backbone.

    After training, ``change`` holds ``params`` (the largest absolute change
    of any backbone parameter) and ``bn_stats`` (of any BN running mean /
    variance): both 0 for a frozen backbone, ``bn_stats`` 0 for a
    fine-tuned one with BN in eval mode.
    """

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.change: Optional[Dict[str, float]] = None

    @staticmethod
    def _tensors(runner) -> Dict[str, Dict]:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        bb = model.backbone
        return dict(
            params={
                k: v.detach()
                for k, v in bb.named_parameters()
            },
            bn_stats={
                k: v.detach()
                for k, v in bb.named_buffers()
                if k.endswith(('running_mean', 'running_var'))
            })

    def before_train(self, runner) -> None:
        self._start = {
            group: {
                k: v.clone()
                for k, v in tensors.items()
            }
            for group, tensors in self._tensors(runner).items()
        }

    def after_train(self, runner) -> None:
        self.change = {
            group:
            max((float((v - self._start[group][k]).abs().max())
                 for k, v in tensors.items()),
                default=0.)
            for group, tensors in self._tensors(runner).items()
        }
        del self._start


def _train_loss(runner) -> List[float]:
    """The per-iteration SiamFC loss of the run (the message hub)."""
    buf = runner.message_hub.log_scalars.get('train/loss_siamfc')
    return [] if buf is None else [float(v) for v in buf.data[0]]


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
                      cfg_options: Optional[Dict] = None,
                      finetune: bool = False,
                      finetune_lr_mult: float = FINETUNE_LR_MULT,
                      name: Optional[str] = None) -> Dict:
    """SiamFC OPE with the project's tracker, OTB dataset and metric.

    Builds ``config`` (:data:`TRACKING_CONFIG`, frozen backbone and identity
    adjust layer, or :data:`TRACKING_TRAIN_CONFIG`, adjust layer + bias
    trained on pairs), puts the checkpoint's ``branch`` res5 into the
    tracker's backbone, trains on :class:`GOT10kPairDataset` pairs from
    ``train_root`` (``runner.train()``, when the config has a training
    loop), then runs ``runner.test()``: :class:`SiamFC` tracks every target
    of :class:`OTB100Dataset` from its ground-truth first box,
    :class:`SOTMetric` scores the boxes.

    The tracker's backbone takes the architecture (:data:`ARCH_KEYS`) of
    ``backbone`` and runs res4/res5 without stride, dilated by the
    pretraining strides they lose (``backbone['spatial_strides']``, default
    ResNet3d's ``(1, 2, 2, 2)``): a config stating other dilations is
    refused when the model is built, ``'auto'`` takes the derived ones
    (:func:`~constcl_mm.models.trackers.tracker_geometry`).

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
        backbone (dict, optional): The pretrained model's backbone config:
            its architecture keys override the config's, its
            ``spatial_strides`` / ``dilations`` set the tracker's (None: the
            config's ``model.pretrain_backbone``). Branches, outputs and
            freezing stay the tracker's.
        targets (Sequence[str], optional): Only these sequences.
        ann_file (str): Info file under ``otb_root``.
        config (str): The tracking config.
        work_dir (str, optional): Runner work dir (default: a temp dir).
        seed (int): Runner seed (the random init). Defaults to 0.
        log_level (str): Runner log level. Defaults to 'WARNING'.
        cfg_options (dict, optional): Merged into the config first.
        finetune (bool): Train the whole backbone too (the paper's
            fine-tuned tracker), at ``finetune_lr_mult`` x the head's LR,
            BN in eval mode (the pretraining statistics). Needs a config
            that trains. Defaults to False (frozen backbone).
        finetune_lr_mult (float): See ``finetune``. Defaults to
            :data:`FINETUNE_LR_MULT`.
        name (str, optional): Name in the log and plots (default
            ``'SiamFC <branch> res5, frozen|fine-tuned'``).

    Returns:
        dict: The keys of :func:`evaluate_tracker` (``success``,
        ``precision``, ``norm_precision``, ``num_sequences``,
        ``num_frames``, ``per_sequence``, ``ope_dir``, ``seconds``, ``name``)
        and ``branch``, ``finetune``, ``train_loss`` (the loss of every
        training iteration; empty without training), ``train_loss_first``
        / ``train_loss_last`` (means of the first / last 20 iterations,
        None without training), ``train_loss_plot`` (the curve as
        ``<work_dir>/train_loss.png``, None without training), and
        ``backbone_change`` / ``backbone_bn_change``, the largest absolute
        change training made to a backbone parameter / BN running
        statistic (:class:`BackboneChangeHook`; 0 when frozen).
    """
    from constcl_mm.utils import build_runner
    from .tracking_plots import plot_training_loss
    start = time.time()
    branch = branch or tracking_branch(checkpoint)
    if branch not in ('local', 'global'):
        raise ValueError(f"branch must be 'local' or 'global', got "
                         f'{branch!r}')
    cfg = prepare_cfg(config, work_dir, 'siamfc_eval', seed, log_level,
                      cfg_options)
    trains = cfg.get('train_dataloader', None) is not None
    if finetune and not trains:
        raise ValueError(
            f'finetune=True needs a config that trains; {config} has no '
            'train_dataloader (use TRACKING_TRAIN_CONFIG)')
    name = name or (f"SiamFC {branch} res5, "
                    f"{'fine-tuned' if finetune else 'frozen'}")
    _set_backbone(cfg, checkpoint, branch, backbone, finetune,
                  finetune_lr_mult)
    out_dir = _set_test_data(cfg, otb_root, ann_file, targets, name, None)
    if trains:
        _set_train_data(cfg, config, train_root)
    runner = build_runner(cfg)
    change = BackboneChangeHook()
    if trains:
        runner.register_hook(change)
        runner.train()  # initialises the weights (pretrained backbone)
    else:
        # runner.test() does not initialise weights: load the pretrained
        # backbone, or draw the random init
        runner.model.init_weights()
    losses = _train_loss(runner) if trains else []
    metrics = runner.test()
    out = _ope_result(runner, metrics, out_dir, name, start)
    out.update(
        branch=branch,
        finetune=finetune,
        train_loss=losses,
        train_loss_first=sum(losses[:20]) /
        len(losses[:20]) if losses else None,
        train_loss_last=sum(losses[-20:]) /
        len(losses[-20:]) if losses else None,
        train_loss_plot=None,
        backbone_change=change.change['params'] if trains else 0.,
        backbone_bn_change=change.change['bn_stats'] if trains else 0.)
    if losses:
        out['train_loss_plot'] = osp.join(cfg.work_dir, 'train_loss.png')
        plot_training_loss({name: losses}, out['train_loss_plot'])
        print_log(
            f"{name}: training loss {out['train_loss_first']:.3f} (first 20 "
            f"iterations) -> {out['train_loss_last']:.3f} (last 20; ln 2 = "
            f'{CHANCE_LOSS:.3f})',
            logger='current')
    return out
