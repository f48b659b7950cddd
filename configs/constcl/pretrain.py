# `tools/dist_train.sh configs/constcl/pretrain.py 128`: the paper's recipe,
# constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py (LR 40.96 for 128 GPUs x 8
# videos = 1024). On another cluster use its per-cluster config
# (constcl_r3d50y_{8xb64,16xb64,32xb32,64xb16}-*.py: the paper's epochs and
# LR scaled to the batch) or `python tools/analysis/cluster_recipe.py --gpus
# N`; `--auto-scale-lr` only rescales the LR and keeps the iterations.
# tools/train.py warns when the global batch is not 1024 and the LR is not
# scaled. First check a setup with `--smoke` (docs/pretraining.md).
_base_ = ['./constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']
