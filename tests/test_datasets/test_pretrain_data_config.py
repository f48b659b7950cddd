# Copyright (c) constcl_mm authors. All rights reserved.
"""The K400 pretraining data config loads, builds and runs on a real clip."""
import os.path as osp

import numpy as np
import torch
from helpers.data import DEMO_MP4
from helpers.paths import REPO_ROOT, data_path
from mmaction.registry import DATASETS
from mmengine.config import Config
from mmengine.dataset import Compose

CONFIG = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets',
                  'kinetics400_constcl_pretrain.py')


def test_config_is_the_paper_recipe():
    cfg = Config.fromfile(CONFIG)
    loader = cfg.train_dataloader
    assert loader.batch_size == 8 and loader.num_workers == 8
    assert loader.persistent_workers is True
    assert loader.collate_fn == dict(type='pseudo_collate')
    assert loader.dataset.type == 'TwoViewVideoDataset'
    assert loader.dataset.ann_file.startswith('data/kinetics400/')
    steps = {t['type']: t for t in loader.dataset.pipeline}
    assert steps['CVRLSampleFrames']['clip_len'] == 16
    assert steps['CVRLSampleFrames']['frame_interval'] == 2
    assert steps['MultiViewRandomResizedCrop']['scale'] == 224
    assert steps['GenerateRegionBoxes']['box_type'] == 'random'
    assert steps['GenerateRegionBoxes']['num_boxes'] == 8
    assert steps['MultiViewGaussianBlur']['prob'] == (1.0, 0.1)
    assert steps['MultiViewSolarize']['prob'] == (0.0, 0.2)
    assert loader.dataset.pipeline[5]['type'] == 'GenerateRegionBoxes'


def test_config_pipeline_runs_on_a_real_clip(tmp_path):
    cfg = Config.fromfile(CONFIG)
    ann = tmp_path / 'k400.txt'
    ann.write_text(f'{osp.basename(data_path(*DEMO_MP4))} 0\n')
    # Same pipeline at a test resolution, SLIC boxes via the switch.
    cfg.merge_from_dict({
        'train_dataloader.dataset.ann_file':
        str(ann),
        'train_dataloader.dataset.data_prefix.video':
        osp.dirname(data_path(*DEMO_MP4)),
        'train_dataloader.dataset.pipeline.3.scale':
        48,
        'train_dataloader.dataset.pipeline.5.box_type':
        'slic',
        'train_dataloader.dataset.pipeline.5.num_boxes':
        16,
    })
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    np.random.seed(0)
    out = dataset[0]
    assert out['inputs'].shape == (2, 3, 16, 48, 48)
    assert out['inputs'].dtype == torch.uint8
    sample = out['data_samples']
    assert sample.boxes.shape == (2, 16, 4)
    assert sample.box_valid.dtype == torch.bool
    assert sample.clip_starts.dtype == torch.int64
    assert sample.metainfo['box_type'] == 'slic'
    assert sample.metainfo['num_boxes'] == 16
    # Stock (224) pipeline builds too.
    Compose(Config.fromfile(CONFIG).train_dataloader.dataset.pipeline)
