# Fast R-CNN for AVA on the ConST-CL local branch (res5_1, paper §3.4):
# mmdet's FastRCNN + mmaction2's AVARoIHead / SingleRoIExtractor3D /
# BBoxHeadAVA, as mmaction2's AVA SlowOnly configs, on our ResNet3dY built
# with the local res5 only and res5 at stride 1 (feature stride 16).
#
# Checkpoint (strict, docs/detection_ava.md):
#   --cfg-options model.backbone.pretrained=PATH
# with PATH a ConST-CL pretraining checkpoint (its res5_1 = layer4_local is
# loaded; pretrained_branch='local'). For an exported local backbone
# (tools/export_backbone.py --branch local, stored as layer4) add
# model.backbone.pretrained_branch=global. model.backbone.pretrained=None
# trains from scratch.
model = dict(
    type='FastRCNN',
    _scope_='mmdet',
    backbone=dict(
        type='mmaction.ResNet3dY',
        depth=50,
        branches=('local', ),
        out_indices=(4, ),  # res5_1
        spatial_strides=(1, 2, 2, 1),
        pretrained='<set --cfg-options model.backbone.pretrained=PATH to a '
        'ConST-CL pretraining checkpoint>',
        pretrained_branch='local',
        frozen_stages=-1,
        norm_eval=False,
        with_cp=False),
    roi_head=dict(
        type='AVARoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor3D',
            roi_layer_type='RoIAlign',
            featmap_stride=16,
            output_size=8,
            with_temporal_pool=True),
        bbox_head=dict(
            type='BBoxHeadAVA',
            background_class=True,
            in_channels=2048,
            num_classes=81,
            multilabel=True,
            dropout_ratio=0.5)),
    data_preprocessor=dict(
        type='mmaction.ChannelsLastActionDataPreprocessor',
        mean=[127.5, 127.5, 127.5],  # [-1, 1] as in pretraining
        std=[127.5, 127.5, 127.5],
        format_shape='NCTHW'),
    train_cfg=dict(
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssignerAVA',
                pos_iou_thr=0.9,
                neg_iou_thr=0.9,
                min_pos_iou=0.9),
            # training proposals are the ground-truth boxes (the dataset has
            # no proposal file), so they are not added a second time
            sampler=dict(
                type='RandomSampler',
                num=32,
                pos_fraction=1,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            pos_weight=1.0)),
    test_cfg=dict(rcnn=None))
