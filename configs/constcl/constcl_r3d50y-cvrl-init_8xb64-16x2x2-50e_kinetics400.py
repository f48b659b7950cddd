# ConST-CL warm-started from a converted CVRL R3D-50 (docs/model_zoo.md), on
# 8 GPUs: the recipe of constcl_r3d50y_8xb64-16x2x2-400k_kinetics400.py
# (64 videos per GPU, with_cp, launch with --amp, LR 20.48 for 512 videos)
# for a short schedule of 50 Kinetics-400 epochs instead of 869. Both res5
# branches start from CVRL's res5 (the converted *_r3d50y.pth file); the
# context neck and both heads start from scratch. TF 'SAME' padding, as the
# CVRL weights were trained with. Set the weights with
#   --cfg-options model.backbone.pretrained=checkpoints/cvrl/<name>_r3d50y.pth
# (tools/convert_tf_cvrl.py writes it; loaded strictly). Not run here.
_base_ = ['./constcl_r3d50y_8xb64-16x2x2-400k_kinetics400.py']

epochs = 50
kinetics400_videos = 235693  # training videos (the pretraining list)
videos_per_step = 8 * 64
max_iters = -(-epochs * kinetics400_videos // videos_per_step)  # 23,017
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
model = dict(
    backbone=dict(
        padding='tf_same',
        pretrained='<set --cfg-options model.backbone.pretrained=PATH to a '
        'converted CVRL checkpoint (tools/convert_tf_cvrl.py, *_r3d50y.pth)>'))
