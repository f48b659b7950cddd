# ConST-CL pretraining with the official code's LR schedule
# (const_cl_pretrain_k400_200k.yaml): 2,500-step linear warmup from 0 to the
# cosine's value at step 2,500, then cosine on the global step. Everything
# else is the paper's recipe (constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py,
# whose warmup is the paper's 5 epochs = 1,151 steps, cosine after it).
_base_ = [
    '../_base_/models/constcl_r3d50y.py',
    '../_base_/datasets/kinetics400_constcl_pretrain.py',
    '../_base_/schedules/constcl_sgd_cosine-official_200k.py',
    '../_base_/pretrain_runtime.py',
]

train_dataloader = dict(
    batch_size=8, sampler=dict(type='InfiniteSampler', shuffle=True))
