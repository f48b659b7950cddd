# Copyright (c) constcl_mm authors. All rights reserved.
"""The snippets of docs/stock_configs.md, for the stock-config tests."""
import os.path as osp
import re
from typing import List, Tuple

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


def pretrain_and_exported(root, branch: str) -> Tuple[str, str]:
    """A pretraining checkpoint ``root/iter_200000.pth`` and its ``branch``
    exported as a stock R3D-50 ``root/r3d50_<branch>.pth`` (the two files the
    docs/stock_configs.md snippets name)."""
    import torch
    from helpers.recognition import save_pretrain_checkpoint

    from constcl_mm.models.utils.checkpoint import export_backbone_state
    ckpt = osp.join(str(root), 'iter_200000.pth')
    save_pretrain_checkpoint(ckpt)
    exported = osp.join(str(root), f'r3d50_{branch}.pth')
    state = export_backbone_state(
        torch.load(ckpt, map_location='cpu', weights_only=True), branch)
    torch.save({'state_dict': state}, exported)
    return ckpt, exported
