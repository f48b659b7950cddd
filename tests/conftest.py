# Copyright (c) constcl_mm authors. All rights reserved.
"""Shared fixtures: repository paths, the ../shared data folder, CPU threads."""
import os
import os.path as osp

import pytest
import torch

import constcl_mm  # noqa: F401  (stack fixes before any mmaction import)

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED = os.environ.get('CONSTCL_SHARED',
                        osp.join(osp.dirname(REPO_ROOT), 'shared'))
DATA = osp.join(SHARED, 'data')

# Tests run on small CPUs: keep torch from oversubscribing them.
torch.set_num_threads(min(2, torch.get_num_threads()))


def shared_path(*parts: str) -> str:
    """Path inside ../shared; the test fails (not skips) when it is absent."""
    path = osp.join(SHARED, *parts)
    if not osp.exists(path):
        pytest.fail(f'{path} is missing: tests need ../shared beside the '
                    'checkout (or CONSTCL_SHARED pointing at it)')
    return path


def data_path(*parts: str) -> str:
    return shared_path('data', *parts)


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO_ROOT


@pytest.fixture(autouse=True, scope='session')
def _register_constcl_mm():
    from mmengine.registry import DefaultScope
    if DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance('constcl_mm_tests', scope_name='mmaction')
    yield
