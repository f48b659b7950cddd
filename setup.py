# Copyright (c) constcl_mm authors. All rights reserved.
"""Installs the constcl_mm plugin.

The heavy stack (torch, mmcv with compiled ops) has a build order pip alone
cannot express; ``tools/install.sh`` (``make install``) runs it.
``pip install -e .`` on an environment that already holds the stack is enough
too.
"""
import os.path as osp
import re
from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    with open(osp.join(HERE, 'constcl_mm', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def parse_requirements(name: str) -> list:
    """Reads ``requirements/<name>.txt`` (no nested ``-r``/``-c`` lines)."""
    reqs = []
    with open(osp.join(HERE, 'requirements', f'{name}.txt')) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


setup(
    name='constcl_mm',
    version=read_version(),
    description='ConST-CL (CVPR 2022) self-supervised video pretraining as an '
    'OpenMMLab (MMEngine / MMAction2) plugin',
    long_description=open(osp.join(HERE, 'README.md')).read() if osp.exists(
        osp.join(HERE, 'README.md')) else '',
    long_description_content_type='text/markdown',
    packages=find_packages(
        exclude=('configs', 'tools', 'tests', 'benchmarks', 'docs')),
    python_requires='>=3.8',
    install_requires=parse_requirements('runtime') + ['mmcv>=2.0.0,<2.2.0'],
    extras_require=dict(
        tests=parse_requirements('tests'),
        optional=parse_requirements('optional')),
    license='Apache License 2.0',
    zip_safe=False)
