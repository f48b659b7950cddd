# Fine-tuning schedule for UCF101 / HMDB51 (every layer trained). Neither the
# ConST-CL paper nor the public code gives one; this is constcl_mm's choice in
# the usual range for fine-tuning a self-supervised R3D-50: SGD momentum 0.9,
# LR 0.1 at 64 clips per step, 5-epoch linear warmup, cosine to 0 over 100
# epochs, weight decay 1e-4 (not on BN parameters and biases), gradient
# clipping at 40 (mmaction2's recognition default).
max_epochs = 100
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

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=0.0, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]

# The LR follows the real batch: LR x (GPUs x batch_size) / 64.
auto_scale_lr = dict(enable=True, base_batch_size=64)
