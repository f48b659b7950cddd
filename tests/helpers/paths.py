# Copyright (c) constcl_mm authors. All rights reserved.
"""Repository paths and the ../shared data folder."""
import os
import os.path as osp

import pytest

TESTS_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
REPO_ROOT = osp.dirname(TESTS_DIR)
SHARED = os.environ.get('CONSTCL_SHARED',
                        osp.join(osp.dirname(REPO_ROOT), 'shared'))
DATA = osp.join(SHARED, 'data')
# A toy regressor config for runner and launcher tests; its custom_imports
# load helpers.toy_modules, so subprocesses need TESTS_DIR on PYTHONPATH.
TOY_CFG = osp.join(TESTS_DIR, 'fixtures', 'configs', 'toy_dist.py')


def shared_path(*parts: str) -> str:
    """Path inside ../shared; the test fails (not skips) when it is absent."""
    path = osp.join(SHARED, *parts)
    if not osp.exists(path):
        pytest.fail(f'{path} is missing: tests need ../shared beside the '
                    'checkout (or CONSTCL_SHARED pointing at it)')
    return path


def data_path(*parts: str) -> str:
    return shared_path('data', *parts)
