# The CVRL warm start of constcl_r3d50y-cvrl-init_8xb64-16x2x2-50e_kinetics400
# .py on 32 GPUs: 32 videos per GPU = the paper's 1024 per step, with_cp, LR
# 40.96 (as constcl_r3d50y_32xb32-16x2x2-200k_kinetics400.py), the same 50
# Kinetics-400 epochs in half the iterations. Set the weights with
#   --cfg-options model.backbone.pretrained=checkpoints/cvrl/<name>_r3d50y.pth
_base_ = ['./constcl_r3d50y-cvrl-init_8xb64-16x2x2-50e_kinetics400.py']

videos_per_step = 32 * 32
max_iters = -(-50 * 235693 // videos_per_step)  # 50 epochs of 235,693: 11,509
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=40.96))
auto_scale_lr = dict(base_batch_size=1024)
