# Random boxes as the official code executes them (official_implementation.md
# §4): one uniform draw per box, so every top-left corner lies on the image
# diagonal.
_base_ = ['../constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

train_pipeline = [
    dict(s, diagonal_artifact=True)
    if s['type'] == 'GenerateRegionBoxes' else s for s in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
