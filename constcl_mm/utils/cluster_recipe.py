# Copyright (c) constcl_mm authors. All rights reserved.
"""The paper's pretraining recipe fitted to a cluster (a pure function).

The rule:

1. Per-GPU batch: the paper's global batch of 1024 videos split over the
   GPUs, in the cheapest memory mode that fits the card (fp32, then
   activation checkpointing ``with_cp``, then ``with_cp`` + ``--amp``); when
   even that does not fit, the largest power of two that does (the global
   batch then drops below 1024).
2. Length: the paper's number of epochs (200k steps of 1024 videos over
   Kinetics-400's 235,693 videos = 869 epochs) and its 5-epoch warmup, in
   steps of the new global batch.
3. LR: 40.96 per 1024 videos, scaled linearly to the global batch (what
   ``--auto-scale-lr`` does), for DDP's averaged gradients.
4. The official code's step (gradient summation): the TF train step sums
   the R replicas' gradients of their own mean losses,
   ``g_TF = sum_r grad L_r = R * grad L_mean``, while DDP averages
   (``g_DDP = grad L_mean``). The official update is therefore reproduced
   with ``lr = 40.96 * R * G / 1024`` (G = global batch, R = the official
   replica count, which is not published); the L2 term is summed R times as
   well, which the same LR factor covers with weight decay unchanged.
   Keras SGD folds the LR into the momentum buffer (``v = m v - lr g``)
   whereas PyTorch applies it after (``w -= lr (m b + g)``): the two agree
   while the LR is constant and differ slightly while it changes.

Memory per GPU is an estimate from the CPU measurement of
``benchmarks/pretrain_step.py`` (docs/pretraining.md): 1.44 GB of step
activations per video in fp32 (0.72 GB with ``with_cp``), half that again
with ``--amp`` (estimated), plus 0.86 GB of weights, gradients and momentum,
with a 20 % margin for GPU workspace and fragmentation.
"""
import math
from dataclasses import dataclass
from typing import List, Optional

PAPER_BATCH = 1024
PAPER_LR = 40.96
PAPER_ITERS = 200_000
K400_TRAIN_VIDEOS = 235_693
WARMUP_EPOCHS = 5
ACT_GB_PER_VIDEO = 1.44
STATE_GB = 0.86
MARGIN = 1.2
# (with_cp, amp) in order of cost, with the activation factor of each
MODES = ((False, False, 1.0), (True, False, 0.5), (True, True, 0.25))


@dataclass(frozen=True)
class ClusterRecipe:
    """What to run on ``gpus`` GPUs (see the module docstring)."""
    gpus: int
    batch_per_gpu: int
    global_batch: int
    with_cp: bool
    amp: bool
    memory_gb: float
    lr: float
    iters: int
    epochs: float
    warmup_iters: int
    global_negatives: int
    official_lr: Optional[float]

    def command(self, config: str = 'configs/constcl/pretrain.py') -> str:
        """The launch command with the matching overrides."""
        opts = [
            f'train_dataloader.batch_size={self.batch_per_gpu}',
            f'train_cfg.max_iters={self.iters}',
            f'optim_wrapper.optimizer.lr={self.lr:g}'
        ]
        if self.with_cp:
            opts.append('model.backbone.with_cp=True')
        amp = ' --amp' if self.amp else ''
        return (f'tools/dist_train.sh {config} {self.gpus}{amp} '
                f"--cfg-options {' '.join(opts)}")


def step_memory_gb(batch_per_gpu: int, with_cp: bool, amp: bool) -> float:
    """Estimated memory of a train step on one GPU (without the margin)."""
    factor = {(m[0], m[1]): m[2] for m in MODES}[(with_cp, amp)]
    return STATE_GB + batch_per_gpu * ACT_GB_PER_VIDEO * factor


def cluster_recipe(gpus: int,
                   gpu_memory_gb: float = 32.0,
                   videos: int = K400_TRAIN_VIDEOS,
                   official_replicas: Optional[int] = None) -> ClusterRecipe:
    """The paper's recipe on ``gpus`` GPUs of ``gpu_memory_gb`` each.

    Args:
        gpus (int): GPUs (DDP processes).
        gpu_memory_gb (float): Memory of one GPU. Defaults to 32.
        videos (int): Training videos (Kinetics-400: 235,693).
        official_replicas (int, optional): The official run's replica count
            R, to give the LR that reproduces its summed-gradient step.

    Returns:
        ClusterRecipe: batch, memory mode, LR, steps and warmup.
    """
    if gpus < 1 or PAPER_BATCH % gpus:
        raise ValueError(f'gpus must divide the paper batch of {PAPER_BATCH}'
                         f' videos, got {gpus}')
    if gpu_memory_gb <= STATE_GB * MARGIN:
        raise ValueError(f'{gpu_memory_gb} GB cannot hold the model')
    wanted = PAPER_BATCH // gpus
    choice = None
    for with_cp, amp, _ in MODES:
        if step_memory_gb(wanted, with_cp, amp) * MARGIN <= gpu_memory_gb:
            choice = (wanted, with_cp, amp)
            break
    if choice is None:  # the largest power of two in the cheapest mode
        per_video = ACT_GB_PER_VIDEO * MODES[-1][2]
        fit = int((gpu_memory_gb / MARGIN - STATE_GB) // per_video)
        if fit < 1:
            raise ValueError(f'{gpu_memory_gb} GB cannot hold one video')
        choice = (2**int(math.log2(fit)), True, True)
    batch, with_cp, amp = choice
    global_batch = batch * gpus
    epochs = PAPER_ITERS * PAPER_BATCH / videos
    iters = int(round(epochs * videos / global_batch))
    lr = PAPER_LR * global_batch / PAPER_BATCH
    official = None
    if official_replicas is not None:
        official = PAPER_LR * official_replicas * global_batch / PAPER_BATCH
    return ClusterRecipe(
        gpus=gpus,
        batch_per_gpu=batch,
        global_batch=global_batch,
        with_cp=with_cp,
        amp=amp,
        memory_gb=round(step_memory_gb(batch, with_cp, amp), 1),
        lr=lr,
        iters=iters,
        epochs=round(epochs, 1),
        warmup_iters=int(round(WARMUP_EPOCHS * videos / global_batch)),
        global_negatives=2 * global_batch - 1,
        official_lr=official)


def recipe_table(gpu_counts: List[int] = (8, 16, 32, 64, 128),
                 gpu_memory_gb: float = 32.0,
                 official_replicas: Optional[int] = None) -> str:
    """A markdown table of :func:`cluster_recipe` for several clusters."""
    rows = [
        '| GPUs | videos/GPU | global batch | memory mode | est. GB/GPU '
        '| LR | iterations | epochs | warmup steps | NT-Xent negatives |' +
        (' LR for the official step |' if official_replicas else ''),
        '|---|---|---|---|---|---|---|---|---|---|' +
        ('---|' if official_replicas else '')
    ]
    for gpus in gpu_counts:
        r = cluster_recipe(
            gpus, gpu_memory_gb, official_replicas=official_replicas)
        mode = ' + '.join(['`with_cp`'] * r.with_cp +
                          ['`--amp`'] * r.amp) or 'fp32'
        row = (f'| {r.gpus} | {r.batch_per_gpu} | {r.global_batch} | {mode} '
               f'| {r.memory_gb:.1f} | {r.lr:g} | {r.iters:,} | {r.epochs} '
               f'| {r.warmup_iters:,} | {r.global_negatives:,} |')
        if official_replicas:
            row += f' {r.official_lr:g} |'
        rows.append(row)
    return '\n'.join(rows)


#: the per-cluster pretraining configs (GPUs -> path; 32 GB cards, the
#: recipe of :func:`cluster_recipe`; those of 8 and 16 GPUs need ``--amp``)
CLUSTER_CONFIGS = {
    8: 'configs/constcl/constcl_r3d50y_8xb64-16x2x2-400k_kinetics400.py',
    16: 'configs/constcl/constcl_r3d50y_16xb64-16x2x2-200k_kinetics400.py',
    32: 'configs/constcl/constcl_r3d50y_32xb32-16x2x2-200k_kinetics400.py',
    64: 'configs/constcl/constcl_r3d50y_64xb16-16x2x2-200k_kinetics400.py',
    128: 'configs/constcl/constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py',
}


def cluster_config(gpus: int) -> Optional[str]:
    """The per-cluster config for ``gpus`` GPUs (with `` --amp`` where it
    needs it), or None when there is none."""
    path = CLUSTER_CONFIGS.get(int(gpus))
    if path is None:
        return None
    return path + (' with --amp' if cluster_recipe(int(gpus)).amp else '')
