# Runtime of the iteration-based AVA / AVA-Kinetics runs: checkpoints every
# 5,000 iterations (the last three kept), logs per iteration.
_base_ = ['./default_runtime.py']

default_hooks = dict(
    checkpoint=dict(
        interval=5000,
        by_epoch=False,
        max_keep_ckpts=3,
        save_last=True,
        save_best='auto'))
log_processor = dict(by_epoch=False)
