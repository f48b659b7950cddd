# SiamFC on the ConST-CL backbone, backbone fine-tuned (10x lower LR than the
# head, BN statistics frozen, activation checkpointing for memory); otherwise
# as the frozen-backbone config.
_base_ = ['./siamfc_r3d50y-local-frozen_1xb8-5x1x1-50e_got10k-otb100.py']

model = dict(backbone=dict(frozen_stages=-1, norm_eval=True, with_cp=True))

optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=0.1))))
