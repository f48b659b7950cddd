# The paper's recipe with the fast loader (docs/pretraining.md, "Data
# loading"): the same samples, decoded for less CPU time per video.
#
# * VideoReaderInit(backend='pyav_indexed'): the file is demuxed once; only
#   the packets from the keyframe before each clip to its last frame are
#   decoded, and only the frames a clip uses are converted;
# * MultiClipDecodeResizedCrop replaces MultiClipDecode +
#   MultiViewRandomResizedCrop: same draws and pixels, bit for bit, but only
#   the rows the bilinear resize reads are converted to RGB;
# * the colour ops keep the base's apply_on='auto' (on the GPU with CUDA).
#
# GenerateRegionBoxes is step 4 here (5 in the base pipeline).
_base_ = ['./constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py']

_crop = [
    s for s in _base_.train_pipeline
    if s['type'] == 'MultiViewRandomResizedCrop'
][0]
_fast_steps = dict(
    VideoReaderInit=dict(
        type='VideoReaderInit', backend='pyav_indexed', num_threads=1),
    MultiClipDecode={
        **_crop, 'type': 'MultiClipDecodeResizedCrop'
    })
train_pipeline = [
    _fast_steps.get(s['type'], s) for s in _base_.train_pipeline
    if s['type'] != 'MultiViewRandomResizedCrop'
]
del _crop, _fast_steps
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
