# Endpoint ablation (paper Table 5): both losses on the single res5 (C5).
_base_ = ['../constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

model = dict(
    backbone=dict(branches=('global', ), out_indices=(3, )),
    global_index=0,
    local_index=0)
