# Copyright (c) constcl_mm authors. All rights reserved.
"""Test-only modules imported by the fault-injection configs
(``custom_imports=[..., "helpers.reliability_modules"]``)."""
import os
import os.path as osp

from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform


@TRANSFORMS.register_module()
class RecordDrawn(BaseTransform):
    """Appends every file the pipeline opens to ``$DRAWN_DIR/<pid>.txt``."""

    def transform(self, results: dict) -> dict:
        path = osp.join(os.environ['DRAWN_DIR'], f'{os.getpid()}.txt')
        with open(path, 'a') as f:
            f.write(results['filename'] + '\n')
        return results
