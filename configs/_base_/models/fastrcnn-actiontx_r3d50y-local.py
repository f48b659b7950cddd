# The paper's AVA head (ConST-CL §4, after the Video Action Transformer
# Network): person RoI features query the clip's features through the
# pretraining context decoder, then a linear multi-label classifier.
# Official hints (official_implementation.md §7): RoIAlign 4x4 with one sample
# per bin at offset 0.5, 3 layers x 3 heads x 128 channels, GELU, LayerNorm eps
# 1e-12,
# positional encoding on, no hidden layer. Same backbone and checkpoint
# loading as fastrcnn_r3d50y-local.py.
_base_ = ['fastrcnn_r3d50y-local.py']

model = dict(
    roi_head=dict(
        type='ContextAVARoIHead',
        bbox_roi_extractor=dict(
            output_size=4,
            sampling_ratio=1,
            aligned=False,
            # the head needs every feature frame (keyframe query, memory)
            with_temporal_pool=False),
        bbox_head=dict(
            _delete_=True,
            type='ActionTransformerHead',
            background_class=True,
            in_channels=2048,
            num_classes=81,
            multilabel=True,
            attention_cfg=dict(
                tx_channels=128,
                num_layers=3,
                num_heads=3,
                layer_norm_eps=1e-12,
                use_positional_encoding=True),
            context_length=None,  # all T' = 16 feature frames
            query_temporal_pool='keyframe',
            dropout_ratio=0.0)))
