# Linear probe on the ConST-CL global branch (CVRL protocol,
# official_implementation.md §7):
# frozen R3D-50 (weights and BN statistics), GAP -> L2 norm -> one Linear.
# The backbone has exactly the parameter names of a stock mmaction2 R3D-50.
# Set the checkpoint with
#   --cfg-options model.backbone.pretrained=PATH
# PATH: a ConST-CL pretraining checkpoint (its local res5, neck and heads are
# dropped, `backbone.` stripped) or an exported backbone state dict; keys are
# matched strictly (CheckpointMismatchError names any mismatch).
# `model.backbone.pretrained=None` gives the random-initialisation baseline.
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='ResNet3dY',
        depth=50,
        branches=('global', ),
        out_indices=(3, ),  # res5 of the global branch (`layer4`)
        pretrained='<set --cfg-options model.backbone.pretrained=PATH to a '
        'ConST-CL pretraining checkpoint or an exported backbone>',
        pretrained_branch='global',  # the source res5 that feeds `layer4`
        frozen_stages=4,  # stem + res2-res5: no gradient
        norm_eval=True,  # BN statistics frozen too
        with_cp=False),
    cls_head=dict(
        type='LinearProbeHead',
        num_classes=400,
        in_channels=2048,
        normalize=True,
        average_clips='prob'),
    # pretraining's input range [-1, 1]
    data_preprocessor=dict(
        type='ChannelsLastActionDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5],
        format_shape='NCTHW'))
