# ConST-CL local branch + action-transformer head (the paper's setting) on
# AVA-Kinetics, short side 400, tested on person detections. Reports overall,
# AVA and Kinetics frame-mAP.
# Checkpoint: --cfg-options model.backbone.pretrained=PATH
# (docs/detection_ava.md).
_base_ = [
    '../../_base_/models/fastrcnn-actiontx_r3d50y-local.py',
    '../../_base_/datasets/ava-kinetics_rawframes-32x2x1.py',
    '../../_base_/schedules/sgd_ava_cosine_10e.py',
    '../../_base_/default_runtime.py'
]
