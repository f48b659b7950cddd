# Copyright (c) constcl_mm authors. All rights reserved.
"""The reduced CVRL checkpoint of tests/data/tf_cvrl (written by TF's
ResNet3D, tools/tf/make_cvrl_goldens.py), converted for training tests."""
import os.path as osp
from typing import Dict

import torch
from helpers.paths import data_path

from constcl_mm.models.utils.tf_cvrl import convert_cvrl_backbone, to_resnet3dy
from constcl_mm.utils.tf_checkpoint import load_tf_checkpoint


def convert_reduced(folder: str) -> Dict[str, object]:
    """Writes ``folder/cvrl_r3d50.pth`` (stock ``ResNet3d``) and
    ``folder/cvrl_r3d50y.pth`` (``ResNet3dY``, res5 in both branches).

    Returns:
        dict: ``stock`` / ``y`` (paths), ``cfg`` / ``y_cfg`` (backbone
        configs) and ``width`` (res5 channels).
    """
    state, cfg = convert_cvrl_backbone(
        load_tf_checkpoint(data_path('tf_cvrl', 'cvrl_reduced')))
    y_state, y_cfg = to_resnet3dy(state, cfg)
    stock, y = osp.join(folder,
                        'cvrl_r3d50.pth'), osp.join(folder, 'cvrl_r3d50y.pth')
    torch.save({'state_dict': state}, stock)
    torch.save({'state_dict': y_state}, y)
    return dict(
        stock=stock,
        y=y,
        cfg=cfg,
        y_cfg=y_cfg,
        width=cfg['base_channels'] * 32)
