# Runtime shared by every constcl_mm config.
default_scope = 'mmaction'
custom_imports = dict(imports=['constcl_mm'], allow_failed_imports=False)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # fits WarmupCosineLR to the loop and warns about schedulers that do
    # not span it (constcl_mm.engine.LoopScheduleHook)
    loop_schedule=dict(type='LoopScheduleHook'),
    checkpoint=dict(type='AtomicCheckpointHook', interval=1, save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # totals of the unreadable videos skipped by all workers and processes
    bad_videos=dict(type='BadVideoCountHook'),
    # a NaN/Inf loss stops the run before any checkpoint is written
    # (action='skip', max_skips=N skips such steps instead)
    non_finite_loss=dict(type='NonFiniteLossHook'),
    sync_buffers=dict(type='SyncBuffersHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches to gloo on machines without CUDA.
    dist_cfg=dict(backend='nccl'))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
