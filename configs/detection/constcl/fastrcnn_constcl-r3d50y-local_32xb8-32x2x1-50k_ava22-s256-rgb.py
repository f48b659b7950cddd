# ConST-CL local branch + mmaction2's BBoxHeadAVA on AVA v2.2 at mmaction2's
# short side 256.
# Checkpoint: --cfg-options model.backbone.pretrained=PATH
# (docs/detection_ava.md).
_base_ = [
    '../../_base_/models/fastrcnn_r3d50y-local.py',
    '../../_base_/datasets/ava22_rawframes-32x2x1-s256.py',
    '../../_base_/schedules/sgd_ava_cosine_10e.py',
    '../../_base_/default_runtime.py'
]
