"""Freed memory handed back to the system between stages.

Parsing a busy day allocates and frees gigabytes of short-lived buffers: Arrow's
allocator (mimalloc) keeps freed pages for reuse, and glibc keeps the tops of
its heaps. Neither is a leak, but both count in the process's resident size,
which is what an admin watching ``top`` during an outage sees. Once the event
table is built they are no longer needed.

The other way round after the parse: the table stages allocate and free
arrays of megabytes by the hundred. glibc serves each from fresh mmap'd pages
(the parse fixes its threshold at 1 MiB, see ``tracer/_fastscan.c``), and on a
VM every fresh page faults at several microseconds: building a busy day's event
table touched half a gigabyte that way. :func:`reuse_pages` lets them come from
the heap and stay there for the next array; :func:`return_pages` restores the
parse's setting.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import pyarrow as pa


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
_PARSE_MMAP = 1 << 20  # what tracer/_fastscan.c sets when it loads
_TABLES_MMAP = 32 << 20  # glibc's maximum on 64-bit systems
_TABLES_TRIM = 128 << 20


@functools.cache
def _libc():
    """glibc, or None on other C libraries."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim, libc.mallopt  # noqa: B018 - glibc only
        return libc
    except (OSError, AttributeError):
        return None


def give_back() -> None:
    """Return the memory the allocators kept after the parse to the operating system."""
    try:
        from ._fastscan import release
    except ImportError:  # no C extension: nothing pooled
        pass
    else:
        release()  # the scan buffers kept for the next block
    pa.default_memory_pool().release_unused()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def reuse_pages() -> None:
    """Big arrays come from the heap, and freed ones stay there for the next (the table stages)."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, _TABLES_MMAP)
        libc.mallopt(_M_TRIM_THRESHOLD, _TABLES_TRIM)


def return_pages() -> None:
    """Big buffers are mmap'd and returned when freed (the parse: see ``tracer/_fastscan.c``)."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, _PARSE_MMAP)  # the trim threshold stays: a lower one costs faults
