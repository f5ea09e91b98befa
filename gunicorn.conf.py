"""gunicorn settings read by default from the working directory (see README).

Several instances on one machine (deploy/incubator@.service, one port each) each get their own
control socket: gunicorn ≥ 25.1 opens one at a single path per user by default
(``$XDG_RUNTIME_DIR/gunicorn.ctl`` or ``~/.gunicorn/gunicorn.ctl``), where a second instance
would take the first one's place (``gunicornc`` would then talk to the wrong one). Here the
default follows the bind address (``…/incubator-127.0.0.1_8001.ctl``);
``INCUBATOR_CONTROL_SOCKET`` chooses a path, or ``off`` for none; ``--control-socket`` or
``--no-control-socket`` on the command line win over both.
"""

import gc
import os
import re

from gunicorn.glogging import Logger

# Served by gunicorn means production: the app refuses to start without the settings it
# cannot do without (INCUBATOR_BASE_URL…), instead of guessing them from requests.
os.environ.setdefault("INCUBATOR_ENV", "production")


class JsonLogger(Logger):
    """gunicorn's own log lines (a worker booted, exited, timed out; the master's errors)
    as the app's: one JSON object a line (``incubator.security_log.JsonFormatter``, logger
    ``gunicorn.error``), on the same stream. gunicorn's handlers keep their place; only
    their format changes. Not ``logconfig_dict``: that would switch gunicorn's access log on
    (a line per request, query strings included) and give the root logger a handler. The
    access log stays off (the app writes its own); turned on with ``--access-logfile``, its
    lines would be JSON too, their message gunicorn's (query string included)."""

    def setup(self, cfg):
        super().setup(cfg)
        from incubator.security_log import JsonFormatter

        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if getattr(handler, "_gunicorn", False):
                    handler.setFormatter(JsonFormatter())


# INCUBATOR_LOG_FORMAT as the app reads it (config.py): JSON unless "text", in production.
if (os.environ.get("INCUBATOR_LOG_FORMAT") or "json").strip().lower() == "json":
    logger_class = JsonLogger


def _instance_control_socket(cfg):
    """The control socket's path for this instance, or None for none (see the docstring)."""
    if cfg.control_socket_disable:
        return None
    chosen = os.environ.get("INCUBATOR_CONTROL_SOCKET")
    if chosen is not None:
        chosen = chosen.strip()
        return None if chosen.lower() in {"", "off", "none", "0"} else chosen
    default = cfg.settings["control_socket"].default
    if cfg.control_socket != default:  # --control-socket PATH
        return cfg.control_socket
    name = "+".join(re.sub(r"[^A-Za-z0-9.-]+", "_", address).strip("_") for address in cfg.bind)
    return os.path.join(os.path.dirname(default), f"incubator-{name}.ctl")


def on_starting(server):
    # Fail in the master, with a clear message, before any worker tries to boot.
    from incubator.config import check_production

    check_production(workers=server.cfg.workers)
    path = _instance_control_socket(server.cfg)
    if path is None:
        server.cfg.set("control_socket_disable", True)
    else:
        server.cfg.set("control_socket", path)
    _preload(server)


def _preload(server):
    """Load the app once in the master, after the settings check, so the workers forked from
    it share its pages (modules, templates, translations) instead of each building its own.

    gunicorn's ``preload_app`` would load it before ``on_starting``, that is before the
    check above could list what is missing; loading it here keeps the check first, and
    ``server.app.wsgi()`` keeps the loaded app for every worker. ``gc.freeze()`` after the
    load is the documented pattern (Python's gc docs: objects alive at fork stay out of the
    collector's scans, so collecting does not write to, and unshare, their pages).
    Consequence: SIGHUP (``systemctl reload``) re-reads gunicorn's settings and restarts the
    workers but not the code: deploy new code with a restart. ``INCUBATOR_PRELOAD=0`` turns
    this off (each worker loads the app, as before)."""
    if os.environ.get("INCUBATOR_PRELOAD", "1").strip().lower() in {"0", "off", "no", "false"}:
        return
    app = getattr(server, "app", None)
    if app is None or not hasattr(app, "wsgi"):
        return
    app.wsgi()
    # What loading freed goes back to the system before the fork, so no worker starts with
    # it in its resident set (glibc's malloc_trim; docs/performance.md).
    gc.collect()
    _trim_heap()
    gc.freeze()


def post_fork(server, worker):
    """The app's database pools were made in the master: connections it may have opened
    (none by design, but a hook may query) must not be shared by two processes. SQLAlchemy's
    "Using Connection Pools with Multiprocessing or os.fork()": ``engine.dispose(close=False)``
    in the child gives it a fresh pool without closing the parent's sockets."""
    app = getattr(getattr(server, "app", None), "callable", None)
    if app is None or not hasattr(app, "app_context"):
        return
    from incubator.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def post_worker_init(worker):
    # Objects created at start-up (the app, its templates) never become garbage: keeping them
    # out of the collector's scans shortens its pauses (p95) noticeably.
    gc.freeze()
    _return_big_allocations()


def _return_big_allocations():
    """Give argon2's memory block (12 MiB) back to the system after each login (glibc only).

    glibc serves blocks over a threshold with mmap and unmaps them when freed, but raises
    that threshold to the size of any such block freed (up to 32 MiB): after the first login
    argon2's block came from the heap and stayed in the worker's resident memory. A fixed
    threshold (mallopt M_MMAP_THRESHOLD, which turns the raising off) keeps them unmapped."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(-3, 1024 * 1024)  # M_MMAP_THRESHOLD = 1 MiB


def _trim_heap():
    """Return the heap's free pages to the system (glibc ≥ 2.8's ``malloc_trim(0)`` releases
    free pages anywhere in the heap, not only at its top)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def _glibc():
    """The C library when it is glibc (it has ``mallopt`` and ``malloc_trim``), else None."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt  # noqa: B018  (musl and others have neither)
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc
