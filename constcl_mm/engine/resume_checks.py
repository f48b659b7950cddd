# Copyright (c) constcl_mm authors. All rights reserved.
"""``--resume`` refuses checkpoints that cannot continue this run.

mmengine 0.10.7's ``Runner.resume`` loads whatever file it is given with
``strict=False``: a plain state dict fails with ``KeyError: 'meta'``, and a
checkpoint of another model (a CVRL run resumed into ConST-CL) loads part of
the weights, then fails on the optimizer's parameter groups. The checks below
run on the loaded checkpoint before any weight is copied and raise
:class:`ResumeError` naming the file and what is wrong. Also refused: a
checkpoint of another optimizer type (torch would load an AdamW state into
SGD and fail at the first step with ``KeyError: 'momentum'``), and a resume
that leaves nothing to train (the checkpoint's iteration or epoch at or past
the loop's ``max_iters``/``max_epochs``), which mmengine ends at once with
exit code 0 and no word.
"""
import ast
import re
import threading
from typing import Any, Dict, Iterable, Optional

import torch.nn as nn

RUNNER_KEYS = ('meta', 'state_dict', 'message_hub')
_SHOWN = 5
_state = threading.local()


class ResumeError(ValueError):
    """A checkpoint cannot be resumed into the configured run."""


def _model_type(checkpoint: Dict[str, Any]) -> str:
    cfg = checkpoint.get('meta', {}).get('cfg', '')
    found = re.search(r"model\s*=\s*dict\(\s*type\s*=\s*'([^']+)'", cfg) \
        if isinstance(cfg, str) else None
    return found.group(1) if found else 'unknown'


def _sample(names: Iterable[str]) -> str:
    names = sorted(names)
    more = f' (+{len(names) - _SHOWN} more)' if len(names) > _SHOWN else ''
    return ', '.join(names[:_SHOWN]) + more


def check_resumable(checkpoint: Any, model: nn.Module, filename: str) -> None:
    """Raises :class:`ResumeError` unless ``checkpoint`` resumes ``model``.

    Args:
        checkpoint: What ``torch.load`` returned for ``filename``.
        model (nn.Module): The run's model (unwrapped).
        filename (str): The checkpoint's path, for the message.
    """
    if not isinstance(checkpoint, dict) or not all(k in checkpoint
                                                   for k in RUNNER_KEYS):
        keys = sorted(checkpoint)[:_SHOWN] if isinstance(
            checkpoint, dict) else type(checkpoint).__name__
        raise ResumeError(
            f'--resume {filename}: not a runner checkpoint (it has no '
            f'{"/".join(k for k in RUNNER_KEYS if not isinstance(checkpoint, dict) or k not in checkpoint)}'  # noqa: E501
            f'; top level: {keys}). A checkpoint holding only weights '
            'starts a new run with `load_from=...` (or the model\'s '
            '`init_cfg`/`pretrained`) instead of `--resume`.')
    meta = checkpoint['meta']
    if not isinstance(meta, dict) or 'iter' not in meta or \
            'epoch' not in meta:
        raise ResumeError(
            f'--resume {filename}: meta has no iter/epoch, so the loop '
            'position cannot be restored.')
    state = {re.sub(r'^module\.', '', k) for k in checkpoint['state_dict']}
    expected = set(model.state_dict())
    missing, unexpected = expected - state, state - expected
    if missing or unexpected:
        raise ResumeError(
            f'--resume {filename}: the checkpoint is of another model '
            f'(saved by a {_model_type(checkpoint)!r} run; this run builds '
            f'{type(model).__name__!r}): {len(missing)} weights of this '
            f'model are absent ({_sample(missing) or "none"}) and '
            f'{len(unexpected)} are unknown to it '
            f'({_sample(unexpected) or "none"}). Resume a checkpoint of '
            'this config, or start from those weights with '
            '`load_from=...`.')


def _saved_optimizer_type(checkpoint: Dict[str, Any]) -> Optional[str]:
    """``optim_wrapper.optimizer.type`` of the config text saved in the
    checkpoint, read with :mod:`ast` (never executed)."""
    text = checkpoint.get('meta', {}).get('cfg')
    if not isinstance(text, str):
        return None
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None

    def keyword(call: ast.AST, name: str) -> Optional[ast.AST]:
        if isinstance(call, ast.Call):
            for kw in call.keywords:
                if kw.arg == name:
                    return kw.value
        return None

    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == 'optim_wrapper'
                for t in node.targets):
            kind = keyword(keyword(node.value, 'optimizer'), 'type')
            if isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                return kind.value.rsplit('.', 1)[-1]
    return None


def check_optimizer(checkpoint: Dict[str, Any], optim_wrapper: Any,
                    filename: str) -> None:
    """Raises :class:`ResumeError` when the checkpoint's optimizer state is
    of another optimizer type than the run's."""
    optimizer = getattr(optim_wrapper, 'optimizer', None)
    state = checkpoint.get('optimizer')
    if optimizer is None or not isinstance(state, dict) or \
            not state.get('param_groups'):
        return
    current = type(optimizer).__name__
    saved = _saved_optimizer_type(checkpoint)
    missing = sorted(
        set(optimizer.defaults) - set(state['param_groups'][0]) -
        {'foreach', 'maximize', 'capturable', 'differentiable', 'fused'})
    # a known type decides (torch fills in the settings that newer
    # releases add); without one, settings absent from the saved groups do
    if (saved == current) if saved is not None else not missing:
        return
    raise ResumeError(
        f'--resume {filename}: the checkpoint holds the state of '
        f'{saved or "another optimizer"!s} but this config trains with '
        f'{current}' + (f' (its settings {missing} are not in the saved state)'
                        if missing else '') +
        '. Resume with the optimizer of that run, or start a new run '
        'from its weights: --cfg-options load_from=' + filename +
        ' without --resume (iteration, optimizer state and LR schedule '
        'start afresh).')


def check_work_left(runner, filename: str) -> None:
    """Raises :class:`ResumeError` when the resumed loop position leaves
    nothing to train."""
    from mmengine.runner import EpochBasedTrainLoop
    loop = runner.train_loop
    if isinstance(loop, EpochBasedTrainLoop):
        done, total, key = loop.epoch, loop.max_epochs, 'max_epochs'
        unit = 'epoch'
    else:
        done, total, key = loop.iter, loop.max_iters, 'max_iters'
        unit = 'iteration'
    if done < total:
        return
    raise ResumeError(
        f'--resume {filename}: the checkpoint is at {unit} {done} and '
        f'train_cfg.{key}={total}: nothing is left to train. To train '
        f'further, set --cfg-options train_cfg.{key}=N with N > {done}; to '
        'evaluate the checkpoint, use tools/test.py.')


def _check_if_resuming(filename: Any, checkpoint: Any) -> None:
    runner = getattr(_state, 'runner', None)
    if runner is None or filename != getattr(_state, 'filename', None):
        return
    from mmengine.model import is_model_wrapper
    model = runner.model.module if is_model_wrapper(runner.model) \
        else runner.model
    check_resumable(checkpoint, model, str(filename))
    check_optimizer(checkpoint, runner.optim_wrapper, str(filename))


def install_resume_checks() -> None:
    """Makes ``Runner.resume`` check the checkpoint before loading it."""
    from mmengine.runner import runner as runner_module
    Runner = runner_module.Runner
    if getattr(Runner.resume, '_constcl_checked', False):
        return
    resume, load = Runner.resume, runner_module._load_checkpoint

    def checked_resume(self, filename, *args, **kwargs):
        _state.runner, _state.filename = self, filename
        try:
            result = resume(self, filename, *args, **kwargs)
        finally:
            _state.runner = _state.filename = None
        check_work_left(self, str(filename))
        return result

    def checked_load(filename, map_location=None, logger=None):
        checkpoint = load(filename, map_location=map_location, logger=logger)
        _check_if_resuming(filename, checkpoint)
        return checkpoint

    checked_resume._constcl_checked = True
    checked_resume.__doc__ = resume.__doc__
    Runner.resume = checked_resume
    runner_module._load_checkpoint = checked_load
