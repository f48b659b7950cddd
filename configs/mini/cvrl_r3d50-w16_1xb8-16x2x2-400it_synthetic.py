# Mini CVRL baseline: the mini ConST-CL config with the global loss only and
# a single res5 (as
# configs/constcl/cvrl_r3d50_128xb8-16x2x2-200k_kinetics400.py is to the
# paper's config). Same data, optimiser and budget.
_base_ = ['./constcl_r3d50y-w16_1xb8-16x2x2-400it_synthetic.py']

model = dict(
    backbone=dict(branches=('global', ), out_indices=(3, )),
    neck=None,
    local_head=None,
    global_index=0)
