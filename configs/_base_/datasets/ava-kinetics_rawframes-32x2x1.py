# AVA-Kinetics v1.0 = AVA v2.2 + the AVA-annotated Kinetics-700 clips, as
# rawframes (docs/detection_ava.md): same clips, resolution and boxes as
# ava22_rawframes-32x2x1.py. The Kinetics rows come in their own csv files
# of the release; every Kinetics clip is a frame folder
# <youtube_id>_<start:06d>_<end:06d> under the Kinetics root. Validation
# reports overall frame-mAP and the AVA / Kinetics split.
_base_ = ['ava22_rawframes-32x2x1.py']

ava_frames = 'data/ava/rawframes'
kinetics_frames = 'data/ava_kinetics/rawframes'
ak_anno_root = 'data/ava_kinetics/annotations'
kinetics_ann_file_train = f'{ak_anno_root}/kinetics_train_v1.0.csv'
kinetics_ann_file_val = f'{ak_anno_root}/kinetics_val_v1.0.csv'
# person detections on the Kinetics val keyframes, keyed like the csv
# (docs/detection_ava.md: no standard file exists, make it with a detector)
kinetics_proposal_file_val = f'{ak_anno_root}/kinetics_val_proposals.pkl'

train_dataloader = dict(
    dataset=dict(
        kinetics_ann_file=kinetics_ann_file_train,
        data_prefix=dict(img=ava_frames, kinetics=kinetics_frames)))
val_dataloader = dict(
    dataset=dict(
        kinetics_ann_file=kinetics_ann_file_val,
        proposal_file=[{{_base_.proposal_file_val}}, kinetics_proposal_file_val
                       ],
        data_prefix=dict(img=ava_frames, kinetics=kinetics_frames)))
test_dataloader = val_dataloader

val_evaluator = dict(kinetics_ann_file=kinetics_ann_file_val)
test_evaluator = val_evaluator
