# The official TF schedule (const_cl_pretrain_k400_200k.yaml,
# docs/official_implementation.md §6): the paper's optimiser with Model
# Garden's warmup, i.e. a linear ramp from 0 over 2,500 steps to the value
# of the cosine at step 2,500 (40.944 for 200k steps, 40.897 for 100k), then
# the cosine of the global step with no offset, to 0 at the last step:
#   c(t) = 40.96 * (1 + cos(pi t / T)) / 2
#   lr(t) = c(2500) * t / 2500 for t < 2500,  lr(t) = c(t) afterwards.
# The 2,500 steps are steps at the official batch of 1024 videos; the end T
# follows `train_cfg.max_iters`.
_base_ = ['./constcl_sgd_cosine_200k.py']

param_scheduler = dict(
    _delete_=True,
    type='WarmupCosineLR',
    warmup=dict(iters=2500),
    start_factor=0.0,
    cosine_origin='zero',
    by_epoch=False)
