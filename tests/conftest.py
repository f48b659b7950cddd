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
TEST_THREADS = min(2, torch.get_num_threads())
torch.set_num_threads(TEST_THREADS)


@pytest.fixture(autouse=True)
def _restore_torch_threads():
    """Every test starts with the same thread count.

    Tools called in-process (``tool.main([...])``) set their own count
    (``tools/visualize_views.py`` uses 1), and float results depend on it:
    oneDNN picks other kernels, so the channels-last equality tests would see
    another rounding after such a test (6e-4 instead of 7e-7 relative in the
    stem's gradient).
    """
    torch.set_num_threads(TEST_THREADS)
    yield
    torch.set_num_threads(TEST_THREADS)


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO_ROOT


@pytest.fixture(autouse=True, scope='session')
def _register_constcl_mm():
    from mmengine.registry import DefaultScope
    if DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance('constcl_mm_tests', scope_name='mmaction')
    yield
