# Copyright (c) constcl_mm authors. All rights reserved.
"""``--smoke``: any constcl_mm config shrunk to a run of seconds on a CPU.

``python tools/train.py CONFIG --smoke`` (and ``tools/test.py``) keep the
config's model, pipeline and schedule types and shrink their sizes
consistently, so that a new setup (data paths, a changed config) is checked
end to end in under a minute before the real run:

* frames: every ``clip_len`` above 8 becomes 8 (ConST-CL: enough for the
  neck's context memory, 10 for context 5), ``num_clips`` 1;
* crop: the spatial sizes of the pipeline steps (random-resized crops,
  ``Resize``, centre / three crops, AVA's rescale and crop) are scaled by
  64 / 224; the blur kernel follows the crop (the official rule
  ``2 (size // 20) + 1``); SiamFC pairs become 31 / 63 px with the
  tracker's test sizes and response size to match;
* batch: 2 per process for training (ConST-CL needs 2 videos for its
  negatives), 1 for testing; no dataloader workers;
* length: 2 training iterations (iteration-based loops) or 1 epoch of 2
  batches (epoch-based: the training set is cut to its first samples with
  mmengine's ``indices``); val/test sets cut to 2 samples;
* schedule: a ``WarmupCosineLR`` warmup becomes half of the run, the
  ``begin``/``end`` of other schedulers are scaled to the shorter run, and
  ``--auto-scale-lr`` is switched on (the LR follows the small batch);
* logging and checkpoints every iteration / at the end.

Settings given with ``--cfg-options`` or ``--pipeline-set`` are applied
after ``--smoke`` and win.
"""
import math
from typing import List

from mmengine.logging import print_log

from .pipeline_edit import iter_pipelines

SMOKE_ITERS = 2
SMOKE_FRAMES = 8
SMOKE_CROP = 64
#: the crop the paper configs are written for (sizes scale by CROP / REF)
REF_CROP = 224
SMOKE_BATCH = 2
SMOKE_EVAL_SAMPLES = 2
#: SiamFC exemplar / search crops of a smoke run
SMOKE_SIAMFC = (31, 63)


def _scaled(size, factor: float):
    if isinstance(size, (list, tuple)):
        return type(size)(_scaled(s, factor) for s in size)
    if isinstance(size, (int, float)) and size > 0:
        return max(8, int(round(size * factor)))
    return size  # -1 (keep the aspect ratio) and the like


def _shrink_step(step: dict, factor: float, crop: int, frames: int) -> None:
    name = str(step.get('type', '')).rsplit('.', 1)[-1]
    if isinstance(step.get('clip_len'), int) and step['clip_len'] > frames:
        step['clip_len'] = frames
    if isinstance(step.get('num_clips'), int) and step['num_clips'] > 1:
        step['num_clips'] = 1
    if name == 'MultiViewRandomResizedCrop':
        step['scale'] = _scaled(step.get('scale', REF_CROP), factor)
    elif name in ('Resize', 'RandomRescale'):
        key = 'scale' if name == 'Resize' else 'scale_range'
        if key in step:
            step[key] = _scaled(step[key], factor)
    elif name in ('CenterCrop', 'ThreeCrop', 'TenCrop'):
        step['crop_size'] = _scaled(step.get('crop_size', REF_CROP), factor)
    elif name == 'RandomCrop':
        step['size'] = _scaled(step['size'], factor)
    elif name == 'MultiScaleCrop':
        step['input_size'] = _scaled(step['input_size'], factor)
    elif name == 'MultiViewGaussianBlur':
        step['kernel_size'] = 2 * (crop // 10 // 2) + 1
    elif name == 'SiamFCPairCrop':
        step['exemplar_size'], step['search_size'] = SMOKE_SIAMFC


def _is_base_dataset(dataset: dict) -> bool:
    """Whether the dataset type takes mmengine's ``indices`` argument."""
    from mmaction.registry import DATASETS
    from mmengine.dataset import BaseDataset
    try:
        cls = DATASETS.get(dataset.get('type'))
    except Exception:  # a type of another scope: leave it alone
        return False
    return isinstance(cls, type) and issubclass(cls, BaseDataset)


def _shrink_loaders(cfg, iters: int) -> None:
    for stage in ('train', 'val', 'test'):
        loader = cfg.get(f'{stage}_dataloader', None)
        if not isinstance(loader, dict):
            continue
        batch = min(
            loader.get('batch_size', 1),
            SMOKE_BATCH if stage == 'train' else 1)
        loader.update(batch_size=batch, num_workers=0)
        loader['persistent_workers'] = False
        dataset = loader.get('dataset', None)
        if isinstance(dataset, dict) and _is_base_dataset(dataset):
            dataset['indices'] = SMOKE_BATCH * iters if stage == 'train' \
                else SMOKE_EVAL_SAMPLES
            if 'pairs_per_seq' in dataset:
                dataset['pairs_per_seq'] = 1


def _shrink_loop(cfg, iters: int) -> float:
    """Shortens the training loop; returns new length / old length."""
    loop = cfg.get('train_cfg', None)
    if not isinstance(loop, dict):
        return 1.0
    if 'max_iters' in loop:
        ratio = iters / float(loop['max_iters'])
        loop.update(max_iters=iters, val_interval=iters)
    elif 'max_epochs' in loop:
        ratio = 1.0 / float(loop['max_epochs'])
        loop.update(max_epochs=1, val_interval=1)
        if 'val_begin' in loop:
            loop['val_begin'] = 1
    else:
        return 1.0
    return min(ratio, 1.0)


def _shrink_schedule(cfg, ratio: float) -> None:
    scheds = cfg.get('param_scheduler', None)
    if scheds is None:
        return
    for sched in scheds if isinstance(scheds, list) else [scheds]:
        if str(sched.get('type', '')).endswith('WarmupCosineLR'):
            sched['warmup'] = dict(ratio=0.5)
            continue
        if 'end' in sched and sched['end'] is not None:
            begin = int(math.floor(sched.get('begin', 0) * ratio))
            sched['begin'] = begin
            sched['end'] = max(begin + 1, int(math.ceil(sched['end'] * ratio)))
            if 'T_max' in sched:
                sched['T_max'] = sched['end'] - begin


def _shrink_model(cfg) -> None:
    """SiamFC test sizes to match the smoke pair crops."""
    model = cfg.get('model', None)
    if not isinstance(model, dict) or \
            not str(model.get('type', '')).endswith('SiamFC'):
        return
    test_cfg = model.setdefault('test_cfg', {})
    test_cfg['exemplar_size'], test_cfg['search_size'] = SMOKE_SIAMFC
    test_cfg['response_size'] = None  # computed from the backbone's stride


def _frames_for_context(cfg) -> int:
    """Frames a ConST-CL clip needs for the neck's context memory (one
    feature frame per ``conv1_stride_t`` input frames)."""
    model = cfg.get('model', None) or {}
    neck = model.get('neck', None) or {}
    context = neck.get('context_length', 0) if isinstance(neck, dict) else 0
    stride = (model.get('backbone', None) or {}).get('conv1_stride_t', 2)
    return int(context or 0) * int(stride)


def apply_smoke(cfg,
                iters: int = SMOKE_ITERS,
                crop: int = SMOKE_CROP,
                frames: int = SMOKE_FRAMES) -> List[str]:
    """Shrinks ``cfg`` in place to a smoke run (see the module docstring).

    Args:
        cfg (Config): The full config.
        iters (int): Training iterations (epoch loops: batches per epoch).
        crop (int): The crop the config's 224 px become.
        frames (int): The longest clip.

    Returns:
        list[str]: What was changed, for the log.
    """
    factor = crop / float(REF_CROP)
    frames = max(frames, _frames_for_context(cfg))
    for _, _, pipeline in iter_pipelines(cfg):
        for step in pipeline:
            _shrink_step(step, factor, crop, frames)
    _shrink_loaders(cfg, iters)
    _shrink_schedule(cfg, _shrink_loop(cfg, iters))
    _shrink_model(cfg)
    if 'auto_scale_lr' in cfg:
        cfg.auto_scale_lr['enable'] = True
    hooks = cfg.get('default_hooks', None)
    if isinstance(hooks, dict):
        if isinstance(hooks.get('logger'), dict):
            hooks.logger['interval'] = 1
        if isinstance(hooks.get('checkpoint'), dict):
            by_epoch = hooks.checkpoint.get('by_epoch', True)
            hooks.checkpoint['interval'] = 1 if by_epoch else iters
    if isinstance(cfg.get('log_processor'), dict):
        cfg.log_processor['window_size'] = 1
    summary = [
        f'clips <= {frames} frames', f'crops x{factor:.2f} ({crop} px)',
        f'batch <= {SMOKE_BATCH}', f'{iters} iterations' if 'max_iters'
        in (cfg.get('train_cfg') or {}) else f'1 epoch of {iters} batches',
        'warmup = half the run', 'LR scaled to the batch'
    ]
    print_log('--smoke: ' + ', '.join(summary), logger='current')
    return summary
