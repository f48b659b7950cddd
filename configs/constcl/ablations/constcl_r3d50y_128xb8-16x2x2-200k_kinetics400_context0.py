# Context length 0 (paper Table 6): vanilla region contrast, no context decoder.
_base_ = ['../constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

model = dict(neck=dict(context_length=0))
