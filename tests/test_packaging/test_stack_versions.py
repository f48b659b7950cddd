# Copyright (c) constcl_mm authors. All rights reserved.
"""The version-range check of the OpenMMLab stack at import."""
from importlib import metadata

import pytest

from constcl_mm.stack_versions import RANGES, check_stack_versions

GOOD = dict(mmengine='0.10.7', mmcv='2.1.0', mmdet='3.3.0', mmaction2='1.2.0')


def _fake(**versions):
    table = dict(GOOD, **versions)

    def version_of(dist):
        if table.get(dist) is None:
            raise metadata.PackageNotFoundError(dist)
        return table[dist]

    return version_of


def test_installed_stack_and_pins_pass():
    check_stack_versions()
    check_stack_versions(_fake())


@pytest.mark.parametrize('dist,version', [('mmcv', '2.2.0'),
                                          ('mmengine', '1.0.0'),
                                          ('mmdet', '3.2.0'),
                                          ('mmaction2', '1.3.0')])
def test_out_of_range_names_package_and_fix(dist, version):
    low, high = RANGES[dist]
    with pytest.raises(ImportError) as info:
        check_stack_versions(_fake(**{dist: version}))
    msg = str(info.value)
    assert f"{dist} {version} is installed, constcl_mm needs " \
        f"'{dist}>={low},<{high}'" in msg
    assert 'pip install' in msg and 'make install' in msg


def test_missing_package_is_named():
    with pytest.raises(ImportError, match='mmdet is not installed'):
        check_stack_versions(_fake(mmdet=None))
