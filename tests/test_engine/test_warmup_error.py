# Copyright (c) constcl_mm authors. All rights reserved.
"""The warmup-too-long error of WarmupCosineLR names the key and a value
that fits the run, and that value works."""
import re

import pytest
import torch.nn as nn
from mmengine.optim import build_optim_wrapper

from constcl_mm.engine.schedulers.warmup_cosine_lr import WarmupCosineLR


def _sched(warmup, total):
    optim = build_optim_wrapper(
        nn.Linear(2, 2), dict(optimizer=dict(type='SGD', lr=1.0)))
    return WarmupCosineLR(optim, warmup=warmup, start_factor=1e-4, end=total)


@pytest.mark.parametrize('warmup, total, per_epoch, key', [
    (dict(epochs=5), 2, 2.0, 'epochs'),
    (dict(epochs=5), 40, 10.0, 'epochs'),
    (dict(iters=2500), 300, None, 'iters'),
])
def test_error_names_a_fitting_setting(warmup, total, per_epoch, key):
    with pytest.raises(ValueError) as err:
        _sched(warmup, total).resolve(total, iters_per_epoch=per_epoch)
    message = str(err.value)
    assert f'({total} steps of train_cfg)' in message
    match = re.search(rf'set param_scheduler\.warmup\.{key}=([0-9.e-]+) ',
                      message)
    assert match, message
    assert '--smoke' in message
    value = float(match.group(1))
    fixed = _sched({key: value if key == 'epochs' else int(value)}, total)
    fixed.resolve(total, iters_per_epoch=per_epoch)  # fits now
    assert 1 <= fixed.warmup_iters < total
