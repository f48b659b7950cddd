# The paper's recipe on 64 GPUs of 32 GB (tools/analysis/cluster_recipe.py,
# docs/pretraining.md "Clusters"): 16 videos per GPU = 1024 per step,
# fp32 (about 23.9 GB per GPU, estimated), LR 40.96 x 1024 / 1024 =
# 40.96, 200,000 iterations = the paper's 868.9 epochs, 5-epoch warmup
# (1,151 steps, resolved from the batch at train start).
_base_ = ['./constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

max_iters = 200000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
train_dataloader = dict(batch_size=16)
optim_wrapper = dict(optimizer=dict(lr=40.96))
auto_scale_lr = dict(base_batch_size=1024)
