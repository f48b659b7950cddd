# SiamFC on the ConST-CL global branch (res5 instead of res5_1), backbone
# frozen; otherwise as the local-branch config.
_base_ = ['./siamfc_r3d50y-local-frozen_1xb8-5x1x1-50e_got10k-otb100.py']

model = dict(
    backbone=dict(
        branches=('global', ), out_indices=(3, ), pretrained_branch='global'))
