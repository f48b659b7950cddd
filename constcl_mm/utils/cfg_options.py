# Copyright (c) constcl_mm authors. All rights reserved.
"""``--cfg-options KEY=VALUE``: parsed safely, checked against the config.

mmengine 0.10.7's ``DictAction`` splits ``[dict(type='A'),dict(type='B')]``
into the strings ``"dict(type='A')"`` and ``"dict(type='B')"``, keeps a
misspelt top-level key (``train_dataloder.batch_size=2``) as a new, unread
setting, and passes ``train_cfg.max_iters=abc`` on as the string ``'abc'``
to fail deep inside the runner. Here

* :func:`parse_option_value` reads bracketed values and ``dict(...)`` calls
  as Python literals with :mod:`ast` (literals and ``dict(k=v)`` calls only,
  nothing is evaluated), and everything else as mmengine does;
* :func:`merge_cfg_options` refuses a top-level key the config and the
  runner do not know (with the closest valid key) and a value whose type
  does not fit the setting it replaces (naming the key, the value and the
  expected type), then merges;
* :func:`warn_misspelt_config_keys` warns about top-level keys of a config
  file that look like a misspelt runner setting.

``tools/train.py`` and ``tools/test.py`` use :class:`CfgOptionsAction` and
:func:`merge_cfg_options`.
"""
import argparse
import ast
import difflib
import logging
from numbers import Number
from typing import Any, Dict, List, Optional, Sequence

from mmengine.config import Config, DictAction
from mmengine.logging import print_log

#: Top-level settings read by mmengine's ``Runner`` (``from_cfg`` and
#: ``__init__``) and by constcl_mm's tools, valid even when a config leaves
#: them out.
RUNNER_KEYS = ('model', 'work_dir', 'train_dataloader', 'val_dataloader',
               'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg',
               'auto_scale_lr', 'optim_wrapper', 'param_scheduler',
               'val_evaluator', 'test_evaluator', 'default_hooks',
               'custom_hooks', 'data_preprocessor', 'load_from', 'resume',
               'launcher', 'env_cfg', 'log_processor', 'log_level',
               'visualizer', 'default_scope', 'randomness', 'experiment_name',
               'model_wrapper_cfg', 'sync_bn', 'find_unused_parameters',
               'compile', 'activation_checkpointing', 'efficient_conv_bn_eval',
               'runner_type', 'custom_imports')
#: difflib similarity above which a config-file key not read by the runner
#: is taken for a misspelt runner setting (the helper variables of every
#: config in configs/ score below 0.65).
MISSPELLING_CUTOFF = 0.8
_MISSING = object()


class CfgOptionError(ValueError):
    """A ``--cfg-options`` entry that cannot be applied as given."""


def _literal(node: ast.AST) -> Any:
    """The value of a literal expression; ``dict(k=v)`` calls included."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [_literal(e) for e in node.elts]
        return {
            ast.List: list,
            ast.Tuple: tuple,
            ast.Set: set
        }[type(node)](
            items)
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise ValueError('`**` unpacking is not a literal')
        return {
            _literal(k): _literal(v)
            for k, v in zip(node.keys, node.values)
        }
    if isinstance(node, ast.UnaryOp) and isinstance(
            node.op, (ast.USub, ast.UAdd)) and isinstance(
                node.operand, ast.Constant) and isinstance(
                    node.operand.value, Number):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id == 'dict' and not node.args and \
            all(kw.arg is not None for kw in node.keywords):
        return {kw.arg: _literal(kw.value) for kw in node.keywords}
    raise ValueError(f'{ast.dump(node)[:60]} is not a literal')


def _looks_structured(text: str) -> bool:
    return text[:1] in '[({' or text.startswith('dict(')


def parse_option_value(text: str) -> Any:
    """One ``--cfg-options`` value, as the config should receive it.

    Bracketed values and ``dict(...)`` calls are read as Python literals
    (``[dict(type='LocalVisBackend')]`` is a list holding a dict), without
    evaluating anything; values that are not literals (``[a,b]``,
    ``1,2,3``, ``abc``, ``true``) are parsed as mmengine's ``DictAction``
    does.

    Raises:
        CfgOptionError: A ``dict(...)`` that is not a literal (an unquoted
            string inside, a function call, ...).
    """
    stripped = text.strip()
    if _looks_structured(stripped):
        try:
            return _literal(ast.parse(stripped, mode='eval').body)
        except (SyntaxError, ValueError) as error:
            if 'dict(' in stripped or '{' in stripped:
                raise CfgOptionError(
                    f'cannot read {text!r} as a literal ({error}): quote '
                    "strings inside dicts, e.g. dict(type='LocalVisBackend')"
                ) from None
    return DictAction._parse_iterable(text)


class CfgOptionsAction(argparse.Action):
    """``--cfg-options KEY=VALUE ...`` into a dict, values parsed by
    :func:`parse_option_value` (a drop-in for mmengine's ``DictAction``)."""

    def __call__(self,
                 parser: argparse.ArgumentParser,
                 namespace: argparse.Namespace,
                 values: Optional[Sequence[str]],
                 option_string: Optional[str] = None) -> None:
        options = dict(getattr(namespace, self.dest, None) or {})
        for item in values or ():
            if '=' not in item:
                parser.error(f'{option_string} expects KEY=VALUE, got '
                             f'{item!r}')
            key, value = item.split('=', 1)
            try:
                options[key] = parse_option_value(value)
            except CfgOptionError as error:
                parser.error(f'{option_string} {key}: {error}')
        setattr(namespace, self.dest, options)


def _closest(key: str, candidates: Sequence[str]) -> str:
    match = difflib.get_close_matches(key, candidates, n=1, cutoff=0.5)
    return f'; did you mean {match[0]!r}?' if match else ''


def _lookup(cfg: Any, parts: List[str]) -> Any:
    """The config value at ``parts`` (list positions as digits), or
    ``_MISSING``."""
    node = cfg
    for part in parts:
        if isinstance(node, (list, tuple)) and part.isdigit() and \
                int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, (dict, Config)) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return 'a bool (True/False)'
    if isinstance(value, Number):
        return 'a number'
    if isinstance(value, (list, tuple)) and value and \
            all(isinstance(v, dict) for v in value):
        return 'a list of dicts, e.g. [dict(type=...), ...]'
    return f'a {type(value).__name__}'


def _type_mismatch(old: Any, new: Any) -> bool:
    """True when ``new`` cannot stand in for the configured ``old``."""
    if old is None or new is None or old is _MISSING:
        return False
    if isinstance(old, bool):
        return not isinstance(new, bool)
    if isinstance(old, Number):
        return isinstance(new, bool) or not isinstance(new, Number)
    if isinstance(old, (list, tuple)) and old and \
            all(isinstance(v, dict) for v in old):
        return not (isinstance(new, (list, tuple))
                    and all(isinstance(v, dict) for v in new))
    return False


def check_cfg_options(cfg: Config, options: Dict[str, Any]) -> None:
    """Refuses options the config cannot take (see the module docstring).

    Raises:
        CfgOptionError: Naming the key, the value and the fix.
    """
    valid = sorted(set(cfg.keys()) | set(RUNNER_KEYS))
    for key, value in options.items():
        parts = key.split('.')
        if parts[0] not in valid:
            raise CfgOptionError(
                f'--cfg-options {key}={value!r}: {parts[0]!r} is not a '
                f'setting of {cfg.filename or "the config"} nor of the '
                f'runner{_closest(parts[0], valid)}')
        old = _lookup(cfg, parts)
        if _type_mismatch(old, value):
            raise CfgOptionError(
                f'--cfg-options {key}={value!r}: {key} expects '
                f'{_type_name(old)} (the config has {old!r}), got '
                f'{_type_name(value)}')
        if old is _MISSING and len(parts) > 1:
            parent = _lookup(cfg, parts[:-1])
            if isinstance(parent, dict) and len(parent):
                hint = _closest(parts[-1], [str(k) for k in parent])
                if hint:
                    print_log(
                        f'--cfg-options {key}: {parts[-1]!r} is a new key of '
                        f'{".".join(parts[:-1])}{hint}',
                        logger='current',
                        level=logging.WARNING)
        if parts[0] not in RUNNER_KEYS:
            print_log(
                f'--cfg-options {key}: {parts[0]!r} is a variable of the '
                'config file, not a runner setting; the settings computed '
                'from it when the file was read keep their values (set the '
                'settings themselves, e.g. train_cfg.max_iters)',
                logger='current',
                level=logging.WARNING)


OptionsDict = Optional[Dict[str, Any]]


def merge_cfg_options(cfg: Config, options: OptionsDict) -> Config:
    """Checks ``options`` (:func:`check_cfg_options`) and merges them into
    ``cfg`` (list positions allowed, as ``Config.merge_from_dict``). A
    whole float for an integer setting (``train_cfg.max_iters=2e5``) is
    merged as an int."""
    if options:
        check_cfg_options(cfg, options)
        options = dict(options)
        for key, value in options.items():
            old = _lookup(cfg, key.split('.'))
            if isinstance(old, int) and not isinstance(old, bool) and \
                    isinstance(value, float) and value.is_integer():
                options[key] = int(value)
        cfg.merge_from_dict(options)
    return cfg


def warn_misspelt_config_keys(cfg: Config) -> List[str]:
    """Warns about top-level keys of a config file that look like a
    misspelt runner setting (``train_dataloder``); returns the messages.

    Helper variables (``data_root``, ``clip_len``, ...) are not runner
    settings either, but are far from every runner key and pass quietly.
    """
    messages = []
    for key in cfg.keys():
        if key in RUNNER_KEYS:
            continue
        match = difflib.get_close_matches(
            key, RUNNER_KEYS, n=1, cutoff=MISSPELLING_CUTOFF)
        if match:
            messages.append(
                f'{cfg.filename or "config"}: top-level key {key!r} is not '
                f'read by the runner; did you mean {match[0]!r}?')
    for message in messages:
        print_log(message, logger='current', level=logging.WARNING)
    return messages
