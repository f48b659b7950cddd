# Copyright (c) constcl_mm authors. All rights reserved.
"""The OpenMMLab versions constcl_mm works with, checked at import.

The same ranges as ``install_requires`` in ``setup.py``: an environment
outside them fails at ``import constcl_mm`` with the pip command that fixes
it, instead of with a registry or signature error later.
"""
from importlib import metadata
from typing import Callable, Dict, Tuple

from packaging.version import Version

#: distribution -> (lowest accepted, first refused)
RANGES: Dict[str, Tuple[str, str]] = {
    'mmengine': ('0.10.0', '1.0.0'),
    'mmcv': ('2.0.0', '2.2.0'),
    'mmdet': ('3.3.0', '3.4.0'),
    'mmaction2': ('1.2.0', '1.3.0'),
}
FIX = ('make install (or the exact pins of requirements/runtime.txt and '
       'requirements/mmcv.txt; mmcv is built with its ops: '
       'MMCV_WITH_OPS=1 pip install --no-build-isolation mmcv==2.1.0)')


def check_stack_versions(
        version_of: Callable[[str], str] = metadata.version) -> None:
    """Refuses an mmengine / mmcv / mmdet / mmaction2 outside ``RANGES``.

    Args:
        version_of (callable): Distribution name -> version string (tests
            pass a fake); raises ``PackageNotFoundError`` when missing.

    Raises:
        ImportError: every package out of range or missing, with the pip
            requirement that fixes it.
    """
    problems = []
    for dist, (low, high) in RANGES.items():
        want = f"'{dist}>={low},<{high}'"
        try:
            have = version_of(dist)
        except metadata.PackageNotFoundError:
            problems.append(f'{dist} is not installed (needs {want})')
            continue
        if not Version(low) <= Version(have) < Version(high):
            problems.append(f'{dist} {have} is installed, constcl_mm needs '
                            f'{want}')
    if problems:
        raise ImportError('constcl_mm cannot run on this OpenMMLab stack: ' +
                          '; '.join(problems) + '. Fix: pip install ' +
                          ' '.join(f"'{d}>={lo},<{hi}'"
                                   for d, (lo, hi) in RANGES.items()) +
                          f', or {FIX}.')
