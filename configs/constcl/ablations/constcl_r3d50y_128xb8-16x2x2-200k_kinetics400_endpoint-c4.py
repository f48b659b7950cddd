# Endpoint ablation (paper Table 5): local loss on res4 (C4) of a single-res5
# backbone, global loss on res5. As in the paper (Section 4.3), C4 is
# average-pooled 2x2 (14x14 -> 7x7 at 224 px) before the region loss, so the
# memory holds 5 x 7 x 7 = 245 tokens like res5.
_base_ = ['../constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

model = dict(
    backbone=dict(branches=('global', ), out_indices=(2, 3)),
    neck=dict(in_channels=1024, spatial_pool=2),
    global_index=1,
    local_index=0)
