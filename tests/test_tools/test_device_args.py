# Copyright (c) constcl_mm authors. All rights reserved.
"""``--gpus`` / ``--device`` of tools/train.py and tools/test.py, as
``mim train/test`` passes them."""
import argparse

import pytest

from constcl_mm.utils.device_args import (add_device_arguments,
                                          apply_device_arguments)


def parse(argv, monkeypatch):
    monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    parser = argparse.ArgumentParser()
    add_device_arguments(parser)
    # the heap option has its own tests (in subprocesses: it changes malloc)
    if '--cpu-heap' not in argv:
        argv = list(argv) + ['--cpu-heap', 'system']
    args = parser.parse_args(argv)
    apply_device_arguments(args)
    return args


def test_gpus_zero_hides_the_gpus(monkeypatch):
    import os
    args = parse(['--gpus', '0'], monkeypatch)
    assert args.device == 'cpu'
    assert os.environ['CUDA_VISIBLE_DEVICES'] == ''
    assert os.environ['LOCAL_RANK'] == '0'


def test_gpus_one_keeps_the_default_device(monkeypatch):
    import os
    args = parse(['--gpus', '1'], monkeypatch)
    assert args.device is None
    assert 'CUDA_VISIBLE_DEVICES' not in os.environ


def test_several_gpus_need_a_launcher(monkeypatch):
    with pytest.raises(SystemExit, match='dist_train.sh CONFIG 4'):
        parse(['--gpus', '4'], monkeypatch)
    args = parse(['--gpus', '4', '--launcher', 'pytorch'], monkeypatch)
    assert args.gpus == 4
    with pytest.raises(SystemExit, match='>= 0'):
        parse(['--gpus', '-1'], monkeypatch)


@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_tools_advertise_gpus_for_mim(tool):
    """mim adds ``--gpus N`` only when the tool's help mentions it."""
    import os.path as osp
    import subprocess
    import sys
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    out = subprocess.run(
        [sys.executable, osp.join(root, 'tools', tool), '-h'],
        capture_output=True,
        text=True,
        check=True).stdout
    assert '--gpus' in out


HEAP_PROBE = """
import ctypes, resource, sys, torch
from constcl_mm.utils.cpu_heap import apply_cpu_heap
print(apply_cpu_heap(sys.argv[1], on_cpu=True))

class MallInfo2(ctypes.Structure):  # glibc's struct mallinfo2
    _fields_ = [(name, ctypes.c_size_t) for name in (
        'arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks',
        'fsmblks', 'uordblks', 'fordblks', 'keepcost')]

mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = MallInfo2
MB = 2**20
for _ in range(4):  # as train steps: allocate the activations, free them
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    activations = [torch.ones(12 * MB) for _ in range(4)]  # 4 x 48 MB
    live = mallinfo2()
    del activations
    freed = mallinfo2()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    print(live.hblkhd // MB, freed.fordblks // MB, faults)
"""


def run_heap_probe(choice):
    """Per round: MB in mmapped blocks while the activations live, MB free
    in the heap after they are freed, page faults of the round."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, '-c', HEAP_PROBE, choice],
                         capture_output=True,
                         text=True,
                         check=True).stdout.splitlines()
    return out[0], [tuple(map(int, line.split())) for line in out[1:]]


def test_cpu_heap_keep_reuses_freed_pages():
    """Blocks of 48 MB are above the largest mmap threshold glibc adapts to
    (32 MB), so by default every round maps them anew and faults their
    12288 pages each in again; kept, they come from the heap and stay in it.
    Page faults are checked where the kernel counts them (some sandboxes
    report none)."""
    message, rounds = run_heap_probe('keep')
    assert 'stays in the process heap' in message
    assert all(mapped < 48 for mapped, _, _ in rounds)
    assert all(free_after >= 192 for _, free_after, _ in rounds)
    assert min(faults for _, _, faults in rounds[-2:]) < 1000
    message, rounds = run_heap_probe('system')
    assert message == 'None'
    assert all(mapped >= 192 for mapped, _, _ in rounds)
    assert all(free_after < 48 for _, free_after, _ in rounds)
    if rounds[0][2] > 0:  # the kernel counts page faults
        assert all(faults > 45000 for _, _, faults in rounds)


def test_cpu_heap_auto_only_on_cpu_runs():
    from constcl_mm.utils.cpu_heap import apply_cpu_heap
    assert apply_cpu_heap('auto', on_cpu=False) is None
    assert apply_cpu_heap('system', on_cpu=True) is None
    with pytest.raises(ValueError, match='--cpu-heap must be one of'):
        apply_cpu_heap('huge', on_cpu=True)
