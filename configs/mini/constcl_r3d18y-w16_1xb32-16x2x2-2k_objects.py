# Mini ConST-CL (context 5) on the object world of the second learning proof
# (docs/learning_proof.md): the classes and the pipeline of the paper's
# config (ResNet3dY, ConSTCL, the context neck, both contrastive heads,
# two-view CVRL sampling with 8 random boxes per view) at laptop size: one
# pretraining takes about 20 minutes on 2 idle CPU cores (0.6 s per step,
# benchmarks/mini_step.py; the 5 minutes aimed at are not reached).
# Each departure from configs/constcl/pretrain.py is explained next to it.
_base_ = [
    '../_base_/models/constcl_r3d50y.py',
    '../_base_/datasets/object_world_constcl_pretrain.py',
    '../_base_/pretrain_runtime.py',
]

width = 16  # base channels: a quarter of R3D's 64
# R3D-18-Y (basic blocks, res5 of 8 x width = 128 channels): a deeper trunk
# would make 2,000 steps of 32 videos slower still on 2 cores
feat_channels = width * 8
model = dict(
    backbone=dict(
        depth=18,
        base_channels=width,
        # res5 at stride 1: 48-px crops give 3x3 res5 maps instead of 2x2
        spatial_strides=(1, 2, 2, 1)),
    global_head=dict(in_channels=feat_channels, hid_channels=feat_channels),
    neck=dict(
        in_channels=feat_channels,
        context_length=5,  # feature frames 2-6 of 8, as the paper's model
        attention_cfg=dict(tx_channels=64)),
    # the official weight (0.001); with AdamW (below) the local branch
    # (res5_1 and the neck, which only the local loss reaches) learns at full
    # speed whatever the weight, and the shared trunk keeps the official
    # balance of the two losses
    local_head=dict(loss_weight=0.001))

max_iters = 2000
# AdamW instead of the paper's SGD at LR 40.96 x batch 1024: with 32 videos
# per step SGD would need one LR per branch (the local branch sees 0.001 x
# the global gradient); Adam's per-parameter step lets both branches learn
# at one LR. bfloat16 autocast (what `--amp` does on the CPU; the official
# code trains in bfloat16 too); the losses are computed in float32. LR 3e-4:
# chosen on the supervised control's training loss (pretraining world):
# after 260 of 400 steps 4.71 at 3e-4 against 4.84 at 1e-3 (chance 4.85).
optim_wrapper = dict(
    type='AutocastOptimWrapper',
    dtype='bfloat16',
    optimizer=dict(type='AdamW', lr=3e-4, weight_decay=1e-4),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
# linear warmup over the first 5% of the run, then cosine to 0 at its end
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
    logger=dict(interval=20),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
log_processor = dict(window_size=20)
sync_bn = None
randomness = dict(seed=0)
