# Region boxes from SLIC superpixels (16 per keyframe, paper §3.3) instead of
# random boxes. Segments may be fewer than 16: padding boxes are masked out
# of the matching and the negatives.
_base_ = ['../constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

train_pipeline = [
    dict(type='GenerateRegionBoxes', box_type='slic', num_boxes=16)
    if s['type'] == 'GenerateRegionBoxes' else s for s in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(local_head=dict(mask_invalid_targets=True))
