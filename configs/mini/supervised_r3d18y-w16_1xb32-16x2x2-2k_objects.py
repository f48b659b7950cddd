# The supervised control of the learning proof: the mini ConST-CL backbone,
# data (two views per video, the same crops and flips), optimiser and budget,
# trained on the object world's labels (scene from the global res5; category
# and motion class of the ground-truth boxes from res5_1). Like supervised
# recognition recipes it keeps the geometric augmentation only: with the
# contrastive colour ops (jitter at strength 1, grayscale, blur, solarise)
# the scene loss fell from 1.389 to only 1.355 in 300 steps, against 1.274
# without the colour jitter and 1.084 without any photometric op (training
# loss on the pretraining world, docs/learning_proof.md).
_photometric = ('MultiViewColorJitter', 'MultiViewGrayscale',
                'MultiViewGaussianBlur', 'MultiViewSolarize')
_base_ = ['./constcl_r3d18y-w16_1xb32-16x2x2-2k_objects.py']

model = dict(
    _delete_=True,
    type='WorldSupervised',
    backbone=_base_.model.backbone,
    num_scenes=4,
    num_categories=8,
    num_motions=4,
    data_preprocessor=_base_.model.data_preprocessor)
# the ground-truth object boxes (with their labels) in place of random boxes
_changes = dict(
    GenerateRegionBoxes=dict(
        type='WorldObjectBoxes', world=_base_.world, num_boxes=4),
    PackConSTCLInputs=dict(type='PackWorldSupervisedInputs'))
train_dataloader = dict(
    dataset=dict(pipeline=[
        _changes.get(s['type'], s) for s in _base_.train_pipeline
        if s['type'] not in _photometric
    ]))
del _changes, _photometric
