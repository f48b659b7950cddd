# Copyright (c) constcl_mm authors. All rights reserved.
"""Pretraining step cost on the CPU, measured side by side in one run.

    python benchmarks/pretrain_step.py [--videos 2 --frames 16 --size 224]
        [--amp] [--cpu-heap auto|keep|system]

Each variant runs in fresh processes (so peak-memory readings don't mix):
ConST-CL (R3D-50-Y, both losses), the CVRL baseline (R3D-50, global loss
only) and ConST-CL with activation checkpointing (``with_cp=True``). For each
it reports the train-step time (forward, backward, SGD step; the best of
several alternated processes, each the median of a few steps) and the
peak resident memory a step adds on top of the memory before it (weights,
gradients and optimizer state are in that baseline), read from
``/proc/self/status`` (VmHWM, reset through ``/proc/self/clear_refs``), with
glibc told to return freed blocks at once so that the resident size follows
the live tensors. ``--amp`` runs every variant's forward under bf16 autocast
(what ``tools/train.py --amp`` does on the CPU; the losses stay fp32).
``--cpu-heap`` sets malloc in the timing processes as the training tools
do (default: freed memory kept in the heap, see
``constcl_mm/utils/cpu_heap.py``). Targets: ConST-CL / CVRL time <= 1.25
(the MAC ratio of the Y backbone is 1.21); activation checkpointing >= 50%
less step memory for <= 30% more time.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

from constcl_mm.utils.cpu_heap import CPU_HEAP_CHOICES

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

VARIANTS = {
    'constcl': ('configs/constcl/pretrain.py', {}),
    'cvrl':
    ('configs/constcl/cvrl_r3d50_128xb8-16x2x2-200k_kinetics400.py', {}),
    'constcl_cp': ('configs/constcl/pretrain.py', {
        'with_cp': True
    }),
}


def _status_kb(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def _reset_peak() -> None:
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')


def worker(args: argparse.Namespace) -> None:
    import torch
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.logging import MMLogger

    import constcl_mm  # noqa: F401
    from constcl_mm.testing import random_two_view_batch
    from constcl_mm.utils.cpu_heap import apply_cpu_heap
    MMLogger.get_instance('pretrain_step', log_level='WARNING')
    apply_cpu_heap(args.cpu_heap, on_cpu=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    path, backbone_opts = VARIANTS[args.worker]
    cfg = Config.fromfile(osp.join(ROOT, path))
    cfg.model.backbone.update(backbone_opts)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    optim = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    data = random_two_view_batch(
        args.videos, boxes=8, frames=args.frames, size=args.size)

    def step():
        batch = model.data_preprocessor(data, True)
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=args.amp):
            losses = model(**batch, mode='loss')
        loss = sum(v for k, v in losses.items() if k.startswith('loss'))
        optim.zero_grad(set_to_none=False)
        loss.backward()
        optim.step()

    for _ in range(args.warmup):
        step()  # allocates gradients and momentum buffers
    values = []
    for _ in range(args.steps):
        if args.measure == 'time':
            start = time.perf_counter()
            step()
            values.append(time.perf_counter() - start)
        else:
            base = _status_kb('VmRSS')
            _reset_peak()
            step()
            values.append((_status_kb('VmHWM') - base) / 1024)
    value = statistics.median(values) if args.measure == 'time' \
        else max(values)
    print(json.dumps({args.measure: value}))


def run_worker(args: argparse.Namespace, name: str, measure: str,
               env: dict) -> float:
    """Runs one variant in a fresh process; returns its figure."""
    cmd = [
        sys.executable,
        osp.abspath(__file__), '--worker', name, '--measure', measure,
        '--cpu-heap', args.cpu_heap if measure == 'time' else 'system'
    ]
    for key in ('videos', 'frames', 'size', 'steps', 'warmup', 'threads'):
        cmd += [f'--{key}', str(getattr(args, key))]
    if args.amp:
        cmd.append('--amp')
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f'{name} ({measure}) failed:\n{proc.stderr[-3000:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])[measure]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    # two videos (two 16x224x224 clips each; ConST-CL refuses a batch of
    # one video, which has no negatives): the paper's clip at a CPU-sized
    # batch. At much smaller crops res5 maps shrink to 4x4 or less, where the
    # CPU kernels are far less efficient per MAC than on the 7x7 maps of 224
    parser.add_argument('--videos', type=int, default=2)
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--steps', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument(
        '--amp', action='store_true', help='bf16 autocast (as --amp)')
    parser.add_argument(
        '--rounds',
        type=int,
        default=3,
        help='timing processes per variant (alternated)')
    parser.add_argument(
        '--cpu-heap',
        choices=CPU_HEAP_CHOICES,
        default='auto',
        help="malloc in the timing processes, as tools/train.py's "
        '--cpu-heap (auto: keep freed memory on the CPU); the memory '
        'processes always use the system default')
    parser.add_argument(
        '--worker', choices=list(VARIANTS), help=argparse.SUPPRESS)
    parser.add_argument(
        '--measure',
        choices=['time', 'memory'],
        default='time',
        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    results = {name: {} for name in VARIANTS}
    env_time = dict(os.environ, PYTHONWARNINGS='ignore')
    # glibc: serve large blocks with mmap and return freed memory at once, so
    # that the resident size follows the live tensors (slower: memory only)
    env_memory = dict(
        env_time, MALLOC_MMAP_THRESHOLD_='65536', MALLOC_TRIM_THRESHOLD_='0')
    # timing rounds alternate the variants (A B C A B C ...) so that drifts
    # of the machine hit all of them alike; as timeit does, the best round
    # counts (other load on the machine only ever adds time)
    plan = [('time', env_time, name) for _ in range(args.rounds)
            for name in VARIANTS]
    plan += [('memory', env_memory, name) for name in VARIANTS]
    times = {name: [] for name in VARIANTS}
    for measure, env, name in plan:
        value = run_worker(args, name, measure, env)
        if measure == 'time':
            times[name].append(value)
        else:
            results[name]['peak_mb'] = value
    for name in VARIANTS:
        results[name]['time'] = min(times[name])
    print(f'input: {args.videos} videos x 2 views x {args.frames} frames x '
          f'{args.size}^2, {args.threads} threads, '
          f"{'bf16 autocast' if args.amp else 'fp32'}; time: best of "
          f'{args.rounds} alternated processes, each the median of '
          f'{args.steps} steps, --cpu-heap {args.cpu_heap}')
    print(f"{'variant':<14s}{'step time (s)':>15s}{'step peak (MB)':>16s}")
    for name, res in results.items():
        rounds = ', '.join(f'{t:.2f}' for t in times[name])
        print(f"{name:<14s}{res['time']:>15.2f}{res['peak_mb']:>16.0f}"
              f'   (rounds: {rounds})')
    c, v, cp = results['constcl'], results['cvrl'], results['constcl_cp']
    print(f"ConST-CL / CVRL time ratio: {c['time'] / v['time']:.3f} "
          '(target <= 1.25)')
    print(f"ConST-CL / CVRL memory ratio: {c['peak_mb'] / v['peak_mb']:.3f}")
    saving = 1 - cp['peak_mb'] / c['peak_mb']
    extra = cp['time'] / c['time'] - 1
    print(f'activation checkpointing: {100 * saving:.1f}% less step memory '
          f'(target >= 50%), {100 * extra:+.1f}% time (target <= +30%)')


if __name__ == '__main__':
    main()
