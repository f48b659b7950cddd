# AVA-Kinetics at mmaction2's usual resolution (short side 256, random rescale
# 256-320 and 256 crops in training); otherwise ava-kinetics_rawframes-32x2x1.py.
_base_ = ['ava-kinetics_rawframes-32x2x1.py']

train_pipeline = _base_.train_pipeline
train_pipeline[2] = dict(type='RandomRescale', scale_range=(256, 320))
train_pipeline[3] = dict(type='RandomCrop', size=256)
val_pipeline = _base_.val_pipeline
val_pipeline[2] = dict(type='Resize', scale=(-1, 256))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=val_pipeline))
