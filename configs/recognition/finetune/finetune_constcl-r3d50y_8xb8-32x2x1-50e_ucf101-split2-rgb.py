# UCF101 fine-tuning, official split 2 (everything else as split 1).
_base_ = ['./finetune_constcl-r3d50y_8xb8-32x2x1-50e_ucf101-split1-rgb.py']

split = 2
ann_file_train = f'data/ucf101/ucf101_train_split_{split}_videos.txt'
ann_file_val = f'data/ucf101/ucf101_val_split_{split}_videos.txt'
ann_file_test = ann_file_val

train_dataloader = dict(dataset=dict(ann_file=ann_file_train))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val))
test_dataloader = dict(dataset=dict(ann_file=ann_file_test))
