# Mini ConST-CL with context length 0 (paper Table 6, row 0): vanilla region
# contrast, the ROIAligned regions through an MLP projection head of the
# global head's shape (here 3 x 512, as the mini global head), no context
# decoder; everything else as the context-5 mini config.
_base_ = ['./constcl_r3d50y-w16_1xb8-16x2x2-400it_synthetic.py']

model = dict(neck=dict(context_length=0, region_mlp=dict(hid_channels=512)))
