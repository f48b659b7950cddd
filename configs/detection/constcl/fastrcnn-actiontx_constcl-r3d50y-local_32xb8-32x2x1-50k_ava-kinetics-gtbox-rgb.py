# As
# fastrcnn-actiontx_constcl-r3d50y-local_32xb8-32x2x1-50k_ava-kinetics-rgb.py,
# but validated and tested on the ground-truth person boxes (the "GT boxes"
# column of the paper's Table 1).
_base_ = [
    'fastrcnn-actiontx_constcl-r3d50y-local_32xb8-32x2x1-50k_'
    'ava-kinetics-rgb.py'
]

val_dataloader = dict(dataset=dict(proposal_file=None))
test_dataloader = dict(dataset=dict(proposal_file=None))
