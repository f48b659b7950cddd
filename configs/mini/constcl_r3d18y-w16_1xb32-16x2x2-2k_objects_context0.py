# Mini ConST-CL with context length 0 (paper Table 6, row 0) on the object
# world: vanilla region contrast, the ROIAligned regions through an MLP
# projection head of the global head's shape, no context decoder; everything
# else as the context-5 config.
_base_ = ['./constcl_r3d18y-w16_1xb32-16x2x2-2k_objects.py']

model = dict(neck=dict(context_length=0, region_mlp=dict(hid_channels=128)))
