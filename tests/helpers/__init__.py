# Copyright (c) constcl_mm authors. All rights reserved.
"""Test helpers, importable as ``helpers.<module>`` (pytest.ini puts
``tests/`` on the path: ``pythonpath = tests``)."""
