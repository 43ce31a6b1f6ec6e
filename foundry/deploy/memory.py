"""Give a long-running service's large request buffers back to the OS (glibc malloc tuning)."""

from __future__ import annotations

from typing import Any

_LIBC: Any = None


M_MMAP_THRESHOLD = -3  # glibc mallopt parameter


def _libc() -> Any:
    global _LIBC
    if _LIBC is None:
        import ctypes
        import ctypes.util

        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            ok = hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim")
            _LIBC = libc if ok else False
        except OSError:
            _LIBC = False
    return _LIBC


def hand_back_large_buffers(threshold: int = 256 * 1024) -> bool:
    """Make glibc map every buffer of ``threshold`` bytes or more on its own (process-wide).

    By default glibc raises that threshold after the first large free, and from then on a
    request's multi-MB body and audio buffers come from per-thread arenas that keep them: the
    service would stay tens of MB above idle after one large request. A fixed threshold returns
    them to the OS when freed. False where this is not glibc.
    """
    libc = _libc()
    return bool(libc and libc.mallopt(M_MMAP_THRESHOLD, int(threshold)))


def give_back_memory() -> bool:
    """Return free heap pages to the OS (glibc ``malloc_trim``); False where unavailable."""
    libc = _libc()
    return bool(libc and libc.malloc_trim(0))
