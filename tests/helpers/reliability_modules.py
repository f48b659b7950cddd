# Copyright (c) constcl_mm authors. All rights reserved.
"""Test-only modules imported by the fault-injection configs
(``custom_imports=[..., "helpers.reliability_modules"]``)."""
import os
import os.path as osp
import time

from mmaction.registry import HOOKS, TRANSFORMS
from mmcv.transforms import BaseTransform
from mmengine.hooks import Hook


@TRANSFORMS.register_module()
class RecordDrawn(BaseTransform):
    """Appends every file the pipeline opens to ``$DRAWN_DIR/<pid>.txt``."""

    def transform(self, results: dict) -> dict:
        path = osp.join(os.environ['DRAWN_DIR'], f'{os.getpid()}.txt')
        with open(path, 'a') as f:
            f.write(results['filename'] + '\n')
        return results


@HOOKS.register_module()
class WaitForDrawn(Hook):
    """At the end of training, waits (up to ``timeout`` s) until every path
    in ``$WAIT_FOR`` (one a line) is in a ``$DRAWN_DIR`` file: the workers
    have then opened the samples they prefetched."""

    priority = 'HIGHEST'

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout

    def after_train(self, runner) -> None:
        with open(os.environ['WAIT_FOR']) as f:
            wanted = set(f.read().split())
        deadline = time.time() + self.timeout
        while time.time() < deadline:
            drawn = set()
            for name in os.listdir(os.environ['DRAWN_DIR']):
                with open(osp.join(os.environ['DRAWN_DIR'], name)) as f:
                    drawn.update(f.read().split())
            if wanted <= drawn:
                return
            time.sleep(0.2)
        raise TimeoutError(f'not drawn in {self.timeout} s: '
                           f'{sorted(wanted - drawn)}')
