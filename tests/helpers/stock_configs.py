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


def train_without_stock_warnings(cfg):
    """Builds a Runner from ``cfg``, trains it and asserts that no
    :class:`StockConfigWarning` was raised (the snippets avoid every trap).

    Returns:
        Runner: The trained runner.
    """
    import warnings

    from mmengine.runner import Runner

    from constcl_mm.models.backbones.stock_config_checks import \
        StockConfigWarning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always', StockConfigWarning)
        runner = Runner.from_cfg(cfg)
        runner.train()
    stock = [
        str(w.message) for w in caught if w.category is StockConfigWarning
    ]
    assert not stock, stock
    return runner
