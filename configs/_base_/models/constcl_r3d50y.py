# ConST-CL on ResNet3D-Y-50 (official_implementation.md §1-§3): global NT-Xent
# on res5, context cross-attention region contrast on res5_1.
model = dict(
    type='ConSTCL',
    backbone=dict(
        type='ResNet3dY',
        depth=50,
        branches=('global', 'local'),
        out_indices=(3, 4),  # (res5, res5_1)
        norm_eval=False,
        with_cp=False),
    global_head=dict(
        type='GlobalContrastiveHead',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        num_hidden_layers=3,
        temperature=0.1,
        loss_weight=1.0),
    neck=dict(
        type='ContextCrossAttentionNeck',
        in_channels=2048,
        context_length=5,
        crop_size=4,
        sample_offset=0.5,
        attention_cfg=dict(
            tx_channels=128, num_layers=3, num_heads=3, layer_norm_eps=1e-12)),
    local_head=dict(
        type='RegionContrastiveHead', temperature=0.2, loss_weight=0.001),
    global_index=0,
    local_index=1,
    data_preprocessor=dict(
        type='ConSTCLDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5]))
