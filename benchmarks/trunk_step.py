# Copyright (c) constcl_mm authors. All rights reserved.
"""R3D-50 trunk train step: stock mmaction2 against ours, side by side.

    python benchmarks/trunk_step.py [--sizes 112 224] [--steps 9 --steps-224 5]
        [--cpu-heap auto|keep|system]

One train step is forward, backward and an SGD (momentum 0.9) step of the
R3D-50 trunk on a batch of 2 clips x 16 frames, with a scalar loss on the
res5 output. Variants:

* ``reference``: mmaction2's ``ResNet3d`` with CVRL's settings (depth 50,
  conv1 5x7x7 with temporal stride 2, no temporal pooling, no pool2,
  inflate (0, 0, 1, 1)) in fp32 and PyTorch's default memory format (here
  the speed of the official TF code, docs/pretraining.md);
* ``ours``: ``ResNet3dY`` global branch with its defaults (channels-last 3D
  weights and activations), fp32;
* ``ours_amp``: the same under bf16 autocast, what ``--amp`` does on the CPU
  (``AutocastOptimWrapper``; the loss in fp32);
* ``ours_contiguous``: ours in the default memory format, fp32, the effect
  of the memory format alone.

All variants live in one process and their steps are interleaved (A B C D,
B C D A, ...), so that the load of a shared machine hits them alike; each
figure is the median over steps of the wall time, with the median CPU time
of the process next to it (less sensitive to other jobs). The load average
is printed before and after. ``--cpu-heap`` sets malloc as the training
tools do (default: freed memory kept in the heap on the CPU, so that steps
do not fault their activations in again; ``system`` for glibc's default),
for all variants alike.
"""
import argparse
import os
import statistics
import time
from typing import Callable, Dict, List

import torch
import torch.nn as nn

from constcl_mm.utils.cpu_heap import CPU_HEAP_CHOICES, apply_cpu_heap

CVRL_R3D50 = dict(
    depth=50,
    conv1_kernel=(5, 7, 7),
    conv1_stride_t=2,
    pool1_stride_t=1,
    with_pool2=False,
    inflate=(0, 0, 1, 1))
VARIANTS = ('reference', 'ours', 'ours_amp', 'ours_contiguous')


def build(name: str) -> nn.Module:
    """The trunk of variant ``name``, initialised, in train mode."""
    from mmaction.models.backbones.resnet3d import ResNet3d

    from constcl_mm.models.backbones import ResNet3dY
    torch.manual_seed(0)
    if name == 'reference':
        model = ResNet3d(pretrained=None, pretrained2d=False, **CVRL_R3D50)
    else:
        fmt = 'contiguous' if name == 'ours_contiguous' \
            else 'channels_last_3d'
        model = ResNet3dY(
            branches=('global', ), out_indices=(3, ), memory_format=fmt)
    model.init_weights()
    model.train()  # mmaction2's ResNet3d.train returns None
    return model


def make_step(name: str, model: nn.Module,
              clips: torch.Tensor) -> Callable[[], None]:
    """A closure running one train step of ``model`` on ``clips``."""
    optim = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    amp = name.endswith('_amp')
    device = clips.device.type
    # --amp: bf16 where supported (CPU, Ampere+), else fp16 (no scaler here:
    # the step time is the same)
    dtype = torch.bfloat16 if device == 'cpu' or \
        torch.cuda.is_bf16_supported() else torch.float16

    def step() -> None:
        with torch.autocast(device, dtype=dtype, enabled=amp):
            feat = model(clips)
        loss = feat.float().square().mean()  # fp32 loss, as our heads
        optim.zero_grad(set_to_none=False)
        loss.backward()
        optim.step()
        if device == 'cuda':
            torch.cuda.synchronize()

    return step


def measure(steps: Dict[str, Callable[[], None]], repeats: int,
            warmup: int) -> Dict[str, Dict[str, float]]:
    """Interleaved timing: every repetition runs each variant once."""
    names = list(steps)
    wall: Dict[str, List[float]] = {n: [] for n in names}
    cpu: Dict[str, List[float]] = {n: [] for n in names}
    peak: Dict[str, float] = {n: 0. for n in names}
    cuda = torch.cuda.is_available() and torch.cuda.is_initialized()
    for rep in range(warmup + repeats):
        order = names[rep % len(names):] + names[:rep % len(names)]
        for name in order:
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            w0, c0 = time.perf_counter(), time.process_time()
            steps[name]()
            w1, c1 = time.perf_counter(), time.process_time()
            if cuda:
                peak[name] = max(peak[name],
                                 torch.cuda.max_memory_allocated() / 2**20)
            if rep >= warmup:
                wall[name].append(w1 - w0)
                cpu[name].append(c1 - c0)
    return {
        n:
        dict(
            wall=statistics.median(wall[n]),
            cpu=statistics.median(cpu[n]),
            spread=(min(wall[n]), max(wall[n])),
            peak_mb=peak[n])
        for n in names
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[112, 224])
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument(
        '--steps',
        type=int,
        default=9,
        help='timed steps per variant (below 224 px)')
    parser.add_argument(
        '--steps-224',
        type=int,
        default=5,
        help='timed steps per variant at 224 px and above')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument(
        '--device',
        default='cpu',
        help="'cpu' or 'cuda' (then also the peak memory "
        'per variant, torch.cuda.max_memory_allocated)')
    parser.add_argument(
        '--variants', nargs='+', choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument(
        '--cpu-heap',
        choices=CPU_HEAP_CHOICES,
        default='auto',
        help="malloc as tools/train.py's --cpu-heap (auto: keep freed "
        'memory on the CPU), for every variant alike')
    args = parser.parse_args()

    import constcl_mm  # noqa: F401
    heap = apply_cpu_heap(args.cpu_heap, on_cpu=args.device == 'cpu')
    torch.set_num_threads(args.threads)
    load0 = os.getloadavg()
    models = {name: build(name).to(args.device) for name in args.variants}
    print(f'batch {args.batch} x 3 x {args.frames} frames, {args.threads} '
          f'threads, torch {torch.__version__}; median of the interleaved '
          'steps (wall, and CPU time of the process)')
    print(f'load average before: {load0[0]:.2f} {load0[1]:.2f} '
          f'{load0[2]:.2f} ({os.cpu_count()} cores)')
    print(f'--cpu-heap {args.cpu_heap}: '
          f"{'freed memory kept in the heap' if heap else 'system malloc'}")
    for size in args.sizes:
        clips = torch.randn(
            args.batch,
            3,
            args.frames,
            size,
            size,
            generator=torch.Generator().manual_seed(size)).to(args.device)
        steps = {
            name: make_step(name, model, clips)
            for name, model in models.items()
        }
        repeats = args.steps_224 if size >= 224 else args.steps
        res = measure(steps, repeats, args.warmup)
        ref = res.get('reference')
        print(f'\n{size} px, {repeats} steps each')
        print(f"{'variant':<17s}{'wall (s)':>10s}{'min-max':>14s}"
              f"{'CPU (s)':>10s}{'ref/wall':>10s}{'ref/CPU':>9s}")
        for name, r in res.items():
            ratio = (f"{ref['wall'] / r['wall']:>10.2f}"
                     f"{ref['cpu'] / r['cpu']:>9.2f}") if ref else ''
            lo, hi = r['spread']
            mem = f"  peak {r['peak_mb']:.0f} MB" if r['peak_mb'] else ''
            print(f"{name:<17s}{r['wall']:>10.3f}{f'{lo:.2f}-{hi:.2f}':>14s}"
                  f"{r['cpu']:>10.3f}{ratio}{mem}")
        if ref and 'ours' in res:
            print(f"ours (defaults) speed-up: "
                  f"{ref['wall'] / res['ours']['wall']:.2f}x (target >= 1.2)")
        if ref and 'ours_amp' in res:
            print(f"ours --amp speed-up: "
                  f"{ref['wall'] / res['ours_amp']['wall']:.2f}x "
                  '(target >= 1.6)')
    load1 = os.getloadavg()
    print(f'\nload average after: {load1[0]:.2f} {load1[1]:.2f} '
          f'{load1[2]:.2f}')


if __name__ == '__main__':
    main()
