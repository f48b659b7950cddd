# Fine-tuning a converted CVRL R3D-50 (TF Model Garden release,
# docs/model_zoo.md) on HMDB51 (split 1), every layer, mmaction2's
# Recognizer3D + I3DHead: the recipe of ../finetune/ with TF 'SAME'
# padding (the padding the weights were trained with). Checkpoint (the
# *_r3d50.pth or *_r3d50y.pth file of tools/convert_tf_cvrl.py):
#   --cfg-options model.backbone.pretrained=checkpoints/cvrl/<name>_r3d50.pth
_base_ = [
    '../finetune/finetune_constcl-r3d50y_8xb8-32x2x1-50e_hmdb51-split1-rgb.py'
]

model = dict(
    backbone=dict(
        padding='tf_same',
        pretrained='<set --cfg-options model.backbone.pretrained=PATH to a '
        'converted CVRL checkpoint (tools/convert_tf_cvrl.py)>'))
