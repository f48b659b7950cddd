# Copyright (c) constcl_mm authors. All rights reserved.
"""``--pipeline-set`` (pipeline edits by transform type), the box source /
region-loss masking rule and the LR / global-batch warning, on the real
configs."""
import glob
import os.path as osp

import pytest
from helpers.paths import REPO_ROOT
from mmengine.config import Config

from constcl_mm.utils.cluster_recipe import CLUSTER_CONFIGS, cluster_config
from constcl_mm.utils.pipeline_edit import (apply_pipeline_sets,
                                            parse_pipeline_set)
from constcl_mm.utils.run_checks import (lr_batch_message,
                                         resolve_region_box_settings)

PRETRAIN = osp.join(REPO_ROOT, 'configs', 'constcl', 'pretrain.py')
ABLATIONS = osp.join(REPO_ROOT, 'configs', 'constcl', 'ablations')
LINEAR = glob.glob(
    osp.join(REPO_ROOT, 'configs', 'recognition', 'linear_probe',
             '*ucf101-split1*'))[0]


def test_pipeline_set_by_type_in_every_stage():
    cfg = Config.fromfile(LINEAR)
    changes = apply_pipeline_sets(cfg, [
        'CenterCrop.crop_size=64', 'test:ThreeCrop.crop_size=(72)',
        'train:Resize.scale=(64, 64)'
    ])
    assert cfg.val_dataloader.dataset.pipeline[4].crop_size == 64
    assert cfg.test_dataloader.dataset.pipeline[4].crop_size == 72
    assert cfg.train_dataloader.dataset.pipeline[4].scale == (64, 64)
    # the val/test Resize keeps its short side (train: only)
    assert cfg.val_dataloader.dataset.pipeline[3].scale == (-1, 256)
    assert 'val_dataloader.dataset.pipeline.4.crop_size=64' in changes


def test_pipeline_set_values_and_errors():
    assert parse_pipeline_set('GenerateRegionBoxes.box_type=slic') == (
        None, 'GenerateRegionBoxes', 'box_type', 'slic')
    assert parse_pipeline_set("train:X.prob=(0.5, 0.1)")[3] == (0.5, 0.1)
    with pytest.raises(ValueError, match=r'TransformType\.key=value'):
        parse_pipeline_set('scale=64')
    with pytest.raises(ValueError, match="unknown stage 'eval'"):
        parse_pipeline_set('eval:Resize.scale=1')
    cfg = Config.fromfile(PRETRAIN)
    with pytest.raises(
            ValueError,
            match=r"no RandomResizedCrop step .*"
            r"'MultiViewRandomResizedCrop'"):
        apply_pipeline_sets(cfg, ['RandomResizedCrop.scale=64'])


def _box_cfg(box_type, mask=None):
    cfg = Config.fromfile(PRETRAIN)
    apply_pipeline_sets(cfg, [f'GenerateRegionBoxes.box_type={box_type}'])
    if mask is not None:
        cfg.model.local_head.mask_invalid_targets = mask
    return cfg


@pytest.mark.parametrize('box_type', ['slic', 'felzenszwalb', 'proposals'])
def test_padding_box_sources_mask_the_region_loss(box_type):
    cfg = _box_cfg(box_type)
    assert 'mask_invalid_targets' not in cfg.model.local_head
    message = resolve_region_box_settings(cfg)
    assert cfg.model.local_head.mask_invalid_targets is True
    assert 'model.local_head.mask_invalid_targets=True (derived' in message
    with pytest.raises(ValueError) as err:
        resolve_region_box_settings(_box_cfg(box_type, mask=False))
    text = str(err.value)
    assert ('train_dataloader.dataset.pipeline.5.box_type='
            f"'{box_type}'") in text
    assert 'model.local_head.mask_invalid_targets=False' in text


def test_random_boxes_and_the_ablation_configs_are_left_alone():
    cfg = _box_cfg('random')
    assert resolve_region_box_settings(cfg) is None
    assert 'mask_invalid_targets' not in cfg.model.local_head
    for name in ('slic', 'felzenszwalb', 'proposals'):
        path, = glob.glob(osp.join(ABLATIONS, f'*_boxes-{name}.py'))
        cfg = Config.fromfile(path)
        assert resolve_region_box_settings(cfg) is None  # set there
        assert cfg.model.local_head.mask_invalid_targets is True


def test_lr_batch_warning_gives_the_scaled_lr_and_the_cluster_config():
    cfg = Config.fromfile(PRETRAIN)
    cfg.train_dataloader.batch_size = 2
    message = lr_batch_message(cfg, world_size=1)
    assert 'optim_wrapper.optimizer.lr=40.96 is set for a global batch of ' \
        '1024' in message
    assert 'this run has 2 (1 process(es) x train_dataloader.batch_size=2)' \
        in message
    assert 'Add --auto-scale-lr (LR 0.08)' in message
    assert 'cluster_recipe.py --gpus 1' in message
    cfg.train_dataloader.batch_size = 8
    message = lr_batch_message(cfg, world_size=8)
    assert '(LR 2.56)' in message
    assert CLUSTER_CONFIGS[8] + ' with --amp' in message
    # the recipe's own batch, or --auto-scale-lr: no warning
    assert lr_batch_message(cfg, world_size=128) is None
    cfg.auto_scale_lr.enable = True
    assert lr_batch_message(cfg, world_size=8) is None


def test_cluster_configs_exist_and_match_their_gpu_count():
    for gpus, path in CLUSTER_CONFIGS.items():
        assert osp.isfile(osp.join(REPO_ROOT, path)), path
        cfg = Config.fromfile(osp.join(REPO_ROOT, path))
        assert cfg.train_dataloader.batch_size * gpus == \
            cfg.auto_scale_lr.base_batch_size
    assert cluster_config(3) is None
    assert cluster_config(64) == CLUSTER_CONFIGS[64]
