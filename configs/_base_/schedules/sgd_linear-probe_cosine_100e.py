# CVRL's linear-evaluation schedule (`cvrl_linear_eval_k600.yaml`,
# docs/official_implementation.md §7): SGD momentum 0.9 (no Nesterov), LR
# 32.0 at a global batch of 1024 clips, i.e. 8.0 at the 256 clips
# (8 GPUs x 32) of the config names, linear warmup over the first 5% of
# training (1,787 of 35,744 steps, i.e. 5 of 100 epochs), cosine decay to 0,
# no weight decay.
max_epochs = 100

train_cfg = dict(
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_begin=1,
    val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    # Only the linear layer has gradients: the frozen backbone's parameters
    # get none, so SGD leaves them untouched.
    optimizer=dict(
        type='SGD', lr=8.0, momentum=0.9, nesterov=False, weight_decay=0.0))

# per-iteration warmup (5% of the run) and cosine; both follow
# train_cfg.max_epochs
param_scheduler = dict(
    type='WarmupCosineLR',
    warmup=dict(ratio=0.05),
    start_factor=1e-3,
    cosine_origin='warmup_end',
    by_epoch=False)

# LR 8.0 is CVRL's 32.0 per 1024 clips at the 256 clips of the config names;
# `--auto-scale-lr` rescales it by (GPUs x batch_size) / 256 (CVRL's own
# batch: 32 GPUs x 32 clips, LR 32.0).
auto_scale_lr = dict(enable=False, base_batch_size=256)
