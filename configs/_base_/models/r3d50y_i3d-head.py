# Fine-tuning the ConST-CL global branch: mmaction2's Recognizer3D + I3DHead
# on our R3D-50 (every layer trained). Load the checkpoint with
#   --cfg-options model.backbone.pretrained=PATH
# (a ConST-CL pretraining checkpoint or an exported backbone, matched
# strictly); `model.backbone.pretrained=None` trains from scratch.
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='ResNet3dY',
        depth=50,
        branches=('global', ),
        out_indices=(3, ),
        pretrained='<set --cfg-options model.backbone.pretrained=PATH to a '
        'ConST-CL pretraining checkpoint or an exported backbone>',
        pretrained_branch='global',
        frozen_stages=-1,
        norm_eval=False,
        with_cp=False),
    cls_head=dict(
        type='I3DHead',
        num_classes=101,
        in_channels=2048,
        spatial_type='avg',
        dropout_ratio=0.5,
        init_std=0.01,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ChannelsLastActionDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5],
        format_shape='NCTHW'))
