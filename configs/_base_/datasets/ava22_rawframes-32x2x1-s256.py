# AVA v2.2 at mmaction2's usual resolution (short side 256, random rescale
# 256-320 and 256 crops in training); otherwise ava22_rawframes-32x2x1.py.
_base_ = ['ava22_rawframes-32x2x1.py']

train_pipeline = [
    dict(type='SampleAVAKineticsFrames', clip_len=32, frame_interval=2),
    dict(type='RawFrameDecode', io_backend='disk'),
    dict(type='RandomRescale', scale_range=(256, 320)),
    dict(type='RandomCrop', size=256),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(
        type='SampleAVAKineticsFrames',
        clip_len=32,
        frame_interval=2,
        test_mode=True),
    dict(type='RawFrameDecode', io_backend='disk'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=val_pipeline))
