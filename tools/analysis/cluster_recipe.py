# Copyright (c) constcl_mm authors. All rights reserved.
"""Prints the paper's pretraining recipe fitted to your cluster.

    python tools/analysis/cluster_recipe.py                  # 8-128 GPUs, 32GB
    python tools/analysis/cluster_recipe.py --gpus 16 --gpu-mem 80
    python tools/analysis/cluster_recipe.py --official-replicas 128

Per-GPU batch and memory mode, LR, iterations, warmup and the launch
command; with ``--official-replicas R`` also the LR that reproduces the
official code's summed-gradient step (the rule and its caveats:
``constcl_mm/utils/cluster_recipe.py``, docs/pretraining.md "Clusters").
"""
import argparse

from constcl_mm.utils.cluster_recipe import cluster_recipe, recipe_table


def main() -> None:
    parser = argparse.ArgumentParser(description='ConST-CL cluster recipe')
    parser.add_argument(
        '--gpus', type=int, nargs='+', default=[8, 16, 32, 64, 128])
    parser.add_argument(
        '--gpu-mem',
        type=float,
        default=32.0,
        help='memory of one GPU in GB (default 32)')
    parser.add_argument(
        '--official-replicas',
        type=int,
        default=None,
        help='replica count R of the official run')
    args = parser.parse_args()
    print(recipe_table(args.gpus, args.gpu_mem, args.official_replicas))
    print()
    for gpus in args.gpus:
        print(cluster_recipe(gpus, args.gpu_mem).command())


if __name__ == '__main__':
    main()
