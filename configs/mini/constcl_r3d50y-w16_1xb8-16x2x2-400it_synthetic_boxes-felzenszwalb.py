# Mini ConST-CL (context 5) with region boxes from Felzenszwalb segments of
# each view's keyframe instead of random boxes (the paper's §3.3 box source;
# configs/constcl/ablations/*_boxes-felzenszwalb.py at full scale). On the
# synthetic world the segments tend to follow the objects' soft masks, so
# the regions the local loss contrasts are closer to the objects the
# correspondence evaluation matches (docs/learning_proof.md).
_base_ = ['./constcl_r3d50y-w16_1xb8-16x2x2-400it_synthetic.py']

# 8 boxes per view, as the random-box mini model (equal numbers of queries
# and negatives); views with fewer segments are padded, and the padding is
# masked out of the matching and the negatives
train_pipeline = [
    dict(type='GenerateRegionBoxes', box_type='felzenszwalb', num_boxes=8)
    if s['type'] == 'GenerateRegionBoxes' else s for s in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(local_head=dict(mask_invalid_targets=True))
