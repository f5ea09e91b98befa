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
