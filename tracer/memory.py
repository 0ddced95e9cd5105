"""Freed memory handed back to the system between stages.

Parsing a busy day allocates and frees gigabytes of short-lived buffers: Arrow's
allocator (mimalloc) keeps freed pages for reuse, and glibc keeps the tops of
its heaps. Neither is a leak, but both count in the process's resident size,
which is what an admin watching ``top`` during an outage sees. Once the event
table is built they are no longer needed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import pyarrow as pa


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None on other C libraries."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


def give_back() -> None:
    """Return the memory the allocators kept after the parse to the operating system."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
