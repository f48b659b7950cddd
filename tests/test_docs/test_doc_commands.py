# Copyright (c) constcl_mm authors. All rights reserved.
"""Every command line quoted in README.md and docs/*.md names a script, the
config files and the flags that exist, so that a doc cannot drift from the
code.

Commands are the lines of ``bash`` blocks and the inline code spans that
start with ``python tools/...``, ``tools/*.sh`` or a ``constcl-*`` console
script. For each: the script exists; every ``configs/...`` path and every
``.py`` argument under the checkout exists (placeholders with ``<``, ``*``
or ``{`` are skipped); every ``--flag`` is one the tool's argparse parser
defines (read from the tool's source and the option modules it uses:
``constcl_mm/utils/{device_args,run_args}.py`` for train/test; the
launchers pass their flags to tools/train.py / test.py). The smoke runs of
the documented ``--smoke`` lines are ``tests/*/test_smoke_*.py``.
"""
import glob
import os.path as osp
import re
import shlex

import pytest
from helpers.paths import REPO_ROOT

DOCS = [osp.join(REPO_ROOT, 'README.md')] + sorted(
    glob.glob(osp.join(REPO_ROOT, 'docs', '*.md')))
OPTION_MODULES = {
    'train.py':
    ['constcl_mm/utils/device_args.py', 'constcl_mm/utils/run_args.py'],
    'test.py':
    ['constcl_mm/utils/device_args.py', 'constcl_mm/utils/run_args.py'],
}
LAUNCHERS = {
    'dist_train.sh': 'train.py',
    'slurm_train.sh': 'train.py',
    'dist_test.sh': 'test.py',
    'slurm_test.sh': 'test.py',
}
CONSOLE = {
    'constcl-train': 'train.py',
    'constcl-test': 'test.py',
    'constcl-export-backbone': 'export_backbone.py',
    'constcl-demo': 'demo.py',
    'constcl-get-flops': 'analysis/get_flops.py',
    'constcl-plot-curves': 'analysis/plot_curves.py',
    'constcl-check-videos': 'data/check_videos.py',
    'constcl-build-video-list': 'data/build_video_list.py',
}
_START = re.compile(r'(?:^|\s)((?:python\s+)?tools/\S+|constcl-[a-z-]+)(\s|$)')


def _joined_lines(block: str):
    """Lines of a shell block with backslash continuations joined."""
    return re.sub(r'\\\n\s*', ' ', block).splitlines()


def doc_commands():
    """``(doc, command)`` of every quoted command line."""
    found = []
    for doc in DOCS:
        text = open(doc, encoding='utf-8').read()
        for block in re.findall(r'```bash\n(.*?)```', text, re.S):
            for line in _joined_lines(block):
                line = line.split(' #', 1)[0].strip()
                match = _START.search(line)
                if match and not line.startswith('#'):
                    found.append((osp.basename(doc), line[match.start(1):]))
        prose = re.sub(r'```.*?```', '', text, flags=re.S)
        for span in re.findall(r'`([^`\n]+)`', prose.replace('\n', ' ')):
            # `python tools/x.py ...`, or `tools/x.sh ARG ...` (a bare
            # path in prose may be another project's tool)
            if re.match(r'python\s+tools/\S+\.py(\s|$)', span) or \
                    re.match(r'tools/\S+\.(py|sh)\s+\S', span) or \
                    re.match(r'constcl-[a-z-]+\s', span):
                found.append((osp.basename(doc), span.strip()))
    return found


COMMANDS = doc_commands()


def _tool_of(words):
    """``(tool path relative to tools/, argument words)``."""
    first = words[0]
    if first == 'python':
        words = words[1:]
        first = words[0]
    if first in CONSOLE:
        return CONSOLE[first], words[1:]
    assert first.startswith('tools/'), first
    tool = first[len('tools/'):]
    return tool, words[1:]


def _imported_modules(text: str):
    """Files of the constcl_mm modules a tool imports (shared options such
    as the list builders' ``--video-dir`` live there)."""
    files = []
    for name in re.findall(r'from (constcl_mm[\w.]*) import', text):
        base = osp.join(REPO_ROOT, *name.split('.'))
        for path in (base + '.py', osp.join(base, '__init__.py')):
            if osp.isfile(path):
                files.append(path)
    return files


def _known_flags(tool: str):
    sources = [osp.join(REPO_ROOT, 'tools', tool)]
    sources += [osp.join(REPO_ROOT, p) for p in OPTION_MODULES.get(tool, [])]
    text = ''.join(open(p).read() for p in sources)
    text += ''.join(open(p).read() for p in _imported_modules(text))
    return set(re.findall(r"'(--[a-z][a-z0-9-]*)'", text))


def test_docs_quote_commands():
    assert len(COMMANDS) > 40
    docs = {doc for doc, _ in COMMANDS}
    assert {'README.md', 'pretraining.md', 'recognition.md',
            'tracking.md'} <= docs


@pytest.mark.parametrize(
    'doc, command', COMMANDS, ids=[f'{d}:{c[:60]}' for d, c in COMMANDS])
def test_documented_command_exists(doc, command):
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    # environment assignments before the command (NNODES=2 ... tools/...)
    while words and re.match(r'^[A-Z_]+=', words[0]):
        words = words[1:]
    if words[0] == 'constcl-config':
        for name in (w for w in words[1:] if not w.isupper()):
            assert osp.isfile(osp.join(REPO_ROOT, 'configs', name)), command
        return
    tool, args = _tool_of(words)
    if any(c in tool for c in '*{<'):
        return  # a family of tools (tools/data/*/download_*.sh)
    script = osp.join(REPO_ROOT, 'tools', tool)
    assert osp.isfile(script), f'{doc}: {command}: no {script}'
    if tool in LAUNCHERS:
        # CONFIG N [flags of train.py / test.py]
        tool = LAUNCHERS[tool]
    flags = _known_flags(tool)
    for word in args:
        if any(c in word for c in '<*{$|'):
            continue
        if word.startswith('--'):
            flag = word.split('=', 1)[0]
            assert flag in flags, (f'{doc}: `{command}`: tools/{tool} has no '
                                   f'{flag} (it has {sorted(flags)})')
        elif word.startswith('configs/') or (word.endswith('.py')
                                             and '=' not in word
                                             and not word.startswith(
                                                 ('/', 'my_', 'work_dirs'))):
            path = osp.join(REPO_ROOT, word)
            if word.startswith('configs/') or osp.dirname(word):
                assert osp.exists(path), f'{doc}: `{command}`: no {word}'
