# AVA v2.2 keyframes as rawframes (docs/detection_ava.md for the layout):
# 32-frame clips with stride 2 centred on the keyframe, short side 400 (the
# ConST-CL paper). Training on ground-truth person boxes (no proposal file);
# validation and testing on the FAIR person detections (the standard
# ava_dense_proposals_*.FAIR.recall_93.9.pkl); the "-gtbox" configs test on
# ground-truth boxes instead. Frame-mAP@0.5 on the 60 evaluated classes,
# official protocol (AVAKineticsMetric).
dataset_type = 'MixedAVAKineticsDataset'
data_root = 'data/ava/rawframes'
anno_root = 'data/ava/annotations'

ann_file_train = f'{anno_root}/ava_train_v2.2.csv'
ann_file_val = f'{anno_root}/ava_val_v2.2.csv'
exclude_file_train = f'{anno_root}/ava_train_excluded_timestamps_v2.2.csv'
exclude_file_val = f'{anno_root}/ava_val_excluded_timestamps_v2.2.csv'
label_file = f'{anno_root}/ava_action_list_v2.2_for_activitynet_2019.pbtxt'
proposal_file_val = f'{anno_root}/ava_dense_proposals_val.FAIR.recall_93.9.pkl'

# mmaction2's AVA augmentation scaled from 256 to 400 (the paper gives the
# test resolution only).
train_pipeline = [
    dict(type='SampleAVAKineticsFrames', clip_len=32, frame_interval=2),
    dict(type='RawFrameDecode', io_backend='disk'),
    dict(type='RandomRescale', scale_range=(400, 500)),
    dict(type='RandomCrop', size=400),
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
    dict(type='Resize', scale=(-1, 400)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=4,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_train,
        exclude_file=exclude_file_train,
        label_file=label_file,
        proposal_file=None,  # ground-truth person boxes
        pipeline=train_pipeline,
        data_prefix=dict(img=data_root)))
val_dataloader = dict(
    batch_size=1,  # AVARoIHead tests one clip at a time
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_val,
        exclude_file=exclude_file_val,
        label_file=label_file,
        proposal_file=proposal_file_val,
        pipeline=val_pipeline,
        data_prefix=dict(img=data_root),
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='AVAKineticsMetric',
    ann_file=ann_file_val,
    exclude_file=exclude_file_val,
    label_file=label_file)
test_evaluator = val_evaluator
