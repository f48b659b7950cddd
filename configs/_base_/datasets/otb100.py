# OTB-2015 (OTB-100) one-pass evaluation: the 100 targets of
# constcl_mm.datasets.OTB100_TARGETS in the standard layout
# data/otb100/<Seq>/img/%04d.jpg + groundtruth_rect*.txt (docs/tracking.md).
# Whole frames go to the model (it crops them itself), one frame per step,
# each with its 2 neighbours on each side; VideoSampler keeps every target's
# frames in order on one process.
dataset_type = 'OTB100Dataset'
data_root = 'data/otb100/'

test_pipeline = [
    dict(type='LoadTrackingFrames', keys=dict(img_paths='imgs')),
    dict(type='PackSOTInputs'),
]

val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='VideoSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='',  # '' = built-in table; or an info file (tools/data/otb)
        data_prefix=dict(img_path=''),
        num_neighbors=2,
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='SOTMetric', tracker_name='ConST-CL SiamFC')
test_evaluator = val_evaluator

val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
