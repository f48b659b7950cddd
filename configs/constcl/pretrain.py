# `tools/dist_train.sh configs/constcl/pretrain.py 8`: the paper's recipe,
# constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py. With fewer GPUs than 128
# add `--auto-scale-lr` (LR scaled from the base batch of 1024).
_base_ = ['./constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']
