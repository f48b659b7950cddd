# Copyright (c) constcl_mm authors. All rights reserved.
"""`import constcl_mm` registers every module; each builds from a config.

Every class constcl_mm registers (found by walking the registries) must be in
``build_cfgs`` below, so a new module cannot land without being built here.
"""
import os
import pickle

import numpy as np
import pytest
from helpers.otb import crossing_dir
from helpers.paths import data_path
from mmaction import registry as mmaction_registry
from mmdet import registry as mmdet_registry
from mmengine.registry import DefaultScope

SCOPES = {
    'mmaction':
    ('MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'DATA_SAMPLERS', 'HOOKS',
     'OPTIM_WRAPPERS', 'LOOPS', 'VISUALIZERS'),
    'mmdet': ('MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'TASK_UTILS'),
}
PACKAGES = {'mmaction': mmaction_registry, 'mmdet': mmdet_registry}


def registered():
    """{(scope, registry, name)} of constcl_mm classes."""
    found = set()
    for scope, names in SCOPES.items():
        for name in names:
            reg = getattr(PACKAGES[scope], name)
            for key, obj in reg.module_dict.items():
                if getattr(obj, '__module__', '').startswith('constcl_mm.'):
                    found.add((scope, name, key))
    return found


R3D_TINY = dict(
    type='ResNet3dY',
    depth=18,
    branches=('local', ),
    out_indices=(4, ),
    base_channels=8)


@pytest.fixture(scope='module')
def fixtures(tmp_path_factory):
    from helpers.tracking import make_got10k_fixture
    root = tmp_path_factory.mktemp('registration')
    videos = root / 'videos.txt'
    videos.write_text(
        data_path('mmaction2', 'tests', 'data', 'test.mp4') + '\n')
    frames = root / 'frames.txt'
    frames.write_text('imgs 10\n')
    otb = root / 'otb'
    otb.mkdir()
    os.symlink(crossing_dir(), otb / 'Crossing')
    got = root / 'got10k'
    make_got10k_fixture(str(got), crossing_dir())
    proposals = root / 'proposals.pkl'
    with open(proposals, 'wb') as f:
        pickle.dump(
            {
                'test.mp4': {
                    150: np.array([[0.1, 0.1, 0.5, 0.6, 0.9]], np.float32)
                }
            }, f)
    return dict(
        videos=str(videos),
        frames=str(frames),
        otb=str(otb),
        got=str(got),
        proposals=str(proposals))


def build_cfgs(fx):

    def ava(name):
        return data_path('mmaction2', 'tests', 'data', 'ava_dataset', name)

    otb = dict(
        type='OTB100Dataset',
        data_root=fx['otb'],
        targets=['Crossing'],
        pipeline=[])
    return {
        # models (mmaction)
        'ResNet3dY':
        R3D_TINY,
        'ConSTCLDataPreprocessor':
        dict(type='ConSTCLDataPreprocessor'),
        'GlobalContrastiveHead':
        dict(
            type='GlobalContrastiveHead',
            in_channels=16,
            hid_channels=8,
            out_channels=4),
        'RegionContrastiveHead':
        dict(type='RegionContrastiveHead'),
        'ContextCrossAttentionNeck':
        dict(
            type='ContextCrossAttentionNeck',
            in_channels=16,
            attention_cfg=dict(tx_channels=8)),
        'ConSTCL':
        dict(
            type='ConSTCL',
            backbone=dict(
                R3D_TINY, branches=('global', 'local'), out_indices=(3, 4)),
            global_head=dict(
                type='GlobalContrastiveHead',
                in_channels=64,
                hid_channels=8,
                out_channels=4),
            neck=dict(
                type='ContextCrossAttentionNeck',
                in_channels=64,
                attention_cfg=dict(tx_channels=8)),
            local_head=dict(type='RegionContrastiveHead')),
        'StaticBoxTracker':
        dict(type='StaticBoxTracker'),
        'NCCTracker':
        dict(type='NCCTracker'),
        'WorldSupervised':
        dict(
            type='WorldSupervised',
            backbone=dict(
                R3D_TINY, branches=('global', 'local'), out_indices=(3, 4))),
        'LinearProbeHead':
        dict(type='LinearProbeHead', num_classes=3, in_channels=64),
        'SiamFCHead':
        dict(type='SiamFCHead', in_channels=64, adjust_channels=8),
        'SiamFC':
        dict(
            type='SiamFC',
            backbone=dict(
                R3D_TINY, spatial_strides=(1, 2, 1, 1),
                dilations=(1, 1, 2, 4)),
            head=dict(type='SiamFCHead', in_channels=64, adjust_channels=8)),
        'SOTDataPreprocessor':
        dict(type='SOTDataPreprocessor'),
        # models (mmdet: AVA heads live where FastRCNN builds its roi head)
        'ActionTransformerHead':
        dict(
            type='ActionTransformerHead',
            in_channels=64,
            num_classes=10,
            attention_cfg=dict(tx_channels=8),
            background_class=True),
        'ContextAVARoIHead':
        dict(
            type='ContextAVARoIHead',
            bbox_roi_extractor=dict(
                type='SingleRoIExtractor3D',
                roi_layer_type='RoIAlign',
                output_size=4,
                with_temporal_pool=False),
            bbox_head=dict(
                type='ActionTransformerHead',
                in_channels=64,
                num_classes=10,
                attention_cfg=dict(tx_channels=8),
                background_class=True)),
        # datasets
        'TwoViewVideoDataset':
        dict(type='TwoViewVideoDataset', ann_file=fx['videos'], pipeline=[]),
        'LabeledVideoDataset':
        dict(
            type='LabeledVideoDataset',
            ann_file=fx['videos'],
            pipeline=[],
            num_classes=2,
            test_mode=True),
        'TwoViewRawframeDataset':
        dict(
            type='TwoViewRawframeDataset',
            ann_file=fx['frames'],
            pipeline=[],
            data_prefix=dict(img=data_path('mmaction2', 'tests', 'data'))),
        'OTB100Dataset':
        otb,
        'GOT10kPairDataset':
        dict(
            type='GOT10kPairDataset',
            ann_file='list.txt',
            data_root=fx['got'],
            pipeline=[]),
        'MixedAVAKineticsDataset':
        dict(
            type='MixedAVAKineticsDataset',
            ann_file=ava('ava_sample.csv'),
            label_file=ava('action_list.txt'),
            pipeline=[],
            data_prefix=dict(img='frames'),
            test_mode=True),
        # the runner builds the dataset first and hands it to the sampler
        'VideoSampler':
        dict(
            type='VideoSampler',
            dataset=mmaction_registry.DATASETS.build(otb)),
        # transforms
        'VideoReaderInit':
        dict(type='VideoReaderInit'),
        'CVRLSampleFrames':
        dict(type='CVRLSampleFrames'),
        'MultiClipDecode':
        dict(type='MultiClipDecode'),
        'MultiClipDecodeResizedCrop':
        dict(type='MultiClipDecodeResizedCrop'),
        'MultiViewRandomResizedCrop':
        dict(type='MultiViewRandomResizedCrop'),
        'MultiViewFlip':
        dict(type='MultiViewFlip'),
        'MultiViewColorJitter':
        dict(type='MultiViewColorJitter'),
        'MultiViewGrayscale':
        dict(type='MultiViewGrayscale'),
        'MultiViewGaussianBlur':
        dict(type='MultiViewGaussianBlur'),
        'MultiViewSolarize':
        dict(type='MultiViewSolarize'),
        'GenerateRegionBoxes':
        dict(type='GenerateRegionBoxes', box_type='slic'),
        'RandomRegionBoxes':
        dict(type='RandomRegionBoxes'),
        'SLICRegionBoxes':
        dict(type='SLICRegionBoxes'),
        'FelzenszwalbRegionBoxes':
        dict(type='FelzenszwalbRegionBoxes'),
        'ProposalRegionBoxes':
        dict(type='ProposalRegionBoxes', proposal_file=fx['proposals']),
        'PackConSTCLInputs':
        dict(type='PackConSTCLInputs'),
        'WorldObjectBoxes':
        dict(type='WorldObjectBoxes', world=dict(type='objects')),
        'PackWorldSupervisedInputs':
        dict(type='PackWorldSupervisedInputs'),
        'LoadTrackingFrames':
        dict(type='LoadTrackingFrames'),
        'SiamFCPairCrop':
        dict(type='SiamFCPairCrop'),
        'PackSOTInputs':
        dict(type='PackSOTInputs'),
        'PackSiamFCPairInputs':
        dict(type='PackSiamFCPairInputs'),
        'SampleAVAKineticsFrames':
        dict(type='SampleAVAKineticsFrames', clip_len=4),
        # evaluation, engine
        'SOTMetric':
        dict(type='SOTMetric'),
        'AVAKineticsMetric':
        dict(
            type='AVAKineticsMetric',
            ann_file=ava('ava_sample.csv'),
            label_file=ava('action_list.txt')),
        'AutocastOptimWrapper':
        None,  # needs an optimizer: built below
        'AtomicCheckpointHook':
        dict(type='AtomicCheckpointHook', interval=1),
        'BadVideoCountHook':
        dict(type='BadVideoCountHook'),
        'LoopScheduleHook':
        dict(type='LoopScheduleHook'),
        'NonFiniteLossHook':
        dict(type='NonFiniteLossHook'),
        'ChannelsLastActionDataPreprocessor':
        dict(type='ChannelsLastActionDataPreprocessor'),
        'SyntheticVideoDataset':
        dict(type='SyntheticVideoDataset', num_videos=2, pipeline=[]),
    }


def test_every_registered_class_has_a_build_config(fixtures):
    names = {name for _, _, name in registered()}
    cfgs = build_cfgs(fixtures)
    assert names == set(cfgs), (
        f'registered but not built here: {sorted(names - set(cfgs))}; '
        f'listed but not registered: {sorted(set(cfgs) - names)}')


def test_every_registered_class_builds(fixtures):
    import torch
    cfgs = build_cfgs(fixtures)
    for scope, reg_name, name in sorted(registered()):
        registry = getattr(PACKAGES[scope], reg_name)
        with DefaultScope.overwrite_default_scope(scope):
            if name == 'AutocastOptimWrapper':
                model = torch.nn.Linear(2, 2)
                obj = registry.build(
                    dict(
                        type=name,
                        optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
            else:
                obj = registry.build(dict(cfgs[name]))
        assert type(obj).__name__ == name, (scope, reg_name, name)
