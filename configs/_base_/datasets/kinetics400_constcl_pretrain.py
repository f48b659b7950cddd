# ConST-CL pretraining data on Kinetics-400 (official_implementation.md §4-§5,
# paper §4.1).
#
# Two 16x2 clips per video (CVRL offsets), 224x224, clip-consistent
# augmentations with the official blur/solarisation asymmetry, 8 random
# boxes per view on the keyframe (frame 8 of 16). The list file is
# `path [label]` (see docs/data_preparation_pretrain.md); labels are unused.
#
# Switch the box type with e.g. (tools/train.py edits steps by type; the
# segment and proposal sources switch model.local_head.mask_invalid_targets
# on with it)
#   --pipeline-set GenerateRegionBoxes.box_type=slic \
#                  GenerateRegionBoxes.num_boxes=16
# (proposals also need `GenerateRegionBoxes.proposal_file=...`).
#
# The colour ops have apply_on='auto': on a machine with CUDA they only draw
# their parameters in the loader workers and the model's data preprocessor
# applies them to the batch on the GPU (same draws, same output to 1/255);
# without CUDA they run here on the CPU. The fast loader (decoding only the
# needed keyframe runs, converting only the pixels the crop reads) is
# configs/constcl/constcl_r3d50y_128xb8-16x2x2-200k_kinetics400_fast-loader.py
# (docs/pretraining.md, "Data loading").
dataset_type = 'TwoViewVideoDataset'
data_root = 'data/kinetics400/videos_train'
ann_file_train = 'data/kinetics400/kinetics400_train_list_videos.txt'

clip_len = 16
frame_interval = 2
crop_size = 224

train_pipeline = [
    dict(type='VideoReaderInit', backend='decord', num_threads=1),
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
    # Boxes on the final geometry, before the colour ops (index 5). Add
    # `diagonal_artifact=True` to reproduce the official graph-mode boxes.
    dict(type='GenerateRegionBoxes', box_type='random', num_boxes=8),
    dict(type='MultiViewColorJitter', prob=0.8, strength=1.0, apply_on='auto'),
    dict(type='MultiViewGrayscale', prob=0.2, apply_on='auto'),
    # view 1 always blurred, view 2 with p = 0.1
    dict(
        type='MultiViewGaussianBlur',
        prob=(1.0, 0.1),
        kernel_size=23,
        sigma_range=(0.1, 2.0),
        apply_on='auto'),
    # view 2 only
    dict(
        type='MultiViewSolarize',
        prob=(0.0, 0.2),
        threshold=0.5,
        apply_on='auto'),
    dict(type='PackConSTCLInputs'),
]

train_dataloader = dict(
    # 1024 videos per step / 128 GPUs; the schedule config may override.
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline,
        max_consecutive_failures=50))
