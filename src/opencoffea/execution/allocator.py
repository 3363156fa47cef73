"""The C allocator of a process that runs chunks: chunk-sized arrays reused, not remapped.

A chunk allocates and frees arrays of its size (100k events of float64: 0.8 MB) dozens
of times. glibc's ``malloc`` serves each allocation above its threshold (128 KiB at first)
with a fresh ``mmap`` and gives it back with ``munmap`` when it is freed, and it gives the
top of its heap back to the system when more than its trim threshold is free there: the
next chunk then touches new pages, each a page fault in the kernel. On the dimuon
benchmark at chunks of 100k that is 30,000 page faults a million events (60 ms of system
time and more in cache misses: 13 % over the hand-written loop against 5 % without them).

So a process that runs chunks (this one for the iterative executor, each worker of a pool
or of dask) serves allocations up to 32 MiB from its heap and keeps up to 64 MiB of it
free for the next chunk: pages are touched once, and reused. The peak of memory is the
same, what a process holds between chunks is at most 64 MiB more. This is the opposite
of what dask's nanny asks of its workers (``MALLOC_TRIM_THRESHOLD_=65536``, undone in
:mod:`.daskworkers`), whose cost issue 10 measured: 5.7 s of system time against 0.7 s.

Only with glibc (Linux); elsewhere this does nothing.

Example:
    >>> tune_allocator()  # with glibc; elsewhere False
    True
"""

from __future__ import annotations

import ctypes
import functools
import platform
import sys

__all__ = ["tune_allocator"]

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 * 1024 * 1024
"""Allocations up to this size come from the heap (glibc's own ceiling for its threshold)."""

TRIM_THRESHOLD = 64 * 1024 * 1024
"""Free memory up to this size is kept at the top of the heap, for the next chunk."""


@functools.cache
def tune_allocator() -> bool:
    """Set glibc's thresholds for a process that runs chunks (once); whether it could."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    # Setting either turns glibc's own adjustment of the thresholds off: both are set.
    return bool(
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
