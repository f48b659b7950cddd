# ConST-CL pretraining data on the synthetic video world
# (constcl_mm/datasets/synthetic_world.py): the Kinetics pretraining pipeline
# of kinetics400_constcl_pretrain.py minus its VideoReaderInit step (the
# dataset hands out open readers that render frames in memory), at a
# laptop-sized crop. Videos 0..num_videos-1 of world seed 0 train; the
# evaluations use other seeds (held-out videos).
dataset_type = 'SyntheticVideoDataset'
world = dict(seed=0, num_frames=64, frame_size=(96, 96), num_objects=(2, 4))

clip_len = 16
frame_interval = 2
crop_size = 64

train_pipeline = [
    dict(
        type='CVRLSampleFrames',
        clip_len=clip_len,
        frame_interval=frame_interval),
    dict(type='MultiClipDecode'),
    dict(
        type='MultiViewRandomResizedCrop',
        scale=crop_size,
        area_range=(0.3, 1.0),
        aspect_ratio_range=(0.5, 2.0)),
    dict(type='MultiViewFlip', flip_ratio=0.5),
    dict(type='GenerateRegionBoxes', box_type='random', num_boxes=8),
    # SimCLR's small-image strength 0.5 (the paper: 1.0). Measured with 1.0,
    # 8 videos per step and 400 steps: the global loss stays on its plateau
    # (5.35 against 2 ln 15 = 5.42, accuracy near 1/8).
    dict(type='MultiViewColorJitter', prob=0.8, strength=0.5),
    dict(type='MultiViewGrayscale', prob=0.2),
    # the official rule 2 * (size // 10 // 2) + 1 gives 7 at 64 px
    dict(
        type='MultiViewGaussianBlur',
        prob=(1.0, 0.1),
        kernel_size=7,
        sigma_range=(0.1, 2.0)),
    dict(type='MultiViewSolarize', prob=(0.0, 0.2), threshold=0.5),
    dict(type='PackConSTCLInputs'),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        num_videos=2000,
        world=world,
        pipeline=train_pipeline))
