# ConST-CL pretraining data on the object world of the second learning proof
# (constcl_mm/datasets/object_world.py, docs/learning_proof.md): the Kinetics
# pretraining pipeline of kinetics400_constcl_pretrain.py minus its
# VideoReaderInit step, at a laptop-sized crop. Videos 0..num_videos-1 of
# world seed 0 train; the evaluations use other seeds. The frames are
# rendered once into an .npy file under `cache_dir` (the same frames the
# renderer gives; tools/mini_experiment.py points it into its work dir).
_base_ = ['./kinetics400_constcl_pretrain.py']

dataset_type = 'SyntheticVideoDataset'
# One object a video whose shape is its own (a radial deformation of its
# shape family) and stripes of one pattern: apart from colour (which the
# colour jitter hides) the shape is what tells two videos apart, so that
# instance-contrastive learning has to read the shape, the scene label.
# With 1-3 canonical objects and per-object stripes (the first setting of
# the second design) no self-supervised model rose above random init:
# docs/learning_proof.md, "The shape-identity world".
world = dict(
    type='objects',
    seed=0,
    num_frames=48,
    frame_size=(64, 64),
    num_objects=(1, 1),
    object_size=(0.35, 0.55),
    fixed_stripes=True,
    shape_variation=0.15)
crop_size = 48
cache_dir = 'work_dirs/object_world_cache'

# the steps of the Kinetics pipeline changed here, by type
_changes = dict(
    # aspect ratios of 3/4-4/3 (the Inception crop; the official 1/2-2 makes
    # squares of rectangles and ellipses of circles: the shape is the label)
    MultiViewRandomResizedCrop=dict(
        scale=crop_size, aspect_ratio_range=(3 / 4, 4 / 3)),
    # the official rule 2 * (size // 10 // 2) + 1 gives 5 at 48 px, and the
    # official sigmas (0.1-2.0 px of a 224-px crop) shrink with the crop as
    # the kernel does: sigma 2 at 48 px would blur away the stripes. Checked
    # on the supervised control's training loss (pretraining world, 300
    # steps, full SSL augmentation): category 1.88 scaled vs 1.97 unscaled.
    MultiViewGaussianBlur=dict(
        kernel_size=5,
        sigma_range=tuple(s * crop_size / 224 for s in (0.1, 2.0))))
train_pipeline = [
    dict(s, **_changes.get(s['type'], {})) for s in _base_.train_pipeline
    if s['type'] != 'VideoReaderInit'
]
del _changes

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        # 4096 videos (2.4 GB of cached frames): with 1024 the supervised
        # control learnt its training videos (scene head 0.82 on seen
        # videos, 0.45 on unseen ones after 2,000 steps)
        num_videos=4096,
        world=world,
        cache_dir=cache_dir,
        pipeline=train_pipeline))
