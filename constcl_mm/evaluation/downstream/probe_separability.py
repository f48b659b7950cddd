# Copyright (c) constcl_mm authors. All rights reserved.
"""Do frozen features carry the labels at all? A check apart from SGD.

The linear probe (:func:`evaluate_linear_probe`) trains one Linear layer
with SGD for a few epochs; when it ends at chance, either the features hold
no linear trace of the labels or the short SGD run cannot find it. This
module separates the two on the probe's *training* list only: it extracts
the frozen global features once (the linear-probe config's test pipeline:
whole frames, clips averaged) and cross-validates a multinomial logistic
regression solved to convergence by L-BFGS, on L2-normalised features (what
the probe head sees) and on standardised ones. The evaluation list is never
read.
"""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from .linear_probe import LINEAR_PROBE_CONFIG
from .runner_utils import prepare_cfg, set_probe_backbone


def extract_probe_features(video_list: str,
                           checkpoint: Optional[str] = None,
                           video_dir: Optional[str] = None,
                           backbone: Optional[Dict] = None,
                           config: str = LINEAR_PROBE_CONFIG,
                           seed: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
    """Globally pooled frozen res5 features of every video of a list.

    Args:
        video_list (str): mmaction2 video list (``path label`` lines).
        checkpoint (str, optional): Pretraining checkpoint; None = random
            initialisation drawn from ``seed``.
        video_dir (str, optional): Folder of the videos. Defaults to
            ``<dir of video_list>/videos``.
        backbone (dict, optional): The pretrained model's backbone config
            (its architecture keys override the config's).
        config (str): The linear-probe config (model and test pipeline).
        seed (int): Seed of the random initialisation.

    Returns:
        tuple: features ``(N, C)`` (GAP over time and space, averaged over
        the test pipeline's clips, not normalised) and labels ``(N,)``.
    """
    from mmaction.registry import MODELS
    from mmaction.utils import register_all_modules
    from mmengine.runner import Runner

    import constcl_mm  # noqa: F401 (registers the project's modules)
    register_all_modules()
    if not osp.isfile(video_list):
        raise FileNotFoundError(f'video list {video_list} does not exist')
    cfg = prepare_cfg(config, None, 'probe_separability', seed, 'WARNING')
    set_probe_backbone(cfg, backbone, checkpoint)
    cfg.test_dataloader.dataset.update(
        ann_file=video_list,
        data_prefix=dict(
            video=video_dir or osp.join(osp.dirname(video_list), 'videos')))
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.eval()
    loader = Runner.build_dataloader(cfg.test_dataloader, seed=seed)
    feats, labels = [], []
    with torch.no_grad():
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            inputs = data['inputs']  # (N, clips, C, T, H, W)
            num, clips = inputs.shape[:2]
            out = model.backbone(inputs.flatten(0, 1))
            if isinstance(out, (tuple, list)):
                out = out[-1]
            feats.append(out.mean(dim=(2, 3, 4)).view(num, clips, -1).mean(1))
            labels += [int(s.gt_label) for s in data['data_samples']]
    return torch.cat(feats).float(), torch.tensor(labels)


def fit_logistic_regression(features: torch.Tensor,
                            labels: torch.Tensor,
                            num_classes: int,
                            weight_decay: float = 1e-3,
                            max_iter: int = 500) -> torch.nn.Linear:
    """Multinomial logistic regression solved by L-BFGS (strong Wolfe).

    Args:
        features (Tensor): ``(N, C)``.
        labels (Tensor): ``(N,)`` in ``[0, num_classes)``.
        num_classes (int): Number of classes.
        weight_decay (float): L2 penalty on the weights (sum of squares).
        max_iter (int): L-BFGS iterations.

    Returns:
        nn.Linear: The fitted classifier.
    """
    linear = torch.nn.Linear(features.shape[1], num_classes)
    torch.nn.init.zeros_(linear.weight)
    torch.nn.init.zeros_(linear.bias)
    opt = torch.optim.LBFGS(
        linear.parameters(), max_iter=max_iter, line_search_fn='strong_wolfe')

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(linear(features), labels)
        loss = loss + weight_decay * linear.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return linear


def standardise(train: torch.Tensor,
                test: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Zero mean, unit variance per channel, statistics of ``train`` only."""
    mean, std = train.mean(0), train.std(0) + 1e-6
    return (train - mean) / std, (test - mean) / std


def cross_validate(features: torch.Tensor,
                   labels: torch.Tensor,
                   num_classes: int,
                   folds: int = 5,
                   weight_decays: Sequence[float] = (1e-4, 1e-3, 1e-2),
                   seed: int = 0) -> Dict[str, float]:
    """K-fold accuracy of :func:`fit_logistic_regression` per feature
    treatment and penalty.

    Args:
        features (Tensor): ``(N, C)`` raw features.
        labels (Tensor): ``(N,)``.
        num_classes (int): Number of classes (chance = the majority share
            is also reported).
        folds (int): Number of folds (a seeded permutation split).
        weight_decays (Sequence[float]): Penalties tried.
        seed (int): Seed of the permutation.

    Returns:
        dict: ``'<l2|standardised> wd=<w>'`` -> mean held-out accuracy;
        ``majority`` (share of the largest class), ``chance``
        (1 / num_classes) and ``mean_cosine`` (mean cosine similarity
        between different samples' features).
    """
    if folds < 2 or len(features) < folds:
        raise ValueError(f'need at least {folds} >= 2 samples for {folds} '
                         f'folds, got {len(features)}')
    perm = torch.randperm(
        len(features), generator=torch.Generator().manual_seed(seed))
    splits = perm.chunk(folds)
    unit = F.normalize(features, dim=1)
    cos = unit @ unit.T
    n = len(features)
    out = dict(
        chance=1.0 / num_classes,
        majority=float(torch.bincount(labels).max()) / n,
        mean_cosine=float((cos.sum() - cos.diag().sum()) / (n * n - n)))
    for name in ('l2', 'standardised'):
        for wd in weight_decays:
            correct = 0
            for k in range(folds):
                test = splits[k]
                train = torch.cat([s for j, s in enumerate(splits) if j != k])
                if name == 'l2':
                    x_train, x_test = unit[train], unit[test]
                else:
                    x_train, x_test = standardise(features[train],
                                                  features[test])
                clf = fit_logistic_regression(x_train, labels[train],
                                              num_classes, wd)
                with torch.no_grad():
                    pred = clf(x_test).argmax(1)
                correct += int((pred == labels[test]).sum())
            out[f'{name} wd={wd:g}'] = correct / n
    return out
