# Mini ConST-CL (context 5) on the synthetic video world: the classes and
# the pipeline of the paper's config (ResNet3dY, ConSTCL, the context neck,
# both contrastive heads, two-view CVRL sampling with random boxes) at a
# size that pretrains in minutes on 2 CPU cores (tools/mini_experiment.py).
# Each departure from configs/constcl/pretrain.py is explained next to it.
_base_ = [
    '../_base_/models/constcl_r3d50y.py',
    '../_base_/datasets/synthetic_world_constcl_pretrain.py',
    '../_base_/pretrain_runtime.py',
]

width = 16  # base channels: a quarter of R3D-50 (16x fewer MACs)
feat_channels = width * 32  # res5 width of a bottleneck ResNet (512)
model = dict(
    backbone=dict(
        base_channels=width,
        # res5 at stride 1: 64-px crops give 4x4 res5 maps instead of 2x2,
        # so that 8 boxes per view cover distinct feature cells
        spatial_strides=(1, 2, 2, 1)),
    global_head=dict(in_channels=feat_channels, hid_channels=feat_channels),
    neck=dict(
        in_channels=feat_channels,
        context_length=5,  # feature frames 2-6 of 8, as the paper's model
        # decoder units as wide as the res5 features allow (official 128
        # for 2048 channels)
        attention_cfg=dict(tx_channels=64)),
    # The official weight (0.001). With AdamW (below) the local branch
    # (res5_1 and the neck, which only the local loss reaches) learns at full
    # speed whatever the weight, and the shared trunk keeps the official
    # balance of the two losses.
    local_head=dict(loss_weight=0.001))

max_iters = 400
# AdamW instead of the paper's SGD at LR 40.96 x batch 1024: with 8 videos per
# step SGD needs a per-branch LR (the local branch sees 0.001 x the global
# gradient); Adam's per-parameter normalisation gives both branches a usable
# step at one LR. 1e-3 is Adam's common default for a batch this small.
# bfloat16 autocast (what `--amp` does on the CPU; the official code trains in
# bfloat16 too): 2x faster here; the losses are computed in float32.
optim_wrapper = dict(
    type='AutocastOptimWrapper',
    dtype='bfloat16',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
# linear warmup over the first 5% of the run, then cosine to 0 at its last
# step; both follow train_cfg.max_iters (e.g. tools/mini_experiment.py
# --iters, or --cfg-options train_cfg.max_iters=...)
param_scheduler = dict(
    type='WarmupCosineLR',
    warmup=dict(ratio=0.05),
    start_factor=0.01,
    cosine_origin='warmup_end',
    by_epoch=False)
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = None
test_cfg = None
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
log_processor = dict(window_size=10)
# several processes (tools/dist_train.sh CONFIG N) normalise over the global
# batch like one process: torch's SyncBN on GPUs, ConstclSyncBatchNorm
# without CUDA (sync_bn='constcl'); a single process keeps plain BN
sync_bn = 'torch'
randomness = dict(seed=0)
