# Mini CVRL baseline on the object world: the mini ConST-CL config with the
# global loss only and a single res5. Same data, optimiser and budget.
_base_ = ['./constcl_r3d18y-w16_1xb32-16x2x2-2k_objects.py']

model = dict(
    backbone=dict(branches=('global', ), out_indices=(3, )),
    neck=None,
    local_head=None,
    global_index=0)
