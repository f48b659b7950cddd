# Copyright (c) constcl_mm authors. All rights reserved.
"""Keeping freed memory in the process for CPU training.

PyTorch's CPU tensors come straight from ``malloc``. glibc serves blocks
above its mmap threshold with ``mmap`` and returns them to the kernel when
they are freed (the threshold follows freed blocks only up to 32 MB, and an
R3D-50 step at 224 px has activations of 50 MB and more), and it trims the
free top of its heap as well, so each train step faults many of its
activations in again, page by page: on a 2-core VM that was 50-90 thousand
page faults and up to a third of the CPU time of an R3D-50 step
(docs/pretraining.md, "CPU memory"). Telling glibc to take large blocks from
its heap and never to hand freed memory back makes the second and later
steps reuse pages that are already mapped.

The price is that the resident size stays at the high-water mark of the run
instead of following the live tensors, which is what a training process
reaches every step anyway.
"""
import ctypes
import platform
from typing import Optional

# glibc's <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
# mallopt takes a C int: the largest threshold it can express (2 GiB)
MAX_TRIM_THRESHOLD = 2**31 - 1

CPU_HEAP_CHOICES = ('auto', 'keep', 'system')


def keep_freed_memory() -> Optional[str]:
    """Tells glibc's malloc to keep freed memory for reuse.

    Large blocks come from the heap instead of ``mmap`` (``M_MMAP_MAX=0``)
    and the heap is not trimmed below 2 GiB of free space
    (``M_TRIM_THRESHOLD``). Applies to the blocks allocated afterwards, in
    this process and in the processes it forks (dataloader workers).

    Returns:
        str, optional: None when applied, else why not (another C library
        than glibc, or no ``mallopt``).
    """
    libc_name, _ = platform.libc_ver()
    if libc_name != 'glibc':
        return f'the C library is {libc_name or "not glibc"}'
    mallopt = getattr(ctypes.CDLL(None), 'mallopt', None)
    if mallopt is None:
        return 'glibc has no mallopt'
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    for param, value in ((M_MMAP_MAX, 0), (M_TRIM_THRESHOLD,
                                           MAX_TRIM_THRESHOLD)):
        if mallopt(param, value) != 1:
            return f'mallopt({param}, {value}) failed'
    return None


def apply_cpu_heap(choice: str, on_cpu: bool) -> Optional[str]:
    """Acts on the ``--cpu-heap`` option of the tools.

    Args:
        choice (str): 'auto' (keep freed memory when the run is on the
            CPU), 'keep' (always) or 'system' (leave malloc alone).
        on_cpu (bool): Whether the run has no CUDA device.

    Returns:
        str, optional: A line for the log, or None when nothing was done.

    Raises:
        ValueError: ``choice`` is not one of :data:`CPU_HEAP_CHOICES`.
    """
    if choice not in CPU_HEAP_CHOICES:
        raise ValueError(
            f'--cpu-heap must be one of {CPU_HEAP_CHOICES}, got {choice!r}')
    if choice == 'system' or (choice == 'auto' and not on_cpu):
        return None
    why_not = keep_freed_memory()
    if why_not is not None:
        return f'--cpu-heap {choice}: left malloc alone ({why_not})'
    return (f'--cpu-heap {choice}: freed memory stays in the process heap '
            '(no page faults for re-allocated activations; resident memory '
            "stays at the run's peak). --cpu-heap system turns this off.")
