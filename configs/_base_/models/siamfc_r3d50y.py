# SiamFC on the ConST-CL backbone (paper §4.4): the local branch (res5_1)
# with res4/res5 without spatial stride and dilated 2/4 (VFS/SeCo, total
# stride 8), frozen; only the 1x1 adjust layer and the response bias train.
# The dilations follow the pretraining strides (each stage dilated by the
# product of the strides it lost), checked when the model is built against
# pretrain_backbone: the stock R3D-50 (1, 2, 2, 2) gives (1, 1, 2, 4); a
# backbone pretrained with other strides needs its own (or 'auto').
# Every frame is fed with its 2 neighbours on each side (5 frames); the centre
# feature frame (index 1 of 3) is kept.
model = dict(
    type='SiamFC',
    num_frames=5,  # 2 neighbours on each side: num_neighbors=2 in the data
    backbone=dict(
        type='ResNet3dY',
        depth=50,
        branches=('local', ),
        out_indices=(4, ),  # res5_1
        spatial_strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        pretrained=None,
        pretrained_branch='local',
        frozen_stages=4,
        norm_eval=True,
        with_cp=False),
    # strides of the pretraining backbone (configs/constcl/pretrain.py)
    pretrain_backbone=dict(spatial_strides=(1, 2, 2, 2)),
    head=dict(
        type='SiamFCHead',
        in_channels=2048,
        adjust_channels=256,
        out_scale=0.001,
        pos_radius=16,
        neg_radius=0),
    data_preprocessor=dict(
        type='SOTDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5]),
    # SiamFC's inference settings are the tracker's defaults (exemplar 127,
    # search 255, context 0.5, 3 scales of step 1.0375, penalty 0.9745,
    # scale lr 0.59, window 0.176, upsampling x16: DEFAULT_TEST_CFG in
    # constcl_mm/models/trackers/siamfc.py); set any of them here to change
    # it. The response size is checked against the backbone.
    test_cfg=dict(response_size=17))
