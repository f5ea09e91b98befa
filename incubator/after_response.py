"""Work that runs after the response: ``defer(function, *args)``.

For what must not change how long a request takes or what it answers, e.g. a password reset
whose answer must be the same, in the same time, whether or not the address has an account:
the request only defers the job, which then finds the account and sends the mail.

Jobs run once the view has answered successfully (status below 400), in a thread with their
own application and request context (same host and script root; links in mails come from
``urls.absolute_url`` anyway), or inline when ``MAIL_ASYNC`` is off (tests). A job
commits its own work; an error in it is logged and never reaches the user.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request

from .extensions import db


def defer(function: Callable[..., Any], *args: Any) -> None:
    g.setdefault("after_response", []).append((function, args))


def _run(app: Flask, jobs: list) -> None:
    for function, args in jobs:
        try:
            function(*args)
        except Exception:  # noqa: BLE001 — a failed job must not break the rest
            db.session.rollback()
            app.logger.exception("Job %s after the response failed", function.__name__)


def _start(response):
    jobs = g.pop("after_response", None)
    if not jobs or response.status_code >= 400:
        return response
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("MAIL_ASYNC", True):
        _run(app, jobs)
        return response
    base_url = app.config["BASE_URL"]  # a trusted host, never the request's Host header
    language = request.headers.get("Accept-Language", "")

    def work() -> None:
        with app.test_request_context(base_url=base_url,
                                      headers={"Accept-Language": language}):
            try:
                _run(app, jobs)
            finally:
                db.session.remove()

    threading.Thread(target=work, daemon=True).start()
    return response


def register_after_response(app: Flask) -> None:
    app.after_request(_start)
