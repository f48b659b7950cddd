# CVRL's linear-evaluation schedule (spec §7, `cvrl_linear_eval_k600.yaml`):
# SGD momentum 0.9 (no Nesterov), LR 32.0 at a global batch of 1024 clips,
# linear warmup over the first 5% of training (1,787 of 35,744 steps, i.e.
# 5 of 100 epochs), cosine decay to 0, no weight decay.
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
    # Only the linear layer has gradients: the frozen backbone's parameters
    # get none, so SGD leaves them untouched.
    optimizer=dict(
        type='SGD', lr=32.0, momentum=0.9, nesterov=False, weight_decay=0.0))

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=0.0, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]

# LR 32.0 is CVRL's value for 1024 clips per step. Scaling is ON: the runner
# multiplies the LR by (GPUs x train_dataloader.batch_size) / 1024, e.g.
# 8.0 for 8 GPUs x 32 clips (the log says "Scaling the original LR by ...").
auto_scale_lr = dict(enable=True, base_batch_size=1024)
