# Copyright (c) constcl_mm authors. All rights reserved.
"""Shared fixtures and test setup (CPU threads, the default scope).

Helpers live in the ``helpers`` package (``tests/helpers``), imported as
``from helpers.paths import REPO_ROOT, data_path`` etc.
"""
import pytest
import torch
from helpers.paths import REPO_ROOT

import constcl_mm  # noqa: F401  (stack fixes before any mmaction import)

# Tests run on small CPUs: keep torch from oversubscribing them.
torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO_ROOT


@pytest.fixture(autouse=True, scope='session')
def _register_constcl_mm():
    from mmengine.registry import DefaultScope
    if DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance('constcl_mm_tests', scope_name='mmaction')
    yield
