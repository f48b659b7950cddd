# Copyright (c) constcl_mm authors. All rights reserved.
"""Cross-validated logistic regression on frozen features of a probe list.

Tells apart "the features hold no linear trace of the labels" from "the
short SGD linear probe did not find it": extracts the frozen global
features of the probe's TRAINING list once and reports K-fold accuracy of
an L-BFGS logistic regression (L2-normalised and standardised features,
several penalties)::

    python tools/analysis/probe_separability.py \
        work_dirs/mini_experiment/data/probe_train/videos.txt \
        --checkpoint work_dirs/mini_experiment/seed0/constcl_ctx5/iter_400.pth

Without ``--checkpoint`` the network is randomly initialised. With a
checkpoint, the backbone architecture is read from the config saved next
to it (as ``tools/mini_experiment.py`` writes it); ``--base-channels``
overrides it.
"""
import argparse
import glob
import json
import os.path as osp
import time

from mmengine.config import Config


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('video_list', help='probe TRAINING list')
    parser.add_argument('--checkpoint', help='pretraining checkpoint')
    parser.add_argument(
        '--base-channels',
        type=int,
        help='backbone width (default: the config next to the checkpoint, '
        'else 16, the mini models)')
    parser.add_argument('--folds', type=int, default=5)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='write the scores as JSON')
    return parser.parse_args()


def backbone_of(checkpoint, base_channels):
    """The architecture keys for the probe's backbone."""
    if base_channels is not None:
        return dict(base_channels=base_channels)
    if checkpoint is not None:
        configs = glob.glob(osp.join(osp.dirname(checkpoint), '*.py'))
        if len(configs) == 1:
            return dict(Config.fromfile(configs[0]).model.backbone)
    return dict(base_channels=16)


def main():
    args = parse_args()
    from constcl_mm.evaluation.downstream import (cross_validate,
                                                  extract_probe_features)
    start = time.time()
    feats, labels = extract_probe_features(
        args.video_list,
        args.checkpoint,
        backbone=backbone_of(args.checkpoint, args.base_channels),
        seed=args.seed)
    num_classes = int(labels.max()) + 1
    scores = cross_validate(
        feats, labels, num_classes, folds=args.folds, seed=args.seed)
    scores.update(
        num_videos=len(labels),
        channels=feats.shape[1],
        seconds=round(time.time() - start, 1))
    print(f"{len(labels)} videos, {feats.shape[1]} channels, "
          f"{num_classes} classes (chance {scores['chance']:.3f}, majority "
          f"{scores['majority']:.3f}); mean cosine between videos "
          f"{scores['mean_cosine']:.3f}")
    for key, value in scores.items():
        if 'wd=' in key:
            print(f'{args.folds}-fold accuracy, {key}: {value:.3f}')
    print(f"{scores['seconds']} s")
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(scores, f, indent=1)


if __name__ == '__main__':
    main()
