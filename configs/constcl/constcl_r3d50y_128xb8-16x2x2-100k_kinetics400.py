# The 100k-iteration schedule (official const_cl_pretrain_k400_100k.yaml).
_base_ = ['./constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

max_iters = 100000
warmup_iters = 1151
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', T_max=max_iters - warmup_iters,
         eta_min=0.0, by_epoch=False, begin=warmup_iters, end=max_iters),
]
