# Copyright (c) constcl_mm authors. All rights reserved.
"""Console entry points: each runs a tool shipped in the package.

``pip install constcl_mm`` puts ``constcl-train``, ``constcl-test``,
``constcl-export-backbone``, ... on the PATH; each runs the packaged copy of
the matching ``tools/`` script (:func:`constcl_mm.mim.tool_path`) with the
same command line, so a wheel install needs no checkout. ``constcl-config
NAME`` prints the path of a packaged config, for tools that take a file path
(mmaction2's own ``tools/train.py``).
"""
import runpy
import sys
from typing import List, Optional

from .mim import config_path, tool_path

#: console script name -> tool path relative to ``tools/``
TOOLS = {
    'constcl-train': 'train.py',
    'constcl-test': 'test.py',
    'constcl-export-backbone': 'export_backbone.py',
    'constcl-convert-tf-cvrl': 'convert_tf_cvrl.py',
    'constcl-demo': 'demo.py',
    'constcl-get-flops': 'analysis/get_flops.py',
    'constcl-plot-curves': 'analysis/plot_curves.py',
    'constcl-check-videos': 'data/check_videos.py',
    'constcl-build-video-list': 'data/build_video_list.py',
}


def run_tool(tool: str, argv: Optional[List[str]] = None) -> None:
    """Runs ``tools/<tool>`` as ``__main__`` with ``argv`` (default: the
    current command line's arguments)."""
    path = tool_path(tool)
    args = sys.argv[1:] if argv is None else list(argv)
    saved = sys.argv
    sys.argv = [path] + args
    try:
        runpy.run_path(path, run_name='__main__')
    finally:
        sys.argv = saved


def _entry(tool: str):

    def main() -> None:
        run_tool(tool)

    main.__name__ = main.__qualname__ = 'main_' + tool.split('/')[-1][:-3]
    main.__doc__ = f'Runs the packaged tools/{tool}.'
    return main


train = _entry(TOOLS['constcl-train'])
test = _entry(TOOLS['constcl-test'])
export_backbone = _entry(TOOLS['constcl-export-backbone'])
convert_tf_cvrl = _entry(TOOLS['constcl-convert-tf-cvrl'])
demo = _entry(TOOLS['constcl-demo'])
get_flops = _entry(TOOLS['constcl-get-flops'])
plot_curves = _entry(TOOLS['constcl-plot-curves'])
check_videos = _entry(TOOLS['constcl-check-videos'])
build_video_list = _entry(TOOLS['constcl-build-video-list'])


def print_config_path(argv: Optional[List[str]] = None) -> None:
    """``constcl-config NAME [NAME ...]``: prints each packaged config's
    absolute path (e.g. ``constcl-config constcl/pretrain.py``)."""
    names = sys.argv[1:] if argv is None else argv
    if not names:
        sys.exit('usage: constcl-config NAME [NAME ...]  (NAME relative to '
                 'configs/, e.g. constcl/pretrain.py)')
    for name in names:
        print(config_path(name))
