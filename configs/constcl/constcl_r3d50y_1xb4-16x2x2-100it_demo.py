# A CPU-sized ConST-CL pretraining demo on a handful of real videos
# (`make demo` / tools/demo.py fill in the video list): the full model and
# the pipeline of pretrain.py at 64x64 crops, 3-4 videos per step.
#
# Two deliberate departures from the paper's recipe, for a few minutes on a
# CPU with 3 videos: the photometric augmentations are switched off (their
# transforms stay in the pipeline with probability 0) and the LR is small.
# With the paper's augmentation strength and such a batch, 100 steps end on
# the uniform-similarity plateau (global loss 2 ln(2B - 1), accuracy at
# chance); learning beyond it needs the real batch size.
_base_ = ['./pretrain.py']

crop_size = 64
# the steps of pretrain.py's pipeline changed here, by type
_demo_steps = dict(
    MultiViewRandomResizedCrop=dict(
        type='MultiViewRandomResizedCrop',
        scale=crop_size,
        area_range=(0.3, 1.0),
        aspect_ratio_range=(0.5, 2.0)),
    MultiViewColorJitter=dict(
        type='MultiViewColorJitter', prob=0.0, strength=1.0),
    MultiViewGrayscale=dict(type='MultiViewGrayscale', prob=0.0),
    # kernel of the official rule 2 * (size // 10 // 2) + 1 for 64 px
    MultiViewGaussianBlur=dict(
        type='MultiViewGaussianBlur',
        prob=(0.0, 0.0),
        kernel_size=7,
        sigma_range=(0.1, 2.0)),
    MultiViewSolarize=dict(
        type='MultiViewSolarize', prob=(0.0, 0.0), threshold=0.5))
train_pipeline = [_demo_steps.get(s['type'], s) for s in _base_.train_pipeline]
del _demo_steps
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        ann_file='demo_videos.txt',
        data_prefix=dict(video=''),
        pipeline=train_pipeline))

max_iters = 100
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(lr=3e-4))
# warmup over the first 5% of the run, cosine to 0 at its last step; both
# follow train_cfg.max_iters (e.g. --cfg-options train_cfg.max_iters=6)
param_scheduler = dict(
    _delete_=True,
    type='WarmupCosineLR',
    warmup=dict(ratio=0.05),
    start_factor=0.1,
    cosine_origin='warmup_end',
    by_epoch=False)
default_hooks = dict(
    logger=dict(interval=5), checkpoint=dict(interval=50, max_keep_ckpts=2))
log_processor = dict(window_size=5)
randomness = dict(seed=0)
