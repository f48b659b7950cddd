# Fine-tuning a ConST-CL R3D-50 (global branch, every layer) on UCF101 (split
# 1) with mmaction2's Recognizer3D + I3DHead; CVRL clips (32x2 at 224, tested
# with 10 clips x 3 crops at 256); input range [-1, 1] as in pretraining.
# Checkpoint:
#   --cfg-options model.backbone.pretrained=PATH   (docs/recognition.md)
_base_ = [
    '../../_base_/models/r3d50y_i3d-head.py',
    '../../_base_/datasets/ucf101_video_32x2x1-cvrl.py',
    '../../_base_/schedules/sgd_finetune_cosine_50e.py',
    '../../_base_/default_runtime.py'
]

model = dict(cls_head=dict(num_classes=101))
train_dataloader = dict(batch_size=8)

default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=3))
