# Copyright (c) constcl_mm authors. All rights reserved.
"""The cluster rule (constcl_mm.utils.cluster_recipe), its tool and the
per-cluster pretraining configs."""
import glob
import os.path as osp
import re
import subprocess
import sys

import pytest
from helpers.paths import REPO_ROOT
from mmengine.config import Config

from constcl_mm.utils.cluster_recipe import (cluster_recipe, recipe_table,
                                             step_memory_gb)

EPOCHS = 200_000 * 1024 / 235_693  # the paper's 868.9 epochs


@pytest.mark.parametrize(
    'gpus,mem,batch,cp,amp',
    [
        (128, 32, 8, False, False),
        (64, 32, 16, False, False),
        (32, 32, 32, True, False),
        (16, 32, 64, True, True),
        (8, 32, 64, True, True),  # 128 per GPU does not fit: global 512
        (8, 80, 128, True, True),
        (32, 80, 32, False, False),
    ])
def test_batch_and_memory_mode(gpus, mem, batch, cp, amp):
    r = cluster_recipe(gpus, mem)
    assert (r.batch_per_gpu, r.with_cp, r.amp) == (batch, cp, amp)
    assert r.global_batch == gpus * batch <= 1024
    assert step_memory_gb(batch, cp, amp) * 1.2 <= mem
    # the paper's epochs and warmup, whatever the batch
    assert r.iters * r.global_batch / 235_693 == pytest.approx(
        EPOCHS, rel=1e-4)
    assert r.warmup_iters == round(5 * 235_693 / r.global_batch)
    # linear scaling for DDP's averaged gradients
    assert r.lr == pytest.approx(40.96 * r.global_batch / 1024)
    assert r.global_negatives == 2 * r.global_batch - 1


def test_the_issue_case_is_fixed():
    # 8 GPUs x 8 videos with --auto-scale-lr used to give 54 epochs, a
    # 0.31-epoch warmup and 127 negatives: the rule keeps 869 epochs
    r = cluster_recipe(8, 32)
    assert r.iters * r.global_batch / 235_693 > 868
    assert r.warmup_iters * r.global_batch / 235_693 == pytest.approx(
        5, abs=0.01)
    assert r.global_negatives == 1023


def test_official_summed_gradient_lr():
    # g_TF = sum over R replicas of their mean-loss gradients = R g_DDP
    r = cluster_recipe(16, 32, official_replicas=64)
    assert r.official_lr == pytest.approx(40.96 * 64)
    r = cluster_recipe(8, 32, official_replicas=64)
    assert r.official_lr == pytest.approx(40.96 * 64 * 512 / 1024)
    assert cluster_recipe(8).official_lr is None


def test_bad_clusters_are_refused():
    with pytest.raises(ValueError, match='divide'):
        cluster_recipe(12)
    with pytest.raises(ValueError, match='cannot hold'):
        cluster_recipe(8, 1.0)


def test_command_and_tool_print_the_recipe():
    cmd = cluster_recipe(8).command()
    assert cmd.startswith('tools/dist_train.sh configs/constcl/pretrain.py 8 '
                          '--amp')
    assert 'train_dataloader.batch_size=64' in cmd
    assert 'train_cfg.max_iters=400000' in cmd
    assert 'model.backbone.with_cp=True' in cmd
    table = recipe_table([8, 16], official_replicas=2)
    assert table.count('\n') == 3 and '| 8 | 64 | 512 |' in table
    out = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'analysis', 'cluster_recipe.py'),
        '--gpus', '8', '64'
    ],
                         capture_output=True,
                         text=True,
                         timeout=120,
                         check=True).stdout
    assert '| 64 | 16 | 1024 | fp32 |' in out
    assert 'tools/dist_train.sh configs/constcl/pretrain.py 64 ' in out


CLUSTER_CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(REPO_ROOT, 'configs', 'constcl',
                 'constcl_r3d50y_*xb*_kinetics400.py'))
    if not osp.basename(p).startswith('constcl_r3d50y_128xb8'))


def test_there_is_a_config_per_cluster():
    gpus = sorted(
        int(re.search(r'_(\d+)xb', osp.basename(p)).group(1))
        for p in CLUSTER_CONFIGS)
    assert gpus == [8, 16, 32, 64]


@pytest.mark.parametrize(
    'path', CLUSTER_CONFIGS, ids=lambda p: osp.basename(p))
def test_cluster_config_follows_the_rule(path):
    gpus, batch, iters = re.search(r'_(\d+)xb(\d+)-16x2x2-(\d+)k_',
                                   osp.basename(path)).groups()
    r = cluster_recipe(int(gpus), 32)
    cfg = Config.fromfile(path)
    assert cfg.train_dataloader.batch_size == r.batch_per_gpu == int(batch)
    assert cfg.train_cfg.max_iters == r.iters
    assert r.iters // 1000 == int(iters)
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(r.lr)
    assert cfg.auto_scale_lr.base_batch_size == r.global_batch
    assert cfg.model.backbone.with_cp is r.with_cp
    assert ('--amp' in open(path).read()) is r.amp
    assert cfg.param_scheduler.warmup == dict(epochs=5)
