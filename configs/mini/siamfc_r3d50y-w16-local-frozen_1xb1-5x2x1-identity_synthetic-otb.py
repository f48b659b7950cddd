# SiamFC one-pass evaluation of the mini ConST-CL backbone on OTB-layout
# sequences of the synthetic world (tools/data/synthetic/export_synthetic.py,
# docs/learning_proof.md): the real SiamFC config (tracker, OTB100Dataset,
# VideoSampler, SOTMetric; res4/res5 without spatial stride, dilation 2/4,
# total stride 8; 5-frame stacks, centre feature frame) at the mini model's
# width and the world's 96-px frames. constcl_mm.evaluation.downstream.
# evaluate_tracking runs it (runner.test()) for every model of
# tools/mini_experiment.py. Departures from the real config:
_base_ = [
    '../tracking/siamfc/siamfc_r3d50y-local-frozen_1xb8-5x1x1-50e_got10k-otb100.py'  # noqa: E501
]

width = 16  # the mini pretraining model's base_channels (res5: 512)
model = dict(
    # res4/res5 without stride, dilated by the pretraining strides they lose
    # (checked at build): 'auto' derives them from pretrain_backbone, the
    # mini pretraining's (1, 2, 2, 1) here (res5 at stride 1: dilations
    # (1, 1, 2, 2)); evaluate_tracking sets it from its backbone argument
    backbone=dict(
        base_channels=width, spatial_strides='auto', dilations='auto'),
    pretrain_backbone=dict(spatial_strides=(1, 2, 2, 1)),
    # Adjust layer: identity (adjust_channels=None), i.e. the frozen res5
    # features are correlated as they are. Parameter-free, so the treatment
    # is identical for every model (random init, CVRL, ConST-CL) by
    # construction, nothing is fitted (no GOT-10k-like pair training whose
    # few-iteration noise would add to the seed std), and the score measures
    # the pretrained features alone. The bias is 0 and unused by OPE (the
    # peak location does not depend on it).
    head=dict(in_channels=width * 32, adjust_channels=None),
    # Sizes for the world's 96-px frames, objects of ~15-45 px: the exemplar
    # crop (the target with context 0.5, ~2x its size: ~30-90 image px) is
    # resampled to 39 px, i.e. ~0.45-1.3x the native scale, the range the
    # mini pretraining sees (64-px random resized crops of 96-px frames:
    # 0.67-1.2x); search 79 ~= 2x exemplar as SiamFC's 255/127;
    # (79 - 39) / 8 + 1 = 6 response cells. 2 GMACs per tracked frame (3
    # scales x 5 frames at 79 px), so 20 sequences of 32 frames cost about
    # 1.3 TMACs. Everything else is SiamFC's inference setting.
    test_cfg=dict(exemplar_size=39, search_size=79, response_size=6))

# Evaluation only: no training, no validation during training.
train_dataloader = None
train_cfg = None
optim_wrapper = None
param_scheduler = None
val_dataloader = None
val_cfg = None
val_evaluator = None

# The exported sequences are written with --otb-frame-interval 2, so a
# 5-frame stack spans video frames t-4 .. t+4 at the pretraining clips'
# interval 2; the data root is set by evaluate_tracking.
data_root = 'data/synthetic_eval/otb/'
test_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='otb_infos.txt'))
test_evaluator = dict(type='SOTMetric', tracker_name='mini SiamFC', plot=False)

default_hooks = dict(
    logger=dict(interval=200), checkpoint=dict(save_best=None))
