# HMDB51 videos, official split `split` (1, 2 or 3), with the same CVRL
# pipelines as Kinetics-400. The `*-split2` / `*-split3` leaf configs switch
# the split (a variable changed with --cfg-options would not reach the file
# names below, which are fixed when this file is read).
# Layout and list files: docs/recognition.md (tools/data/hmdb51).
_base_ = ['./kinetics400_video_32x2x1-cvrl.py']

split = 1
data_root = 'data/hmdb51/videos'
data_root_val = data_root
ann_file_train = f'data/hmdb51/hmdb51_train_split_{split}_videos.txt'
ann_file_val = f'data/hmdb51/hmdb51_val_split_{split}_videos.txt'
ann_file_test = ann_file_val

train_dataloader = dict(
    dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root)))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root)))
test_dataloader = dict(
    dataset=dict(ann_file=ann_file_test, data_prefix=dict(video=data_root)))
