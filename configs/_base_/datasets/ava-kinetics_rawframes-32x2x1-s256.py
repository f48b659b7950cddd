# AVA-Kinetics at mmaction2's usual resolution (short side 256, random rescale
# 256-320 and 256 crops in training); otherwise
# ava-kinetics_rawframes-32x2x1.py.
_base_ = ['ava-kinetics_rawframes-32x2x1.py']

# the steps of the base pipelines changed here, found by their type
train_pipeline = [
    dict(s, scale_range=(256, 320)) if s['type'] == 'RandomRescale' else
    dict(s, size=256) if s['type'] == 'RandomCrop' else s
    for s in _base_.train_pipeline
]
val_pipeline = [
    dict(s, scale=(-1, 256)) if s['type'] == 'Resize' else s
    for s in _base_.val_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=val_pipeline))
