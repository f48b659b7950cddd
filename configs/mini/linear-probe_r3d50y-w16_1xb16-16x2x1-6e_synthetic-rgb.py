# Linear probe of the mini ConST-CL backbone (global branch) on the video
# labels of the synthetic world (the hero's texture, 6 classes), from mp4
# lists written by tools/data/synthetic/export_synthetic.py
# (docs/learning_proof.md). The CVRL protocol of the real linear-probe
# configs (frozen backbone and BN statistics, GAP -> L2 norm -> one Linear,
# SGD without weight decay, warmup + cosine, test probabilities averaged
# over clips) through mmaction2's Recognizer3D, VideoDataset and AccMetric,
# at the mini pretraining's clip size. constcl_mm.evaluation.downstream.
# evaluate_linear_probe sets the lists and runs runner.train() then
# runner.test(). Departures from the real configs:
_base_ = [
    '../_base_/models/r3d50y_linear-probe.py',
    '../_base_/datasets/kinetics400_video_32x2x1-cvrl.py',
    '../_base_/schedules/sgd_linear-probe_cosine_100e.py',
    '../_base_/linear_probe_runtime.py'
]

width = 16  # the mini pretraining model's base_channels (res5: 512)
model = dict(
    backbone=dict(
        base_channels=width,
        # the mini pretraining's strides: res5 at stride 16 (4x4 at 64 px),
        # so the probed features are the pretrained global features
        spatial_strides=(1, 2, 2, 1),
        pretrained=None),  # set by evaluate_linear_probe (None: random)
    cls_head=dict(num_classes=6, in_channels=width * 32))

# 16x2 clips at 64 px, as the mini pretraining (96-px frames)
clip_len = 16
frame_interval = 2
crop_size = 64
train_pipeline = [
    dict(type='DecordInit'),
    dict(
        type='SampleFrames',
        clip_len=clip_len,
        frame_interval=frame_interval,
        num_clips=1),
    dict(type='DecordDecode'),
    dict(
        type='RandomResizedCrop',
        area_range=(0.3, 1.0),
        aspect_ratio_range=(0.5, 2.0)),
    dict(type='Resize', scale=(crop_size, crop_size), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
# Test: 2 clips (together they cover the 64-frame videos) x 1 crop, the
# whole frame resized to 64 (the CVRL protocol's 10 clips x 3 crops shrunk
# to the videos' length and the square frames)
test_pipeline = [
    dict(type='DecordInit'),
    dict(
        type='SampleFrames',
        clip_len=clip_len,
        frame_interval=frame_interval,
        num_clips=2,
        test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, crop_size)),
    dict(type='CenterCrop', crop_size=crop_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
# Lists and video folders are set by evaluate_linear_probe. In-process
# loading (num_workers=0): decoding 96-px clips costs little next to the
# backbone, and a worker process would compete for the 2 cores.
# LabeledVideoDataset: mmaction2's VideoDataset that refuses, when built, an
# empty list or a label outside 0..num_classes-1 (naming the file and line)
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type='LabeledVideoDataset',
        num_classes=6,
        ann_file='data/synthetic_probe_train/videos.txt',
        data_prefix=dict(video='data/synthetic_probe_train/videos'),
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type='LabeledVideoDataset',
        num_classes=6,
        ann_file='data/synthetic_eval/videos.txt',
        data_prefix=dict(video='data/synthetic_eval/videos'),
        pipeline=test_pipeline))
# no validation during the short training
val_dataloader = None
val_cfg = None
val_evaluator = None
# top-1 over 6 classes (top-5 would be near 1 for any model)
test_evaluator = dict(
    type='AccMetric',
    metric_list=('top_k_accuracy', 'mean_class_accuracy'),
    metric_options=dict(top_k_accuracy=dict(topk=(1, ))))

# 6 epochs instead of 100: a linear layer on frozen 512-d features, about
# 110 steps over ~300 videos, each epoch a new random clip and crop of every
# video; the budget of one probe in tools/mini_experiment.py (12 probes).
max_epochs = 6
train_cfg = dict(
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_begin=max_epochs,
    val_interval=max_epochs)
# CVRL's LR rule (8.0 per 256 clips) at batch 16; warmup 5% and cosine from
# the base schedule
optim_wrapper = dict(optimizer=dict(lr=8.0 * 16 / 256))
auto_scale_lr = dict(enable=False, base_batch_size=16)

default_hooks = dict(
    logger=dict(interval=10),
    # nothing to keep: the function returns the score
    checkpoint=dict(interval=-1, save_last=False, save_best=None))
