# SiamFC on the ConST-CL backbone (paper §4.4, Table 1: OTB-2015 precision
# 78.1, success 55.2), backbone frozen (the model of
# _base_/models/siamfc_r3d50y.py). Trained on GOT-10k pairs with the SiamFC
# recipe (SGD 1e-2 -> 1e-5 exponential over 50 epochs, batch 8, weight decay
# 5e-4), tested on OTB-100 with SiamFC's inference settings.
# Pretrained ConST-CL checkpoint (docs/tracking.md):
#   --cfg-options model.backbone.pretrained=PATH
_base_ = [
    '../../_base_/models/siamfc_r3d50y.py',
    '../../_base_/datasets/got10k_siamfc-pairs.py',
    '../../_base_/datasets/otb100.py', '../../_base_/default_runtime.py'
]

max_epochs = 50
train_cfg = dict(
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_begin=max_epochs,
    val_interval=1)

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-2, momentum=0.9, weight_decay=5e-4))
# 1e-2 -> 1e-5 over the 50 epochs
param_scheduler = [
    dict(
        type='ExponentialLR',
        gamma=(1e-5 / 1e-2)**(1 / max_epochs),
        by_epoch=True,
        begin=0,
        end=max_epochs)
]
auto_scale_lr = dict(enable=False, base_batch_size=8)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, ignore_last=False),
    checkpoint=dict(
        type='AtomicCheckpointHook',
        interval=5,
        max_keep_ckpts=3,
        save_best='auto'))
