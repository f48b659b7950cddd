# Copyright (c) constcl_mm authors. All rights reserved.
"""Shared pieces of the recognition tests: configs, tiny settings,
checkpoints of each kind, and runs of tools/train.py / tools/test.py."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

import torch
from helpers.paths import REPO_ROOT, data_path
from mmengine.config import Config

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'recognition')
LINEAR_UCF101 = osp.join(
    CONFIG_DIR, 'linear_probe',
    'linear-probe_constcl-r3d50y_8xb32-32x2x1-100e_ucf101-split1-rgb.py')
LINEAR_K400 = osp.join(
    CONFIG_DIR, 'linear_probe',
    'linear-probe_constcl-r3d50y_8xb32-32x2x1-100e_kinetics400-rgb.py')
FINETUNE_HMDB51 = osp.join(
    CONFIG_DIR, 'finetune',
    'finetune_constcl-r3d50y_8xb8-32x2x1-50e_hmdb51-split1-rgb.py')
PRETRAIN_MODEL = osp.join(REPO_ROOT, 'configs', '_base_', 'models',
                          'constcl_r3d50y.py')
ALL_CONFIGS = sorted(glob.glob(osp.join(CONFIG_DIR, '*', '*.py')))

# Real clips with a made-up 2-class label file (labels only need to exist).
CLIPS = [
    ('mmaction2/demo/demo.mp4', 0),
    ('mmaction2/tests/data/rawvideo_dataset/part_0.mp4', 1),
    ('mmaction2/tests/data/test.mp4', 1),
    ('mmaction2/tests/data/test.avi', 0),
]


def write_label_file(path: str) -> str:
    for clip, _ in CLIPS:
        data_path(clip)  # fails clearly, naming the missing file
    with open(path, 'w') as f:
        f.writelines(f'{clip} {label}\n' for clip, label in CLIPS)
    return path


def save_pretrain_checkpoint(path: str) -> Dict[str, torch.Tensor]:
    """A ConST-CL pretraining-style checkpoint: the whole ConSTCL model
    (Y backbone with both res5 branches, neck, heads), as a runner saves it.

    Returns:
        dict: The saved state dict.
    """
    from mmaction.registry import MODELS
    model = MODELS.build(Config.fromfile(PRETRAIN_MODEL).model)
    state = model.state_dict()
    # Distinct random values everywhere (cheaper than init_weights), so a
    # tensor loaded from the wrong place cannot match by accident.
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for key, value in state.items():
            if key.endswith('num_batches_tracked'):
                value.fill_(1234)
            elif key.endswith('running_var'):
                value.uniform_(0.5, 2.0, generator=gen)
            elif value.is_floating_point():
                value.normal_(0, 0.02, generator=gen)
    torch.save({'state_dict': state, 'meta': {}}, path)
    return state


def _index(pipeline: Sequence[dict], type_name: str) -> int:
    for i, step in enumerate(pipeline):
        if step['type'] == type_name:
            return i
    raise KeyError(f'no {type_name} in the pipeline')


def tiny_options(
    cfg: Config,
    ann_file: str,
    num_classes: int = 2,
    stages: Sequence[str] = ('train', 'val', 'test')
) -> Dict[str, object]:
    """``--cfg-options`` that shrink a paper config to CPU-test size:
    4-frame clips, 32 px, 1 clip x 1 crop, 1 epoch, batch 2, workers 0.

    Pipeline steps are found by type, so the options follow the config."""
    opts: Dict[str, object] = {
        'model.cls_head.num_classes': num_classes,
        'train_cfg.max_epochs': 1,
        'default_hooks.logger.interval': 1,
    }
    sched = cfg.get('param_scheduler')
    if isinstance(sched, dict) and 'epochs' in (sched.get('warmup') or {}):
        # a warmup of several epochs is longer than a 1-epoch test run
        opts['param_scheduler.warmup.epochs'] = 0
    for stage in stages:
        key = f'{stage}_dataloader'
        loader = cfg[key]
        pipe = loader.dataset.pipeline
        opts[f'{key}.dataset.ann_file'] = ann_file
        opts[f'{key}.dataset.data_prefix.video'] = data_path()
        opts[f'{key}.num_workers'] = 0
        opts[f'{key}.persistent_workers'] = False
        opts[f'{key}.batch_size'] = 2 if stage != 'test' else 1
        sample = f'{key}.dataset.pipeline.{_index(pipe, "SampleFrames")}'
        opts[f'{sample}.clip_len'] = 4
        opts[f'{sample}.num_clips'] = 1
        resize = f'{key}.dataset.pipeline.{_index(pipe, "Resize")}'
        if stage == 'train':
            opts[f'{resize}.scale'] = (32, 32)
        else:
            opts[f'{resize}.scale'] = (-1, 40)
            crop_type = 'ThreeCrop' if stage == 'test' else 'CenterCrop'
            crop = f'{key}.dataset.pipeline.{_index(pipe, crop_type)}'
            opts[f'{crop}.type'] = 'CenterCrop'
            opts[f'{crop}.crop_size'] = 32
    return opts


def tiny_cfg(path: str, ann_file: str, **kwargs) -> Config:
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(tiny_options(cfg, ann_file, **kwargs))
    return cfg


def _format(value: object) -> str:
    if isinstance(value, tuple):
        return '(' + ','.join(str(v) for v in value) + ')'
    return str(value)


def run_tool(tool: str,
             args: List[str],
             options: Dict[str, object],
             timeout: int = 300) -> subprocess.CompletedProcess:
    """Runs tools/<tool>.py in a subprocess on one CPU thread."""
    cmd = [
        sys.executable,
        osp.join(REPO_ROOT, 'tools', f'{tool}.py'), *args, '--cfg-options',
        *(f'{k}={_format(v)}' for k, v in options.items())
    ]
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        MKL_NUM_THREADS='1',
        PYTHONWARNINGS='ignore')
    return subprocess.run(
        cmd,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout)


def read_test_metrics(work_dir: str) -> Optional[dict]:
    """The metrics json that tools/test.py writes in ``work_dir``."""
    found = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    found = [p for p in found if 'vis_data' not in p]
    if not found:
        return None
    with open(found[-1]) as f:
        return json.load(f)
