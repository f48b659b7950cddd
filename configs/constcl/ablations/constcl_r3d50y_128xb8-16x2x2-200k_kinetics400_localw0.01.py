# Local loss weight 0.01, the paper's value (the official code uses 0.001).
_base_ = ['../constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

model = dict(local_head=dict(loss_weight=0.01))
