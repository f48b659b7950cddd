# ConST-CL warm-started from a converted CVRL R3D-50 (docs/model_zoo.md), on
# 32 GPUs: the recipe of constcl_r3d50y_32xb32-16x2x2-200k_kinetics400.py
# (32 videos per GPU = the paper's 1024, with_cp, LR 40.96) for a short
# schedule of 50 Kinetics-400 epochs instead of 869. Both res5 branches start
# from CVRL's res5 (the converted *_r3d50y.pth file); the context neck and
# both heads start from scratch. TF 'SAME' padding, as the CVRL weights were
# trained with. Set the weights with
#   --cfg-options model.backbone.pretrained=checkpoints/cvrl/<name>_r3d50y.pth
# (tools/convert_tf_cvrl.py writes it; loaded strictly). Not run here.
_base_ = ['./constcl_r3d50y_32xb32-16x2x2-200k_kinetics400.py']

epochs = 50
kinetics400_videos = 235693  # training videos (the pretraining list)
videos_per_step = 32 * 32
max_iters = -(-epochs * kinetics400_videos // videos_per_step)  # 11,509
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
model = dict(
    backbone=dict(
        padding='tf_same',
        pretrained='<set --cfg-options model.backbone.pretrained=PATH to a '
        'converted CVRL checkpoint (tools/convert_tf_cvrl.py, *_r3d50y.pth)>'))
