"""gunicorn settings read by default from the working directory (see README)."""

import gc


def post_worker_init(worker):
    # Objects created at start-up (the app, its templates) never become garbage: keeping them
    # out of the collector's scans shortens its pauses (p95) noticeably.
    gc.freeze()
