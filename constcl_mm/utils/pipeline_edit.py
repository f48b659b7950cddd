# Copyright (c) constcl_mm authors. All rights reserved.
"""Edits of data pipelines by transform type instead of list position.

``--cfg-options train_dataloader.dataset.pipeline.3.scale=64`` needs the
index of the step, which differs between configs and moves when a step is
added. ``--pipeline-set MultiViewRandomResizedCrop.scale=64`` names the
transform instead: every step of that type in every dataloader's pipeline
(or only the ``train`` / ``val`` / ``test`` one with a ``train:`` prefix)
gets the value::

    python tools/train.py configs/constcl/pretrain.py \\
        --pipeline-set MultiViewRandomResizedCrop.scale=64 \\
        'GenerateRegionBoxes.box_type=slic' GenerateRegionBoxes.num_boxes=16

Values are Python literals (``64``, ``(0.3, 1.0)``, ``True``, ``'slic'``);
anything else is kept as a string (``slic``).
"""
import ast
import re
from typing import Any, Iterator, List, Optional, Sequence, Tuple

STAGES = ('train', 'val', 'test')
_ITEM = re.compile(r'^(?:(?P<stage>\w+):)?(?P<type>[\w.]+?)\.(?P<key>\w+)='
                   r'(?P<value>.*)$')


def _dataset_pipelines(dataset: Any, where: str) -> Iterator[Tuple[str, list]]:
    """``(path, pipeline)`` of a dataset config and of the datasets it wraps
    (``dataset=``, ``datasets=[...]``)."""
    if not isinstance(dataset, dict):
        return
    pipeline = dataset.get('pipeline', None)
    if isinstance(pipeline, list):
        yield f'{where}.pipeline', pipeline
    inner = dataset.get('dataset', None)
    if inner is not None:
        yield from _dataset_pipelines(inner, f'{where}.dataset')
    for i, sub in enumerate(dataset.get('datasets', None) or ()):
        yield from _dataset_pipelines(sub, f'{where}.datasets.{i}')


def iter_pipelines(
        cfg,
        stages: Sequence[str] = STAGES) -> Iterator[Tuple[str, str, list]]:
    """Every dataloader pipeline of ``cfg``.

    Yields:
        tuple: ``(stage, path, pipeline)``, e.g. ``('train',
        'train_dataloader.dataset.pipeline', [...])``; the pipeline is the
        config's own list (edit it in place).
    """
    for stage in stages:
        loader = cfg.get(f'{stage}_dataloader', None)
        if isinstance(loader, dict):
            for path, pipeline in _dataset_pipelines(
                    loader.get('dataset', None),
                    f'{stage}_dataloader.dataset'):
                yield stage, path, pipeline


def steps_of_type(cfg,
                  type_name: str,
                  stages: Sequence[str] = STAGES) -> List[Tuple[str, dict]]:
    """``(path, step)`` of every pipeline step whose ``type`` is
    ``type_name`` (a scope prefix such as ``mmaction.`` is ignored)."""
    found = []
    for _, path, pipeline in iter_pipelines(cfg, stages):
        for i, step in enumerate(pipeline):
            name = str(step.get('type', '')).rsplit('.', 1)[-1]
            if name == type_name.rsplit('.', 1)[-1]:
                found.append((f'{path}.{i}', step))
    return found


def parse_value(text: str) -> Any:
    """A Python literal, else the text itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_pipeline_set(item: str) -> Tuple[Optional[str], str, str, Any]:
    """Splits ``[stage:]Type.key=value``.

    Raises:
        ValueError: not of that form, or an unknown stage.
    """
    match = _ITEM.match(item)
    if match is None:
        raise ValueError(
            f'--pipeline-set {item!r}: expected [train:|val:|test:]'
            'TransformType.key=value, e.g. '
            'MultiViewRandomResizedCrop.scale=64')
    stage = match.group('stage')
    if stage is not None and stage not in STAGES:
        raise ValueError(f'--pipeline-set {item!r}: unknown stage {stage!r}; '
                         f'choose one of {STAGES}')
    return (stage, match.group('type'), match.group('key'),
            parse_value(match.group('value')))


def apply_pipeline_sets(cfg, items: Sequence[str]) -> List[str]:
    """Applies ``--pipeline-set`` items to ``cfg`` in place.

    Args:
        cfg (Config): The config.
        items (Sequence[str]): ``[stage:]Type.key=value`` each.

    Returns:
        list[str]: ``path.key=value`` of every change (for the log).

    Raises:
        ValueError: an item names a transform that no (selected) pipeline
            has, listing the transforms that are there.
    """
    changes = []
    for item in items:
        stage, type_name, key, value = parse_pipeline_set(item)
        stages = STAGES if stage is None else (stage, )
        found = steps_of_type(cfg, type_name, stages)
        if not found:
            present = sorted({
                str(s.get('type'))
                for _, _, p in iter_pipelines(cfg, stages)
                for s in p
            })
            where = 'any pipeline' if stage is None else f'the {stage} ' \
                'pipeline'
            raise ValueError(
                f'--pipeline-set {item!r}: no {type_name} step in {where} of '
                f'the config; its steps are {present}')
        for path, step in found:
            step[key] = value
            changes.append(f'{path}.{key}={value!r}')
    return changes
