# The official 100k-iteration recipe (const_cl_pretrain_k400_100k.yaml):
# 100k steps, 2,500-step linear warmup from 0 to the cosine's value at step
# 2,500 (40.897), then cosine on the global step.
_base_ = [
    './constcl_r3d50y_128xb8-16x2x2-200k_kinetics400_official-schedule.py'
]

max_iters = 100000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
