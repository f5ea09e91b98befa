"""Durable work: what a request leaves to the worker (``flask --app incubator worker``).

Two tables share one life (``OutgoingMail`` for mails, ``Job`` for the rest): a row is
written in the request's transaction, so it exists exactly when what caused it was
committed, and survives the process that wrote it (no thread after the response: issue 15).
The worker then

1. **claims** a batch of due rows in one ``UPDATE … WHERE id IN (SELECT … LIMIT n
   FOR UPDATE SKIP LOCKED) RETURNING id`` (``attempts`` + 1, ``claimed_at`` = now). On
   PostgreSQL ``SKIP LOCKED`` lets several workers take different rows without waiting;
   on SQLite the statement holds the write lock from its start, so two workers never both
   claim a row. A row claimed longer ago than ``WORKER_STUCK_SECONDS`` belonged to a worker
   that died while working on it (SIGKILL, power cut) and is due again; a live worker
   finishes a mail in seconds (``MAIL_TIMEOUT``), so a row is never done twice while the
   first worker lives;
2. does the work and records the outcome, row by row, each in its own commit: done (a job
   or a secret mail is deleted, another mail gets ``sent_at``), or failed: ``last_error``,
   and the next attempt after ``BACKOFF[attempts - 1]`` (1 min, 5 min, 30 min, 2 h, 12 h);
   after ``MAX_ATTEMPTS`` the row is marked ``failed_at`` and waits for a manager's
   "retry now" (/admin/outbox).

Jobs: a feature registers a handler under a kind (``@handler("password_reset")``) and a
request calls ``enqueue(kind, **payload)`` (JSON values only): the request's cost is one
INSERT, whatever the job will find. A handler runs in a request context on ``BASE_URL``
(for links) and commits its own work; an exception is a failed attempt. The job's row is
deleted in the handler's transaction, so its first commit records the work and the job's end
together: a worker killed after it leaves nothing to run again, and one killed before it
leaves the job to run again with nothing of the first run kept (its work rolled back). A
handler that commits twice and dies between the two runs again: commit once. A mail a
handler queues is a row of that same commit; the mail itself leaves at least once (see
``outbox``: a worker killed between the mail server's acceptance and the commit of
``sent_at`` sends it again after ``WORKER_STUCK_SECONDS``; docs/deployment.md).

A shared primitive: it knows no feature, features register with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, g, has_app_context
from sqlalchemy import delete, or_, select, update

from .extensions import db
from .models import Job, OutgoingMail, utcnow
from .security_log import quiet_database_error

#: Wait before the attempt after the n-th failed one (n = 1…5), then the row is failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2), timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1

Queued = type[OutgoingMail] | type[Job]

_handlers: dict[str, Callable[..., None]] = {}


def handler(kind: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``function(**payload)`` as the handler of the jobs of ``kind``."""
    def register(function: Callable[..., None]) -> Callable[..., None]:
        _handlers[kind] = function
        return function
    return register


def enqueue(kind: str, **payload: Any) -> Job:
    """Add a job to the caller's transaction (no flush: the route's commit writes it).
    Raises KeyError for a kind nobody registered (a typo must fail in the request's tests,
    not in the worker)."""
    if kind not in _handlers:
        raise KeyError(f"No job handler for {kind!r}")
    job = Job(kind=kind, payload=payload)
    db.session.add(job)
    work_queued()
    return job


def work_queued() -> None:
    """Note that this request left work for the worker (see ``worker.register_worker``:
    when the app drains inline, only such requests do)."""
    if has_app_context():
        g.work_queued = True


def stuck_after() -> timedelta:
    return timedelta(seconds=current_app.config.get("WORKER_STUCK_SECONDS", 600))


def claim(model: Queued, limit: int, now: datetime | None = None) -> list[int]:
    """Claim up to ``limit`` due rows of ``model`` (see the module's docstring) and commit;
    their ids, oldest due first. Rows another worker claimed are skipped."""
    now = now or utcnow()
    due = select(model.id).where(
        model.failed_at.is_(None), model.next_attempt_at <= now,
        or_(model.claimed_at.is_(None), model.claimed_at <= now - stuck_after()))
    if model is OutgoingMail:
        due = due.where(OutgoingMail.sent_at.is_(None))
    due = due.order_by(model.next_attempt_at, model.id).limit(limit).with_for_update(
        skip_locked=True)
    ids = db.session.scalars(
        update(model).where(model.id.in_(due))
        .values(attempts=model.attempts + 1, claimed_at=now)
        .returning(model.id).execution_options(synchronize_session=False)).all()
    db.session.commit()
    return sorted(ids)


def release(model: Queued, ids: list[int]) -> None:
    """Give back rows claimed but not worked on (the worker is stopping): due at once,
    their attempt not counted."""
    if ids:
        db.session.execute(
            update(model).where(model.id.in_(ids), model.claimed_at.is_not(None))
            .values(attempts=model.attempts - 1, claimed_at=None)
            .execution_options(synchronize_session=False))
        db.session.commit()


def failure_values(attempts: int, error: str, now: datetime | None = None) -> dict[str, Any]:
    """The columns of a row whose ``attempts``-th attempt failed with ``error``: due again
    after the back-off, or failed for good after the last attempt."""
    now = now or utcnow()
    values: dict[str, Any] = {"claimed_at": None, "last_error": error[:1000]}
    if attempts >= MAX_ATTEMPTS:
        values["failed_at"] = now
    else:
        values["next_attempt_at"] = now + BACKOFF[max(attempts, 1) - 1]
    return values


def error_text(error: BaseException) -> str:
    """The error as the outbox page shows it (``last_error``), at most 1,000 characters; a
    database error without its row values (PostgreSQL's DETAIL can quote the e-mail address
    a password reset's payload holds, which the page must never show)."""
    quiet = quiet_database_error(error)
    return (quiet or f"{type(error).__name__}: {error}")[:1000]


def run_job(job_id: int) -> bool:
    """Run one claimed job; True when it was done (and deleted). Its handler commits its
    own work; on an exception that work is rolled back and the attempt recorded."""
    job = db.session.get(Job, job_id)
    if job is None:
        return False
    kind, attempts, payload = job.kind, job.attempts, dict(job.payload or {})
    function = _handlers.get(kind)
    try:
        if function is None:
            raise LookupError(f"No job handler for {kind!r}")
        # The job's deletion rides in the handler's own transaction: the commit that records
        # its work also ends the job, so a worker killed right after it cannot run it again.
        # A handler that fails rolls the deletion back with its work.
        db.session.execute(delete(Job).where(Job.id == job_id)
                           .execution_options(synchronize_session=False))
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            function(**payload)
        db.session.commit()  # a handler that committed nothing (no account): the deletion
    except Exception as error:  # noqa: BLE001 — a failed job must not stop the others
        db.session.rollback()
        current_app.logger.exception("Job %s (%s) failed, attempt %s", job_id, kind, attempts)
        db.session.execute(update(Job).where(Job.id == job_id)
                           .values(**failure_values(attempts, error_text(error)))
                           .execution_options(synchronize_session=False))
        db.session.commit()
        return False
    current_app.logger.info("Job %s (%s) done", job_id, kind)
    return True


def retry_now(model: Queued, row_id: int, seen_attempts: int) -> bool:
    """A manager's "retry now": the row is due at once with a fresh round of attempts, if
    it is still as the manager saw it (``seen_attempts``) and no worker holds it; False
    otherwise (already retried, being worked on, or gone). Flushes, no commit."""
    statement = update(model).where(
        model.id == row_id, model.attempts == seen_attempts,
        or_(model.claimed_at.is_(None), model.claimed_at <= utcnow() - stuck_after()))
    if model is OutgoingMail:
        statement = statement.where(OutgoingMail.sent_at.is_(None))
    done = db.session.execute(
        statement.values(attempts=0, failed_at=None, claimed_at=None,
                         next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    return done == 1
