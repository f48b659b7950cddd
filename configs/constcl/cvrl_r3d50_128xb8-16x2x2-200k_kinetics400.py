# CVRL baseline: the same code with the global loss only, single res5.
_base_ = ['./constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

model = dict(
    backbone=dict(branches=('global', ), out_indices=(3, )),
    neck=None,
    local_head=None,
    global_index=0)
