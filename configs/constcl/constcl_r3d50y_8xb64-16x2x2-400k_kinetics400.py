# The paper's recipe on 8 GPUs of 32 GB (tools/analysis/cluster_recipe.py,
# docs/pretraining.md "Clusters"): 64 videos per GPU = 512 per step,
# with_cp + --amp (about 23.9 GB per GPU, estimated), LR 40.96 x 512 / 1024 =
# 20.48, 400,000 iterations = the paper's 868.9 epochs, 5-epoch warmup
# (2,302 steps, resolved from the batch at train start).
# Launch with --amp (bf16/fp16 autocast): the batch needs it on 32 GB.
_base_ = ['./constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

max_iters = 400000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=20.48))
auto_scale_lr = dict(base_batch_size=512)
model = dict(backbone=dict(with_cp=True))
