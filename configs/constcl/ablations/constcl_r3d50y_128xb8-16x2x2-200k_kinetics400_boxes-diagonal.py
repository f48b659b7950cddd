# Random boxes as the official code executes them (spec §4): one uniform draw
# per box, so every top-left corner lies on the image diagonal.
_base_ = ['../constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

train_pipeline = _base_.train_pipeline
train_pipeline[5] = dict(
    type='GenerateRegionBoxes',
    box_type='random',
    num_boxes=8,
    diagonal_artifact=True)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
