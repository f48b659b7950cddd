# The paper's recipe (5-epoch warmup, cosine after it) over 100k iterations,
# the length of the official const_cl_pretrain_k400_100k.yaml (whose own
# warmup and cosine are in ..._100k_kinetics400_official-schedule.py). The
# schedule follows train_cfg.max_iters (WarmupCosineLR).
_base_ = ['./constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

max_iters = 100000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
