# Copyright (c) constcl_mm authors. All rights reserved.
"""Installs the constcl_mm plugin.

The heavy stack (torch, mmcv with compiled ops) has a build order pip alone
cannot express; ``tools/install.sh`` (``make install``) runs it.
``pip install -e .`` on an environment that already holds the stack is enough
too.
"""
import os
import os.path as osp
import re
import shutil
import sys
from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = osp.dirname(osp.abspath(__file__))

#: shipped inside the package under constcl_mm/.mim (the OpenMMLab layout
#: that mmengine's `constcl_mm::` config names and `mim` read)
MIM_FILES = ('configs', 'tools', 'model-index.yml')

#: install_requires ranges for the OpenMMLab stack: an existing environment is
#: kept when it fits; requirements/*.txt (the install step) keep exact pins
RANGES = {
    'mmengine': 'mmengine>=0.10.0,<1.0.0',
    'mmcv': 'mmcv>=2.0.0,<2.2.0',
    'mmdet': 'mmdet>=3.3.0,<3.4.0',
    'mmaction2': 'mmaction2>=1.2.0,<1.3.0',
}


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


def install_requires() -> list:
    """``requirements/runtime.txt`` with the OpenMMLab pins as ranges."""
    reqs = []
    for req in parse_requirements('runtime'):
        name = re.split(r'[<>=!~;\[ ]', req, 1)[0].lower()
        reqs.append(RANGES.get(name, req))
    return reqs + [RANGES['mmcv']]


def _ignore(_dir: str, names: list) -> list:
    return [
        n for n in names
        if n in ('__pycache__', 'work_dirs') or n.endswith(('.pyc', '.pth'))
    ]


def add_mim_extension(mode: str, dest: str) -> None:
    """Places ``MIM_FILES`` under ``dest`` (``<package>/.mim``).

    Args:
        mode (str): ``'symlink'`` (editable install: links to the checkout)
            or ``'copy'`` (wheel / sdist builds).
        dest (str): The ``.mim`` folder to fill.
    """
    os.makedirs(dest, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(HERE, name)
        tar = osp.join(dest, name)
        if not osp.exists(src):
            continue
        if osp.islink(tar) or osp.isfile(tar):
            os.remove(tar)
        elif osp.isdir(tar):
            shutil.rmtree(tar)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, dest), tar)
        elif osp.isdir(src):
            shutil.copytree(src, tar, ignore=_ignore)
        else:
            shutil.copyfile(src, tar)


class BuildPyWithMim(build_py):
    """``build_py`` that copies configs, tools and the model index into the
    built package (``build/lib/constcl_mm/.mim``), leaving the checkout's
    ``constcl_mm/.mim`` (symbolic links of the editable install) alone."""

    def run(self) -> None:
        super().run()
        if not getattr(self, 'editable_mode', False):
            add_mim_extension('copy',
                              osp.join(self.build_lib, 'constcl_mm', '.mim'))


if any(cmd in sys.argv for cmd in ('develop', 'editable_wheel')):
    add_mim_extension('symlink', osp.join(HERE, 'constcl_mm', '.mim'))

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
    install_requires=install_requires(),
    extras_require=dict(
        tests=parse_requirements('tests'),
        optional=parse_requirements('optional')),
    entry_points=dict(console_scripts=[
        'constcl-train = constcl_mm.cli:train',
        'constcl-test = constcl_mm.cli:test',
        'constcl-export-backbone = constcl_mm.cli:export_backbone',
        'constcl-convert-tf-cvrl = constcl_mm.cli:convert_tf_cvrl',
        'constcl-demo = constcl_mm.cli:demo',
        'constcl-get-flops = constcl_mm.cli:get_flops',
        'constcl-plot-curves = constcl_mm.cli:plot_curves',
        'constcl-check-videos = constcl_mm.cli:check_videos',
        'constcl-build-video-list = constcl_mm.cli:build_video_list',
        'constcl-config = constcl_mm.cli:print_config_path',
    ]),
    cmdclass=dict(build_py=BuildPyWithMim),
    license='Apache License 2.0',
    zip_safe=False)
