# Context length 3 (paper Table 6).
_base_ = ['../constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

model = dict(neck=dict(context_length=3))
