# A CPU-sized ConST-CL pretraining demo on a handful of real videos
# (`make demo` / tools/demo.py fill in the video list): the full model and
# pipeline of pretrain.py at 64x64 crops, 4 videos per step, 60 iterations.
_base_ = ['./pretrain.py']

crop_size = 64
train_pipeline = _base_.train_pipeline
train_pipeline[3] = dict(
    type='MultiViewRandomResizedCrop',
    scale=crop_size,
    area_range=(0.3, 1.0),
    aspect_ratio_range=(0.5, 2.0))
# blur kernel of the official rule 2 * (size // 10 // 2) + 1 for 64 px
train_pipeline[8] = dict(
    type='MultiViewGaussianBlur',
    prob=(1.0, 0.1),
    kernel_size=7,
    sigma_range=(0.1, 2.0))
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        ann_file='demo_videos.txt', data_prefix=dict(video=''),
        pipeline=train_pipeline))

max_iters = 60
warmup_iters = 5
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
# LR 40.96 at batch 1024, linearly scaled to 4 videos
optim_wrapper = dict(optimizer=dict(lr=40.96 * 4 / 1024))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', T_max=max_iters - warmup_iters,
         eta_min=0.0, by_epoch=False, begin=warmup_iters, end=max_iters),
]
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=30, max_keep_ckpts=2))
log_processor = dict(window_size=5)
randomness = dict(seed=0)
