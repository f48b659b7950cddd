# Runtime of the iteration-based pretraining runs.
_base_ = ['./default_runtime.py']

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, ignore_last=False),
    checkpoint=dict(
        type='AtomicCheckpointHook',
        interval=5000,
        by_epoch=False,
        max_keep_ckpts=5,
        save_last=True,
        save_best=None))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
# SyncBN when distributed (BN statistics over the global 2B batch of both
# views, as the official code); plain BN in single-process runs.
sync_bn = 'torch'
find_unused_parameters = False
