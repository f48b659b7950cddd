# Linear probe of a ConST-CL R3D-50 (global branch) on Kinetics-400, CVRL
# protocol (official_implementation.md §7): frozen backbone and BN statistics,
# L2-normalised pooled features, one linear layer; 32x2 clips at 224 for
# training, 10 clips x 3
# crops at 256 for testing; SGD LR 8.0 for the 256 clips of the name (CVRL's
# 32.0 per 1024; --auto-scale-lr rescales it to another batch), cosine,
# warmup, no weight decay. Checkpoint:
#   --cfg-options model.backbone.pretrained=PATH   (docs/recognition.md)
_base_ = [
    '../../_base_/models/r3d50y_linear-probe.py',
    '../../_base_/datasets/kinetics400_video_32x2x1-cvrl.py',
    '../../_base_/schedules/sgd_linear-probe_cosine_100e.py',
    '../../_base_/linear_probe_runtime.py'
]

model = dict(cls_head=dict(num_classes=400))
train_dataloader = dict(batch_size=32)
