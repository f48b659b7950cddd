# Copyright (c) constcl_mm authors. All rights reserved.
"""Configs that edit an inherited pipeline change the intended step.

The leaves find the step by its ``type``; these tests check the resolved
pipelines: the step is there once, at the position of the base pipeline,
with the intended values, and every other step is the base's.
"""
import os.path as osp

import pytest
from mmengine.config import Config

PRETRAIN = 'configs/constcl/constcl_r3d50y_128xb8-16x2x2-200k_kinetics400.py'
ABLATIONS = 'configs/constcl/ablations/'
BOXES = ABLATIONS + 'constcl_r3d50y_128xb8-16x2x2-200k_kinetics400_boxes-'


def resolved(repo_root: str, path: str) -> Config:
    return Config.fromfile(osp.join(repo_root, path))


def steps_of(pipeline, type_name):
    return [i for i, step in enumerate(pipeline) if step['type'] == type_name]


def check_edit(base, edited, changes):
    """``edited`` is ``base`` with the steps of ``changes`` (type -> the
    whole expected step) replaced in place."""
    assert [s['type'] for s in edited] == [s['type'] for s in base]
    for type_name, expected in changes.items():
        found = steps_of(edited, type_name)
        assert len(found) == 1, f'{type_name} appears {len(found)} times'
        assert dict(edited[found[0]]) == expected
    for old, new in zip(base, edited):
        if old['type'] not in changes:
            assert dict(new) == dict(old)


BOX_CASES = {
    'slic':
    dict(type='GenerateRegionBoxes', box_type='slic', num_boxes=16),
    'felzenszwalb':
    dict(type='GenerateRegionBoxes', box_type='felzenszwalb', num_boxes=16),
    'diagonal':
    dict(
        type='GenerateRegionBoxes',
        box_type='random',
        num_boxes=8,
        diagonal_artifact=True),
    'proposals':
    dict(
        type='GenerateRegionBoxes',
        box_type='proposals',
        proposal_file='data/kinetics400/proposals_train.pkl',
        num_boxes=8),
}


@pytest.mark.parametrize('name', sorted(BOX_CASES))
def test_box_ablation_replaces_the_box_step(repo_root, name):
    base = resolved(repo_root, PRETRAIN).train_dataloader.dataset.pipeline
    cfg = resolved(repo_root, f'{BOXES}{name}.py')
    pipeline = cfg.train_dataloader.dataset.pipeline
    check_edit(base, pipeline, {'GenerateRegionBoxes': BOX_CASES[name]})
    assert cfg.train_pipeline == pipeline


@pytest.mark.parametrize('dataset', ['ava22', 'ava-kinetics'])
def test_s256_dataset_bases_rescale_and_crop(repo_root, dataset):
    root = 'configs/_base_/datasets/'
    base = resolved(repo_root, f'{root}{dataset}_rawframes-32x2x1.py')
    cfg = resolved(repo_root, f'{root}{dataset}_rawframes-32x2x1-s256.py')
    check_edit(
        base.train_pipeline, cfg.train_dataloader.dataset.pipeline, {
            'RandomRescale': dict(
                type='RandomRescale', scale_range=(256, 320)),
            'RandomCrop': dict(type='RandomCrop', size=256)
        })
    for loader in ('val_dataloader', 'test_dataloader'):
        check_edit(base.val_pipeline, cfg[loader].dataset.pipeline,
                   {'Resize': dict(type='Resize', scale=(-1, 256))})


def test_demo_config_turns_off_photometric_steps(repo_root):
    base = resolved(repo_root, PRETRAIN).train_dataloader.dataset.pipeline
    cfg = resolved(repo_root,
                   'configs/constcl/constcl_r3d50y_1xb4-16x2x2-100it_demo.py')
    check_edit(
        base, cfg.train_dataloader.dataset.pipeline, {
            'MultiViewRandomResizedCrop':
            dict(
                type='MultiViewRandomResizedCrop',
                scale=64,
                area_range=(0.3, 1.0),
                aspect_ratio_range=(0.5, 2.0)),
            'MultiViewColorJitter':
            dict(type='MultiViewColorJitter', prob=0.0, strength=1.0),
            'MultiViewGrayscale':
            dict(type='MultiViewGrayscale', prob=0.0),
            'MultiViewGaussianBlur':
            dict(
                type='MultiViewGaussianBlur',
                prob=(0.0, 0.0),
                kernel_size=7,
                sigma_range=(0.1, 2.0)),
            'MultiViewSolarize':
            dict(type='MultiViewSolarize', prob=(0.0, 0.0), threshold=0.5),
        })
    assert '_demo_steps' not in cfg


def test_siamfc_leaves_inherit_the_model_base(repo_root):
    model = resolved(repo_root, 'configs/_base_/models/siamfc_r3d50y.py').model
    leaves = 'configs/tracking/siamfc/siamfc_r3d50y-{}_1xb8-5x1x1-50e_' \
        'got10k-otb100.py'
    frozen = resolved(repo_root, leaves.format('local-frozen')).model
    assert frozen == model
    glob_ = resolved(repo_root, leaves.format('global-frozen')).model
    assert glob_.backbone.branches == ('global', )
    assert glob_.backbone.out_indices == (3, )
    assert glob_.head == model.head and glob_.test_cfg == model.test_cfg
    tuned = resolved(repo_root, leaves.format('local-finetune')).model
    assert tuned.backbone.frozen_stages == -1 and tuned.backbone.with_cp
