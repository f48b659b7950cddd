# Copyright (c) constcl_mm authors. All rights reserved.
"""Train-step activation memory of the AVA detector per clip, on the CPU.

    python benchmarks/ava_step_memory.py [--size 200 --frames 32 --with-cp]

Builds the model of the action-transformer AVA v2.2 config (ResNet3dY local
branch, res5 at stride 1, RoI head), runs one forward/backward on one clip
of ``--frames x --size x --size`` with 2 ground-truth boxes, and prints the
peak resident memory the step adds on top of the weights (VmHWM, reset
through /proc/self/clear_refs). Activation memory grows linearly with the
pixels of the clip, so the figure at 400 px is 4x the one at 200 px.
"""
import argparse
import ctypes
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

import torch  # noqa: E402

CONFIG = (
    'configs/detection/constcl/'
    'fastrcnn-actiontx_constcl-r3d50y-local_32xb8-32x2x1-50k_ava22-rgb.py')


def _status_kb(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', type=int, default=200)
    parser.add_argument('--frames', type=int, default=32)
    parser.add_argument('--with-cp', action='store_true')
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from mmaction.registry import MODELS
    from mmaction.structures import ActionDataSample
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.structures import InstanceData

    import constcl_mm  # noqa: F401
    init_default_scope('mmaction')
    cfg = Config.fromfile(osp.join(ROOT, CONFIG))
    cfg.model.backbone.pretrained = None
    cfg.model.backbone.with_cp = args.with_cp
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    s = args.size
    inputs = torch.randint(
        0, 256, (1, 3, args.frames, s, s), dtype=torch.uint8)
    sample = ActionDataSample()
    inst = InstanceData()
    inst.bboxes = torch.tensor([[0.1 * s, 0.1 * s, 0.5 * s, 0.9 * s],
                                [0.4 * s, 0.2 * s, 0.9 * s, 0.8 * s]])
    num_classes = cfg.model.roi_head.bbox_head.num_classes
    labels = torch.zeros(2, num_classes)
    labels[:, 1] = 1
    inst.labels = labels
    sample.gt_instances = inst
    sample.proposals = InstanceData(bboxes=inst.bboxes.clone())
    sample.set_metainfo(dict(img_shape=(s, s)))
    data = model.data_preprocessor(
        dict(inputs=[inputs[0]], data_samples=[sample]), True)
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except OSError:
        pass
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')
    before = _status_kb('VmRSS')
    losses = model(**data, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    peak = _status_kb('VmHWM')
    params = sum(p.numel() for p in model.parameters())
    print(f'clip {args.frames}x{s}x{s}, with_cp={args.with_cp}: step adds '
          f'{(peak - before) / 1024:.0f} MB; {params / 1e6:.1f} M parameters')


if __name__ == '__main__':
    main()
