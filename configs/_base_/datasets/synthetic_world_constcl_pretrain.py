# ConST-CL pretraining data on the synthetic video world
# (constcl_mm/datasets/synthetic_world.py): the Kinetics pretraining pipeline
# of kinetics400_constcl_pretrain.py minus its VideoReaderInit step (the
# dataset hands out open readers that render frames in memory), at a
# laptop-sized crop. Videos 0..num_videos-1 of world seed 0 train; the
# evaluations use other seeds (held-out videos).
_base_ = ['./kinetics400_constcl_pretrain.py']

dataset_type = 'SyntheticVideoDataset'
world = dict(seed=0, num_frames=64, frame_size=(96, 96), num_objects=(2, 4))
crop_size = 64

# the steps of the Kinetics pipeline changed here, by type
_changes = dict(
    MultiViewRandomResizedCrop=dict(scale=crop_size),
    # SimCLR's small-image strength 0.5 (the paper: 1.0). Measured with 1.0,
    # 8 videos per step and 400 steps: the global loss stays on its plateau
    # (5.35 against 2 ln 15 = 5.42, accuracy near 1/8).
    MultiViewColorJitter=dict(strength=0.5),
    # the official rule 2 * (size // 10 // 2) + 1 gives 7 at 64 px
    MultiViewGaussianBlur=dict(kernel_size=7))
train_pipeline = [
    dict(s, **_changes.get(s['type'], {})) for s in _base_.train_pipeline
    if s['type'] != 'VideoReaderInit'
]
del _changes

train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        num_videos=2000,
        world=world,
        pipeline=train_pipeline))
