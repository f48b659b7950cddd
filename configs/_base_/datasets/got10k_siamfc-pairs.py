# SiamFC training pairs from GOT-10k train (data/got10k/train/<seq>/...,
# train/list.txt): exemplar and search frames at most 100 frames apart, each
# with its 2 neighbours on each side, cropped to 127 / 255 around the target
# with context 0.5 (search: +-5% scale, +-4 px shift).
train_pipeline = [
    dict(
        type='LoadTrackingFrames',
        keys=dict(exemplar_paths='exemplar_imgs', search_paths='search_imgs')),
    dict(
        type='SiamFCPairCrop',
        exemplar_size=127,
        search_size=255,
        context_amount=0.5,
        scale_jitter=0.05,
        max_shift=4),
    dict(type='PackSiamFCPairInputs'),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='GOT10kPairDataset',
        data_root='data/got10k/',
        ann_file='train/list.txt',
        data_prefix=dict(img_path='train'),
        frame_range=100,
        num_neighbors=2,
        pairs_per_seq=1,
        pipeline=train_pipeline))
