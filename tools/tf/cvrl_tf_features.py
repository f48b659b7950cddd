# Copyright (c) constcl_mm authors. All rights reserved.
"""TF features of a CVRL checkpoint on a seeded clip, for
``tools/convert_tf_cvrl.py --check --tf-outputs`` (run in a TF venv)::

    python tools/tf/cvrl_tf_features.py r3d_1x_k400_200ep_backbone-1 \\
        feats.npz [--clip-shape 1 16 224 224] [--seed 0] [--reduced]

Builds CVRL's R3D-50 with the official factory (``cvrl_tf.
build_cvrl_backbone``; ``--reduced``: the reduced golden model), restores
the checkpoint (every variable must be matched) and saves the clip and the
res2-res5 endpoints (``clip``, ``endpoint_2`` .. ``endpoint_5``, NTHWC).
"""
import argparse

import numpy as np
import tensorflow as tf
from cvrl_tf import (build_cvrl_backbone, build_reduced_backbone, endpoints,
                     load_numpy_module)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='TF checkpoint prefix')
    parser.add_argument('out', help='output .npz')
    parser.add_argument(
        '--clip-shape',
        type=int,
        nargs=4,
        default=(1, 16, 224, 224),
        metavar=('N', 'T', 'H', 'W'))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--reduced', action='store_true')
    args = parser.parse_args()
    n, t, h, w = args.clip_shape
    build = build_reduced_backbone if args.reduced else build_cvrl_backbone
    model = build((t, h, w, 3))
    status = tf.train.Checkpoint(backbone=model).restore(args.checkpoint)
    status.assert_existing_objects_matched().expect_partial()
    clip = load_numpy_module('cvrl_weights').random_clip((n, t, h, w, 3),
                                                         args.seed)
    feats = endpoints(model, clip)
    np.savez(
        args.out, clip=clip, **{
            f'endpoint_{k}': v
            for k, v in feats.items()
        })
    print(f'{args.out}: ' + ', '.join(f'res{k} {v.shape}'
                                      for k, v in sorted(feats.items())))


if __name__ == '__main__':
    main()
