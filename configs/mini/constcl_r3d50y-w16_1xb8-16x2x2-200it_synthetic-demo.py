# `make demo`: the mini ConST-CL (context 5) on the synthetic video world for
# 200 iterations (about 3 minutes on 2 CPU cores), so that both losses visibly
# leave their chance levels. One departure from the mini recipe: the
# photometric augmentations are off (their steps stay, with probability 0),
# because with colour jitter, grayscale and blur the global NT-Xent of an
# 8-video batch needs far more than 200 steps to leave its plateau
# (docs/learning_proof.md shows the full recipe's curves).
_base_ = ['./constcl_r3d50y-w16_1xb8-16x2x2-400it_synthetic.py']

_off = dict(
    MultiViewColorJitter=dict(type='MultiViewColorJitter', prob=0.0),
    MultiViewGrayscale=dict(type='MultiViewGrayscale', prob=0.0),
    MultiViewGaussianBlur=dict(
        type='MultiViewGaussianBlur', prob=(0.0, 0.0), kernel_size=7),
    MultiViewSolarize=dict(type='MultiViewSolarize', prob=(0.0, 0.0)))
train_pipeline = [_off.get(s['type'], s) for s in _base_.train_pipeline]
del _off
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

max_iters = 200
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
