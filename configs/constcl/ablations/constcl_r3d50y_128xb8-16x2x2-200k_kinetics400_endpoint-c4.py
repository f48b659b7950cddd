# Endpoint ablation (paper Table 5): local loss on res4 (C4) of a single-res5
# backbone, global loss on res5.
_base_ = ['../constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

model = dict(
    backbone=dict(branches=('global', ), out_indices=(2, 3)),
    neck=dict(in_channels=1024),
    global_index=1,
    local_index=0)
