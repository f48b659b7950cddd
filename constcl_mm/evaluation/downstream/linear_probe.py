# Copyright (c) constcl_mm authors. All rights reserved.
"""Linear-probe evaluation of a (pretrained) backbone, as a function."""
import os.path as osp
import time
from typing import Dict, Optional

from mmengine.logging import print_log

from .runner_utils import CONFIG_DIR, prepare_cfg, set_probe_backbone

#: The mini linear-probe config (frozen global branch, 16x2 clips at 64 px).
LINEAR_PROBE_CONFIG = osp.join(
    CONFIG_DIR, 'mini',
    'linear-probe_r3d50y-w16_1xb16-16x2x1-6e_synthetic-rgb.py')


def _count_lines(path: str) -> int:
    with open(path) as f:
        return sum(1 for line in f if line.strip())


def evaluate_linear_probe(
        train_list: str,
        test_list: str,
        checkpoint: Optional[str] = None,
        train_video_dir: Optional[str] = None,
        test_video_dir: Optional[str] = None,
        backbone: Optional[Dict] = None,
        max_epochs: Optional[int] = None,
        config: str = LINEAR_PROBE_CONFIG,
        work_dir: Optional[str] = None,
        seed: int = 0,
        log_level: str = 'WARNING',
        cfg_options: Optional[Dict] = None) -> Dict[str, float]:
    """Trains the project's linear-probe head on a frozen backbone, tests it.

    Builds ``config`` (by default the mini linear-probe config:
    ``Recognizer3D`` with the frozen ResNet3dY global branch and
    :class:`LinearProbeHead`, mmaction2's ``VideoDataset`` and pipelines),
    loads the checkpoint's global res5 (``pretrained_branch='global'``; a
    ConST-CL and a CVRL checkpoint both have one), then ``runner.train()``
    on ``train_list`` and ``runner.test()`` on ``test_list`` (mmaction2's
    ``AccMetric``).

    Args:
        train_list (str): mmaction2 video list (``path label`` lines), e.g.
            an export's ``<out>/videos.txt``.
        test_list (str): The held-out list.
        checkpoint (str, optional): Pretraining checkpoint (or an exported
            backbone); None = random initialisation drawn from ``seed``.
        train_video_dir (str, optional): Folder the train paths are relative
            to. Defaults to ``<dir of train_list>/videos``.
        test_video_dir (str, optional): Same for the test list.
        backbone (dict, optional): The pretrained model's backbone config;
            its architecture keys (depth, base_channels ...) override the
            config's.
        max_epochs (int, optional): Overrides the config's epochs.
        config (str): The linear-probe config.
        work_dir (str, optional): Runner work dir (default: a temp dir).
        seed (int): Runner seed (head init, clip sampling, random init).
        log_level (str): Runner log level. Defaults to 'WARNING'.
        cfg_options (dict, optional): Merged into the config first.

    Returns:
        dict: ``top1`` and ``mean_class_accuracy`` (fractions in [0, 1]),
        ``chance`` (1 / number of classes), ``num_train``, ``num_test``,
        ``seconds`` (wall time of the call).
    """
    from constcl_mm.utils import build_runner
    start = time.time()
    cfg = prepare_cfg(config, work_dir, 'linear_probe_eval', seed, log_level,
                      cfg_options)
    set_probe_backbone(cfg, backbone, checkpoint)
    for loader, ann, video_dir in ((cfg.train_dataloader, train_list,
                                    train_video_dir),
                                   (cfg.test_dataloader, test_list,
                                    test_video_dir)):
        if not osp.isfile(ann):
            raise FileNotFoundError(f'video list {ann} does not exist')
        if loader.dataset.get('type') in ('VideoDataset',
                                          'LabeledVideoDataset'):
            # labels checked against the classifier when the list is read
            loader.dataset.update(
                type='LabeledVideoDataset',
                num_classes=int(cfg.model.cls_head.num_classes))
        loader.dataset.update(
            ann_file=ann,
            data_prefix=dict(
                video=video_dir or osp.join(osp.dirname(ann), 'videos')))
    if max_epochs is not None:
        cfg.train_cfg.update(
            max_epochs=max_epochs,
            val_begin=max_epochs,
            val_interval=max_epochs)
    runner = build_runner(cfg)
    runner.train()
    metrics = runner.test()
    out = dict(
        top1=float(metrics['acc/top1']),
        mean_class_accuracy=float(metrics['acc/mean1']),
        chance=1.0 / int(cfg.model.cls_head.num_classes),
        num_train=_count_lines(train_list),
        num_test=_count_lines(test_list),
        seconds=round(time.time() - start, 2))
    print_log(
        f"linear probe ({checkpoint or 'random init'}): top-1 "
        f"{out['top1']:.3f} on {out['num_test']} videos (trained on "
        f"{out['num_train']}) in {out['seconds']:.1f} s",
        logger='current')
    return out
