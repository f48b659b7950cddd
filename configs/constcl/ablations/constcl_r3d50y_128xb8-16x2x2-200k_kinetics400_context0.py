# Context length 0 (paper Table 6): vanilla region contrast (paper §3.1),
# no context decoder. The ROI-aligned regions of both views go
# through an MLP projection head of the global head's shape (3 x [2048, BN,
# ReLU] -> 128) and are contrasted as in ConST-CL (positives matched on the
# raw regions, other videos' regions as negatives). 77.7 M parameters as in
# Table 6 (tools/analysis/get_flops.py).
_base_ = ['../constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

model = dict(
    neck=dict(
        context_length=0,
        region_mlp=dict(
            hid_channels=2048, out_channels=128, num_hidden_layers=3)))
