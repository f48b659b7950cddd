# SiamFC on the ConST-CL backbone (paper §4.4, Table 1: OTB-2015 precision
# 78.1, success 55.2), backbone frozen: only the 1x1 adjust layer and the
# response bias are trained. Local branch (res5_1) by default; res4/res5
# without spatial stride and with dilation 2/4 (VFS/SeCo), total stride 8.
# Every frame is fed with its 2 neighbours on each side (5 frames); the centre
# feature frame (index 1 of 3) is kept. Trained on GOT-10k pairs with the
# SiamFC recipe (SGD 1e-2 -> 1e-5 exponential over 50 epochs, batch 8,
# weight decay 5e-4), tested on OTB-100 with SiamFC's inference settings.
# Pretrained ConST-CL checkpoint (docs/tracking.md):
#   --cfg-options model.backbone.pretrained=PATH
_base_ = [
    '../../_base_/datasets/got10k_siamfc-pairs.py',
    '../../_base_/datasets/otb100.py', '../../_base_/default_runtime.py'
]

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
    test_cfg=dict(
        exemplar_size=127,
        search_size=255,
        context_amount=0.5,
        num_scales=3,
        scale_step=1.0375,
        scale_penalty=0.9745,
        scale_lr=0.59,
        window_influence=0.176,
        response_up=16,
        response_size=17))

max_epochs = 50
train_cfg = dict(
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_begin=max_epochs,
    val_interval=1)

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-2, momentum=0.9, weight_decay=5e-4))
# 1e-2 -> 1e-5 over the 50 epochs
param_scheduler = [
    dict(type='ExponentialLR', gamma=(1e-5 / 1e-2)**(1 / max_epochs),
         by_epoch=True, begin=0, end=max_epochs)
]
auto_scale_lr = dict(enable=False, base_batch_size=8)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, ignore_last=False),
    checkpoint=dict(
        type='AtomicCheckpointHook', interval=5, max_keep_ckpts=3,
        save_best='auto'))
