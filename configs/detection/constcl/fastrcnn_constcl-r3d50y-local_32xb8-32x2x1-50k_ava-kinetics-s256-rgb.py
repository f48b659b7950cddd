# ConST-CL local branch + mmaction2's BBoxHeadAVA on AVA-Kinetics at
# mmaction2's short side 256. Reports overall, AVA and Kinetics frame-mAP.
# Checkpoint: --cfg-options model.backbone.pretrained=PATH
# (docs/detection_ava.md).
_base_ = [
    '../../_base_/models/fastrcnn_r3d50y-local.py',
    '../../_base_/datasets/ava-kinetics_rawframes-32x2x1-s256.py',
    '../../_base_/schedules/sgd_ava_cosine_50k.py',
    '../../_base_/detection_iter_runtime.py'
]

# the paper's batch of 256 clips (Section 4.2) as 32 GPUs x 8 (80 GB
# cards); 8 or 16 GPUs accumulate gradients (docs/detection_ava.md); an
# endless sampler for the iteration-based loop
train_dataloader = dict(
    batch_size=8, sampler=dict(type='InfiniteSampler', shuffle=True))
