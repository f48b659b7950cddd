# The paper's pretraining schedule (spec §6, §11): SGD momentum 0.9, LR 40.96
# at a global batch of 1024 videos, 5-epoch linear warmup, cosine to 0,
# weight decay 1e-6 on conv/linear weights only, 200k iterations.
max_iters = 200000
# 5 epochs of Kinetics-400 (235,693 training videos) at 1024 videos/iter.
warmup_iters = 1151

train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
val_cfg = None
test_cfg = None

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='SGD',
        # LR 40.96 is the official value for a global batch of 1024. Caveat
        # (spec §6): the official TF train step does not divide the
        # per-replica loss by the number of replicas, so its applied gradient
        # is the SUM of the replicas' mean-loss gradients (about R times the
        # gradient of the global-mean loss, R = TPU replica count, unknown),
        # and Keras SGD folds the LR into the momentum buffer. Here, as in
        # every mmengine run, DDP averages gradients: 40.96 with a mean loss
        # is not the official effective step size. Treat it as the starting
        # point of an LR sweep; `--auto-scale-lr` rescales it linearly for
        # other batch sizes (auto_scale_lr.base_batch_size below).
        lr=40.96,
        momentum=0.9,
        nesterov=False,
        weight_decay=1e-6),
    # coupled L2 on kernels only: no decay for BN/LN affine params and biases
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', T_max=max_iters - warmup_iters,
         eta_min=0.0, by_epoch=False, begin=warmup_iters, end=max_iters),
]

# total batch = GPUs x train_dataloader.batch_size (videos)
auto_scale_lr = dict(enable=False, base_batch_size=1024)
