# Copyright (c) constcl_mm authors. All rights reserved.
"""Writes the CVRL conversion goldens with the official TF builder.

Run in a venv with TensorFlow and tf-models-official (``make check-tf-cvrl``
creates one; torch is not needed)::

    python tools/tf/make_cvrl_goldens.py --out tests/data/tf_cvrl \\
        [--full-dir work_dirs/tf_cvrl]

Writes into ``--out`` (committed, see tests/data/README.md):

* ``r3d50_cvrl_variables.txt``: every tensor of a checkpoint of CVRL's
  R3D-50 (``tf.train.Checkpoint(backbone=model)``, as the release): name,
  dtype, shape;
* ``r3d50_cvrl_outputs_sampled.npz``: that model with the seeded weights of
  ``constcl_mm/testing/cvrl_weights.py`` on the seeded 1x16x224x224 clip:
  512 sampled values of each endpoint res2-res5 (``idx_K`` / ``val_K``)
  and their abs-max;
* ``cvrl_reduced/cvrl_reduced_backbone-1.{index,data-00000-of-00001}`` and
  ``checkpoint``: the reduced model (``cvrl_tf.REDUCED``) saved by TF,
  seeded weights; ``cvrl_reduced_outputs.npz``: its res2-res5 on the seeded
  2x16x40x32 clip.

With ``--full-dir``, also the full R3D-50 checkpoint
(``r3d50_cvrl_backbone-1``, 127 MB) and ``r3d50_cvrl_tf_outputs.npz`` (the
clip and the complete endpoints), which ``tools/convert_tf_cvrl.py --check
--tf-outputs`` compares against. Every checkpoint written is also read back
by constcl_mm's reader and compared with ``tf.train.load_checkpoint``.
"""
import argparse
import os
import os.path as osp
import time

import numpy as np
import tensorflow as tf
from cvrl_tf import (assign_by_checkpoint_name, build_cvrl_backbone,
                     build_reduced_backbone, checkpoint_variables, endpoints,
                     load_numpy_module)

weights = load_numpy_module('cvrl_weights')
reader = load_numpy_module('tf_checkpoint')

FULL_CLIP = (1, 16, 224, 224, 3)
REDUCED_CLIP = (2, 16, 40, 32, 3)
SAMPLES = 512


def seeded(model, seed: int) -> tf.train.Checkpoint:
    root = tf.train.Checkpoint(backbone=model)
    shapes = {n: v.shape for n, v in checkpoint_variables(root).items()}
    count = assign_by_checkpoint_name(
        root, weights.random_cvrl_weights(shapes, seed))
    print(f'  {count} variables set from seed {seed}')
    return root


def compare_reader(prefix: str) -> None:
    """constcl_mm's reader against tf.train.load_checkpoint."""
    start = time.time()
    ours = reader.load_tf_checkpoint(prefix, strings=True)
    took = time.time() - start
    tf_reader = tf.train.load_checkpoint(prefix)
    names = dict(tf.train.list_variables(prefix))
    assert set(names) == set(ours), set(names) ^ set(ours)
    for name in names:
        theirs, mine = tf_reader.get_tensor(name), ours[name]
        if mine.dtype == object:
            assert mine.item() == theirs, name
        else:
            assert mine.dtype == theirs.dtype, name
            assert np.array_equal(mine, theirs), name
    print(f'  reader == tf.train.load_checkpoint on {len(names)} tensors of '
          f'{prefix} (read and checksummed in {took:.1f} s)')


def write_variables(prefix: str, path: str) -> None:
    entries = reader.TFCheckpointReader(prefix).variables()
    with open(path, 'w') as f:
        f.write('# name\tdtype\tshape (tools/tf/make_cvrl_goldens.py)\n')
        for name, (dtype, shape) in entries.items():
            f.write(f'{name}\t{dtype}\t{",".join(map(str, shape))}\n')
    print(f'  {len(entries)} tensors listed in {path}')


def reduced(out: str, seed: int) -> None:
    print('reduced model')
    model = build_reduced_backbone(REDUCED_CLIP[1:])
    root = seeded(model, seed)
    folder = osp.join(out, 'cvrl_reduced')
    prefix = root.save(osp.join(folder, 'cvrl_reduced_backbone'))
    compare_reader(prefix)
    feats = endpoints(model, weights.random_clip(REDUCED_CLIP, seed))
    np.savez(
        osp.join(out, 'cvrl_reduced_outputs.npz'),
        seed=seed,
        clip_shape=np.array(REDUCED_CLIP),
        **{
            f'endpoint_{k}': v
            for k, v in feats.items()
        })
    print('  endpoints ' + ', '.join(f'{k}: {v.shape}'
                                     for k, v in sorted(feats.items())))


def full(out: str, full_dir: str, seed: int) -> None:
    print('CVRL R3D-50 (official factory, CVRL experiment settings)')
    model = build_cvrl_backbone(FULL_CLIP[1:])
    root = seeded(model, seed)
    folder = full_dir or osp.join(out, '.tmp_full')
    prefix = root.save(osp.join(folder, 'r3d50_cvrl_backbone'))
    compare_reader(prefix)
    write_variables(prefix, osp.join(out, 'r3d50_cvrl_variables.txt'))
    clip = weights.random_clip(FULL_CLIP, seed)
    start = time.time()
    feats = endpoints(model, clip)
    print(f'  TF forward of {FULL_CLIP}: {time.time() - start:.1f} s')
    rng = np.random.default_rng([seed, 2])
    sampled = dict(seed=seed, clip_shape=np.array(FULL_CLIP))
    for key, value in sorted(feats.items()):
        idx = rng.choice(value.size, SAMPLES, replace=False)
        sampled[f'shape_{key}'] = np.array(value.shape)
        sampled[f'idx_{key}'] = idx
        sampled[f'val_{key}'] = value.reshape(-1)[idx]
        sampled[f'absmax_{key}'] = np.abs(value).max()
        print(f'  endpoint {key}: {value.shape}, abs-max '
              f'{np.abs(value).max():.4g}')
    np.savez(osp.join(out, 'r3d50_cvrl_outputs_sampled.npz'), **sampled)
    if full_dir:
        np.savez(
            osp.join(full_dir, 'r3d50_cvrl_tf_outputs.npz'),
            clip=clip,
            **{
                f'endpoint_{k}': v
                for k, v in feats.items()
            })
        print(f'  full checkpoint {prefix}, outputs '
              f'{osp.join(full_dir, "r3d50_cvrl_tf_outputs.npz")}')
    else:
        for name in os.listdir(folder):
            os.remove(osp.join(folder, name))
        os.rmdir(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='tests/data/tf_cvrl')
    parser.add_argument('--full-dir', help='also keep the full checkpoint')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--skip-reduced', action='store_true', help='only the R3D-50 part')
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.full_dir:
        os.makedirs(args.full_dir, exist_ok=True)
    print(f'TensorFlow {tf.__version__}')
    start = time.time()
    if not args.skip_reduced:
        reduced(args.out, args.seed)
    full(args.out, args.full_dir, args.seed)
    print(f'done in {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
