# ConST-CL pretraining, the paper's recipe: Kinetics-400, R3D-50-Y, two
# 16x2 clips per video at 224, random boxes, context 5, global batch 1024
# (128 GPUs x 8 videos = 2048 clips), 200k iterations.
_base_ = [
    '../_base_/models/constcl_r3d50y.py',
    '../_base_/datasets/kinetics400_constcl_pretrain.py',
    '../_base_/schedules/constcl_sgd_cosine_200k.py',
    '../_base_/pretrain_runtime.py',
]

# an endless sampler for the iteration-based loop (resume skips exactly the
# batches already trained)
train_dataloader = dict(
    batch_size=8, sampler=dict(type='InfiniteSampler', shuffle=True))
