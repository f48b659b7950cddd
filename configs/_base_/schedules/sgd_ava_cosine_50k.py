# AVA v2.2 / AVA-Kinetics fine-tuning schedule. What the paper gives
# (Section 4.2): batch 256 for 50k iterations (with 32-frame clips at stride 2,
# short side 400, in the dataset bases). The optimiser is not given there;
# ours keeps the shape of mmaction2's AVA v2.2 recipe (SGD momentum 0.9,
# weight decay 1e-5, linear warmup from 0.1x over the first 20% of the run,
# cosine to 0, gradient clipping at 40) with its LR 0.05 per 32 clips scaled
# linearly to 0.4 for the 256 clips of the config names (32 GPUs x 8).
# On 8 or 16 GPUs the same step comes from gradient accumulation
# (optim_wrapper.accumulative_counts with max_iters scaled by it):
# docs/detection_ava.md lists the settings and the memory they need.
max_iters = 50000

train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# warmup and cosine follow train_cfg.max_iters
param_scheduler = dict(
    type='WarmupCosineLR',
    warmup=dict(ratio=0.2),
    start_factor=0.1,
    cosine_origin='warmup_end',
    by_epoch=False)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.4, momentum=0.9, weight_decay=1e-5),
    clip_grad=dict(max_norm=40, norm_type=2))

# The LR above is the one of the 256 clips in the names; `--auto-scale-lr`
# rescales it by (GPUs x batch_size) / 256.
auto_scale_lr = dict(enable=False, base_batch_size=256)
