# Copyright (c) constcl_mm authors. All rights reserved.
"""The snippets of docs/stock_configs.md, for the stock-config tests."""
import os.path as osp
import re
from typing import List

from helpers.paths import REPO_ROOT

DOC = osp.join(REPO_ROOT, 'docs', 'stock_configs.md')


def doc_snippets() -> List[str]:
    """The python blocks of docs/stock_configs.md, in order."""
    with open(DOC) as f:
        text = f.read()
    return re.findall(r'```python\n(.*?)```', text, re.S)


def changed_lines(snippet: str) -> int:
    """Lines of a snippet besides its comment and ``_base_`` (a wrapped
    dict entry counts once per physical line)."""
    return sum(1 for line in snippet.splitlines()
               if line.strip() and not line.startswith(('#', '_base_')))
