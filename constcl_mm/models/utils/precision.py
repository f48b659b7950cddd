# Copyright (c) constcl_mm authors. All rights reserved.
import torch


def autocast_off(tensor: torch.Tensor) -> torch.autocast:
    """A context that disables autocast on ``tensor``'s device.

    Losses run in float32 even when the model runs in bf16/fp16, as the
    official code casts model outputs to float32 before its losses.
    """
    return torch.autocast(device_type=tensor.device.type, enabled=False)
