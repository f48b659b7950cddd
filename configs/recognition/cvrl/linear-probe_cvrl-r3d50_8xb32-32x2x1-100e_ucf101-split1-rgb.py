# Linear probe of a converted CVRL R3D-50 (TF Model Garden release,
# docs/model_zoo.md) on UCF101 (split 1): the CVRL protocol of
# ../linear_probe/ (frozen backbone and BN statistics, L2-normalised pooled
# features, one linear layer) on the converted weights, with TF 'SAME'
# padding so that the frozen features are CVRL's exactly. Checkpoint (the
# *_r3d50.pth or *_r3d50y.pth file of tools/convert_tf_cvrl.py):
#   --cfg-options model.backbone.pretrained=checkpoints/cvrl/<name>_r3d50.pth
_base_ = [
    '../linear_probe/'
    'linear-probe_constcl-r3d50y_8xb32-32x2x1-100e_ucf101-split1-rgb.py'
]

model = dict(
    backbone=dict(
        padding='tf_same',
        pretrained='<set --cfg-options model.backbone.pretrained=PATH to a '
        'converted CVRL checkpoint (tools/convert_tf_cvrl.py)>'))
