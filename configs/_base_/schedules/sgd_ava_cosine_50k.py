# Fine-tuning schedule for AVA / AVA-Kinetics: mmaction2's AVA v2.2 recipe
# (SGD, 2 warm-up epochs then cosine over 10 epochs, gradient clipping),
# LR scaled linearly to a total batch of 32 (8 GPUs x 4 clips). The paper
# does not give its AVA schedule.
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=10, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=2,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=8,
        eta_min=0,
        by_epoch=True,
        begin=2,
        end=10,
        convert_to_iter_based=True)
]

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-5),
    clip_grad=dict(max_norm=40, norm_type=2))

# --auto-scale-lr rescales lr for other total batch sizes
auto_scale_lr = dict(enable=False, base_batch_size=32)
