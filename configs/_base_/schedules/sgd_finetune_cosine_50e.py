# Fine-tuning schedule for UCF101 / HMDB51. The paper fine-tunes all layers
# for 50 epochs (Section 4.2); the rest is constcl_mm's choice, as the paper
# and the public code give no optimiser for it: SGD momentum 0.9, LR 0.1 at
# 64 clips per step, 5-epoch linear warmup, cosine to 0 at the end of the 50
# epochs, weight decay 1e-4 (not on BN parameters and biases), gradient
# clipping at 40 (mmaction2's recognition default).
max_epochs = 50
warmup_epochs = 5

train_cfg = dict(
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_begin=1,
    val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, nesterov=False, weight_decay=1e-4),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=dict(max_norm=40, norm_type=2))

# per-iteration warmup and cosine; both follow train_cfg.max_epochs
param_scheduler = dict(
    type='WarmupCosineLR',
    warmup=dict(epochs=warmup_epochs),
    start_factor=1e-3,
    cosine_origin='warmup_end',
    by_epoch=False)

# LR 0.1 is the LR of the batch in the config names (8 GPUs x 8 clips = 64);
# `--auto-scale-lr` rescales it by (GPUs x batch_size) / 64.
auto_scale_lr = dict(enable=False, base_batch_size=64)
