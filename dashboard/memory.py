"""Handing memory back to the system, for a server that must fit in ~1 GB (Streamlit Community Cloud).

glibc keeps freed heap pages mapped, and gives each thread that allocates (Streamlit runs every visitor's
script on its own thread) an arena of its own, up to 8 per core. A data set of a million points passes
through ~50 MB of temporaries: without a trim, that stays counted against the app. Linux only; elsewhere
these do nothing.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import sys

M_MMAP_THRESHOLD = -3  # glibc's mallopt() parameter numbers
M_ARENA_MAX = -8
MMAP_THRESHOLD = 1 << 20  # blocks this large get pages of their own, returned to the system when freed


@functools.cache
def _libc():
    """The C library this process runs on (Linux only). Not ctypes.util.find_library: it runs a
    subprocess, and a fork of a server this size counts twice against its memory while it lasts."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


def tune_allocator(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas (as MALLOC_ARENA_MAX would) and fix the size above which a block is mapped
    on its own. glibc raises that threshold each time it frees a large block, so a million-point array,
    freed once, makes the next ones come from the heap, where they stay after being freed."""
    libc = _libc()
    if not (libc and hasattr(libc, "mallopt")):
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas)) and bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def trim() -> bool:
    """Return freed heap pages to the system."""
    libc = _libc()
    return bool(libc and hasattr(libc, "malloc_trim") and libc.malloc_trim(0))


def freeze_imports() -> None:
    """Move every object alive now (the modules Streamlit, NumPy, pandas and Plotly import: ~120,000 of them)
    out of the garbage collector's sight. Streamlit collects after every script run (`runner.postScriptGC`),
    and a full collection walking all of them holds the GIL ~40 ms (~100 ms with both cores busy): every
    visitor's page waits meanwhile. Objects made later are collected as usual."""
    gc.collect()
    gc.freeze()
