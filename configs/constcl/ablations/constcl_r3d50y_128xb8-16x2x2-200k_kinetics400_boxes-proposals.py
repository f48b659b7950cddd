# Region boxes read from a detector proposals file (format in
# docs/data_preparation_pretrain.md), mapped through each view's crop and
# flip. Videos with fewer proposals get padding boxes, masked out of the loss.
_base_ = ['../constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

proposal_file = 'data/kinetics400/proposals_train.pkl'
train_pipeline = [
    dict(
        type='GenerateRegionBoxes',
        box_type='proposals',
        proposal_file=proposal_file,
        num_boxes=8) if s['type'] == 'GenerateRegionBoxes' else s
    for s in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(local_head=dict(mask_invalid_targets=True))
