"""gunicorn settings read by default from the working directory (see README)."""

import gc
import os

# Served by gunicorn means production: the app refuses to start without the settings it
# cannot do without (INCUBATOR_BASE_URL), instead of guessing them from requests.
os.environ.setdefault("INCUBATOR_ENV", "production")


def on_starting(server):
    # Fail in the master, with a clear message, before any worker tries to boot.
    from incubator.config import check_production

    check_production()


def post_worker_init(worker):
    # Objects created at start-up (the app, its templates) never become garbage: keeping them
    # out of the collector's scans shortens its pauses (p95) noticeably.
    gc.freeze()
    _return_big_allocations()


def _return_big_allocations():
    """Give argon2's 19 MiB block back to the system after each login (glibc only).

    glibc serves blocks over a threshold with mmap and unmaps them when freed, but raises
    that threshold to the size of any such block freed (up to 32 MiB): after the first login
    argon2's block came from the heap and stayed in the worker's resident memory. A fixed
    threshold (mallopt M_MMAP_THRESHOLD, which turns the raising off) keeps them unmapped."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(-3, 1024 * 1024)  # M_MMAP_THRESHOLD = 1 MiB
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune
