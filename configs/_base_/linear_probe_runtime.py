# Runtime of the linear-probe runs: the default runtime without
# SyncBuffersHook. The frozen BN statistics need no synchronisation across
# GPUs, and its sum-then-divide averaging of identical buffers could still
# change their last bit.
_base_ = ['./default_runtime.py']

default_hooks = dict(
    _delete_=True,
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    loop_schedule=dict(type='LoopScheduleHook'),
    checkpoint=dict(
        type='AtomicCheckpointHook',
        interval=5,
        max_keep_ckpts=3,
        save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # totals of the unreadable videos skipped by all workers and processes
    bad_videos=dict(type='BadVideoCountHook'),
    # a NaN/Inf loss stops the run before any checkpoint is written
    # (action='skip', max_skips=N skips such steps instead)
    non_finite_loss=dict(type='NonFiniteLossHook'))
