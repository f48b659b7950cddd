# Copyright (c) constcl_mm authors. All rights reserved.
"""The configs, tools and model index shipped inside the package.

As in the OpenMMLab codebases, ``setup.py`` places ``configs/``, ``tools/``
and ``model-index.yml`` under ``constcl_mm/.mim``: copies in a wheel or an
sdist, symbolic links to the checkout in an editable install. This module
finds them and makes the package known to mmengine's config parser, so that
``_base_ = 'constcl_mm::constcl/pretrain.py'`` resolves in any config once
``constcl_mm`` is imported (the constcl_mm tools import it before parsing).
"""
import os.path as osp
from typing import Optional

PACKAGE = 'constcl_mm'
_PKG_DIR = osp.dirname(osp.abspath(__file__))


def mim_root() -> str:
    """The folder holding ``configs/``, ``tools/`` and ``model-index.yml``.

    ``constcl_mm/.mim`` when it exists (wheel, sdist, editable install), else
    the checkout the package is imported from (a clone without install).

    Raises:
        FileNotFoundError: neither holds a ``configs`` folder.
    """
    for root in (osp.join(_PKG_DIR, '.mim'), osp.dirname(_PKG_DIR)):
        if osp.isdir(osp.join(root, 'configs')):
            return root
    raise FileNotFoundError(
        f'constcl_mm at {_PKG_DIR} ships no configs: neither '
        f'{osp.join(_PKG_DIR, ".mim", "configs")} nor a checkout around it '
        f'exists. Reinstall the package (pip install constcl_mm-*.whl, or '
        f'pip install -e <checkout>).')


def config_path(name: str) -> str:
    """Absolute path of a packaged config, e.g. ``'constcl/pretrain.py'``.

    Args:
        name (str): Path relative to ``configs/``, optionally prefixed with
            ``'constcl_mm::'``.

    Raises:
        FileNotFoundError: no such config, naming the configs folder.
    """
    name = name.split('::', 1)[1] if name.startswith(PACKAGE + '::') else name
    path = osp.join(mim_root(), 'configs', name)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'constcl_mm has no config {name!r} (looked in '
            f'{osp.join(mim_root(), "configs")})')
    return path


def tool_path(name: str) -> str:
    """Absolute path of a packaged tool, e.g. ``'train.py'`` or
    ``'data/check_videos.py'``.

    Raises:
        FileNotFoundError: no such tool, naming the tools folder.
    """
    path = osp.join(mim_root(), 'tools', name)
    if not osp.isfile(path):
        raise FileNotFoundError(f'constcl_mm has no tool {name!r} (looked in '
                                f'{osp.join(mim_root(), "tools")})')
    return path


def resolve_config_arg(cfg: str) -> str:
    """A config argument of a tool: a file path, or ``constcl_mm::NAME``
    (mmengine parses only bases of that form, not the top-level file)."""
    if cfg.startswith(PACKAGE + '::'):
        return config_path(cfg)
    return cfg


def register_config_package(module2package: Optional[dict] = None) -> None:
    """Makes ``constcl_mm::`` config names known to mmengine.

    mmengine 0.10 resolves ``pkg::path`` only for packages listed in
    ``mmengine.config.utils.MODULE2PACKAGE`` (module -> distribution name);
    this adds ``constcl_mm``. It then looks for ``<location>/constcl_mm/.mim``
    with ``location`` the folder of the distribution's metadata, which for an
    editable install is site-packages, not the checkout: the config parser's
    ``get_installed_path`` is wrapped to answer this package's real folder.
    Idempotent.

    Args:
        module2package (dict, optional): The mapping to edit (tests); default
            mmengine's.
    """
    if module2package is None:
        from mmengine.config import utils as cfg_utils
        module2package = cfg_utils.MODULE2PACKAGE
    module2package.setdefault(PACKAGE, PACKAGE)
    from mmengine.config import config as cfg_module
    found = cfg_module.get_installed_path
    if getattr(found, '_constcl_mm', False):
        return

    def get_installed_path(package: str) -> str:
        if package in (PACKAGE, PACKAGE.replace('_', '-')):
            return _PKG_DIR
        return found(package)

    get_installed_path._constcl_mm = True
    cfg_module.get_installed_path = get_installed_path


def drop_function_scopes(cfg) -> None:
    """Removes the ``_scope_`` that a ``constcl_mm::`` base adds to each
    dataloader's ``collate_fn`` (in place).

    mmengine marks every dict with a ``type`` inherited from a
    ``package::`` base with ``_scope_``; the runner calls ``collate_fn`` as
    ``partial(fn, **rest)``, so the key would reach ``pseudo_collate`` as an
    argument.
    """
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key, None)
        collate = loader.get('collate_fn', None) if loader else None
        if isinstance(collate, dict):
            collate.pop('_scope_', None)
