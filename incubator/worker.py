"""The worker: ``flask --app incubator worker`` sends the outbox and runs the deferred jobs.

A long-running process beside the app servers (deploy/incubator-worker.service): every
``WORKER_POLL_SECONDS`` it claims what is due (jobs first, since a job may queue mails,
then mails) and works through it until nothing is due; see ``incubator.jobs`` for the
claim, retries and failures. Several workers may run at once (one per machine, say): they
never take the same row. SIGTERM or SIGINT stops it cleanly: the row in hand is finished,
the rest of its batch given back, then it exits 0. ``--once`` drains what is due and exits
(cron, or a test). Without a worker (or the inline mode below), no mail leaves.

Inline mode (``WORKER_INLINE``, on in development and tests, off in production): a request
that queued work drains the queue itself once it has committed, in its own thread, with a
fresh application context (and so a fresh database session) and before the answer is
sent; no thread is ever started. Development needs no second process, and tests see the
mails a request caused as soon as it returns. Off in production: a request's time must not
depend on the mail server, nor on whether a reset address has an account.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

import click
from flask import Flask, current_app, g

from . import jobs, outbox
from .config import MissingSetting, check_production
from .extensions import db
from .models import Job, OutgoingMail

log = logging.getLogger("incubator.worker")

JOB_BATCH = 20
MAIL_BATCH = 50


@dataclass
class Drained:
    """What one ``run_pending`` did: counts of rows."""

    jobs_done: int = 0
    jobs_failed: int = 0
    sent: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.jobs_done + self.jobs_failed + self.sent + self.failed


def run_pending(stop: Callable[[], bool] | None = None) -> Drained:
    """Work through everything due now, batch by batch, until nothing is due or ``stop()``
    is true (rows claimed but not started are then given back). Needs an application
    context; commits row by row (never call it inside a transaction you mean to keep)."""
    drained = Drained()
    stopping = stop or (lambda: False)
    while not stopping():
        job_ids = jobs.claim(Job, JOB_BATCH)
        for position, job_id in enumerate(job_ids):
            if stopping():
                jobs.release(Job, job_ids[position:])
                return drained
            if jobs.run_job(job_id):
                drained.jobs_done += 1
            else:
                drained.jobs_failed += 1
        mail_ids = jobs.claim(OutgoingMail, MAIL_BATCH)
        sent, failed, left = outbox.send_claimed(mail_ids, stopping)
        drained.sent += sent
        drained.failed += failed
        if left:
            jobs.release(OutgoingMail, left)
            return drained
        if not job_ids and not mail_ids:
            break
    return drained


def run_forever(app: Flask, poll_seconds: float, stop: threading.Event) -> None:
    """Drain, wait ``poll_seconds`` (or until ``stop`` is set), again, until ``stop``. A
    database error (PostgreSQL restarting) is logged and the loop carries on."""
    with app.app_context():
        log.info("Worker started: polling every %s s", poll_seconds)
        while not stop.is_set():
            try:
                drained = run_pending(stop.is_set)
                if drained.total:
                    log.info("Worker: %s job(s) done, %s failed; %s mail(s) sent, %s failed",
                             drained.jobs_done, drained.jobs_failed, drained.sent,
                             drained.failed)
            except Exception:  # noqa: BLE001 — the worker outlives a database restart
                log.exception("Worker: draining the queue failed; trying again")
                db.session.rollback()
            finally:
                db.session.remove()
            stop.wait(poll_seconds)
        log.info("Worker stopped")


def _drain_inline(response):
    """Inline mode: drain once the request has committed (see the module's docstring)."""
    if not g.pop("work_queued", False) or response.status_code >= 400 \
            or not current_app.config.get("WORKER_INLINE"):
        return response
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        try:
            run_pending()
        except Exception:  # noqa: BLE001 — never let the queue break the answer
            app.logger.exception("Draining the queue inline failed")
            db.session.rollback()
        finally:
            db.session.remove()
    return response


def register_worker(app: Flask) -> None:
    app.after_request(_drain_inline)

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Drain what is due, then exit.")
    @click.option("--poll", type=float, default=None,
                  help="Seconds between polls (default: INCUBATOR_WORKER_POLL_SECONDS).")
    def worker_command(once: bool, poll: float | None) -> None:
        """Send the queued e-mails and run the deferred jobs (keep it running)."""
        # The same checks as gunicorn's (same environment file): a worker started with a
        # mistyped one would send links built on the wrong address, or drain an SQLite
        # database in memory that no instance writes to.
        try:
            check_production()
        except MissingSetting as error:
            raise click.ClickException(str(error)) from error
        if once:
            drained = run_pending()
            click.echo(f"{drained.jobs_done} job(s) done, {drained.jobs_failed} failed; "
                       f"{drained.sent} sent, {drained.failed} failed.")
            return
        if not logging.getLogger().handlers:  # the service's journal gets the worker's log
            logging.basicConfig(level=logging.INFO,
                                format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        stop = threading.Event()

        def stop_after_current(signum, frame):  # noqa: ARG001
            log.info("Worker: signal %s, stopping after the current row", signum)
            stop.set()

        signal.signal(signal.SIGTERM, stop_after_current)
        signal.signal(signal.SIGINT, stop_after_current)
        run_forever(current_app._get_current_object(),  # type: ignore[attr-defined]
                    poll if poll is not None else app.config["WORKER_POLL_SECONDS"], stop)
