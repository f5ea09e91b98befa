"""What a request did to the database, and whether the database can be reached at all.

Two questions an error answer must get right (issue 15: "no false message"):

- ``outcome()``: did the request's work reach the database before it failed? ``SAVED`` (a
  commit of the view went through), ``NOT_SAVED`` (no commit was attempted: the rollback
  undid everything) or ``UNKNOWN`` (a commit was sent and its answer never came: a
  connection lost during COMMIT may or may not have committed, PostgreSQL docs,
  "Transactions and connection loss"). Commits made before the view (the session row's
  "last seen" bookkeeping of ``auth/sessions.py``) are not the user's work and do not count.
- ``is_unavailable(error)``: is this exception the database being out of reach (stopped,
  restarting, refusing connections, its file unreadable) rather than a bug or a conflict?
  Those get a 503 with ``Retry-After`` (errors.py), every other error a 500.

``check_ready()`` is the readiness probe's query (``/healthz/ready``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from .extensions import db

SAVED, NOT_SAVED, UNKNOWN = "saved", "not_saved", "unknown"

_COMMITTING, _COMMITTED = "committing", "committed"

# SQLite's messages (sqlite3 gives no codes through the DB-API) for a database file the
# process cannot use right now: missing directory or a directory in its place, a file that
# is not a database (overwritten, wrong path), the disk, another writer holding the lock
# past the busy timeout, a read-only file or mount. A malformed database is damage, not an
# outage: it stays a 500.
SQLITE_UNAVAILABLE = (
    "unable to open database file", "file is not a database", "disk i/o error",
    "database is locked", "attempt to write a readonly database",
)
# PostgreSQL SQLSTATEs (Appendix A, "PostgreSQL Error Codes") that mean "not now": class 08
# connection exception, 53300 too_many_connections, 57P01 admin_shutdown (pg_terminate_backend,
# a fast shutdown), 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, recovery).
PG_UNAVAILABLE_PREFIXES = ("08", "53300", "57P01", "57P02", "57P03")
# SQLAlchemy's error code of Connection._invalid_transaction (its "Error Messages" page,
# https://sqlalche.me/e/21/8s2b).
_INVALIDATED_IN_TRANSACTION = "8s2b"


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and what caused it (``raise … from``, an exception during handling, an
    InternalServerError's ``original_exception``), a few levels deep."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        yield current
        current = (getattr(current, "original_exception", None) or current.__cause__
                   or current.__context__)


def is_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) says the database cannot be reached or used
    right now: a connection lost or refused, a server shutting down or starting, no free
    connection in the pool in time, SQLite's file unusable (``SQLITE_UNAVAILABLE``)."""
    return any(_one_unavailable(cause) for cause in _causes(error))


def _one_unavailable(error: BaseException) -> bool:
    if isinstance(error, PoolTimeout):  # QueuePool: no connection free within pool_timeout
        return True
    if isinstance(error, PendingRollbackError) and error.code == _INVALIDATED_IN_TRANSACTION:
        # A statement after a lost connection whose error something caught (a page's
        # fallback: the pole's settings, the bell): "Can't reconnect until invalid transaction
        # is rolled back". Only a disconnect invalidates a connection inside a transaction;
        # the session's own PendingRollbackError after a failed flush has another code.
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:  # SQLAlchemy's own verdict: a disconnect
        return True
    original = error.orig
    if isinstance(original, sqlite3.Error):
        message = str(original).lower()
        return any(known in message for known in SQLITE_UNAVAILABLE)
    sqlstate = getattr(original, "sqlstate", None)  # psycopg 3
    if sqlstate:
        return sqlstate.startswith(PG_UNAVAILABLE_PREFIXES)
    # psycopg raises its bare OperationalError, without a SQLSTATE, when the server never
    # answered: connection refused, host unreachable, server closed the connection.
    return type(original).__name__ == "OperationalError" and \
        type(original).__module__.startswith("psycopg")


def outcome() -> str:
    """What the current request's work became: ``SAVED``, ``NOT_SAVED`` or ``UNKNOWN``
    (see the module's docstring). Outside a request: ``NOT_SAVED``."""
    if not has_request_context():
        return NOT_SAVED
    state = g.get("db_commit")
    if state is None:
        return NOT_SAVED
    return SAVED if state == _COMMITTED else UNKNOWN


def _in_view() -> bool:
    return has_request_context() and g.get("db_view_started", False)


def _commit_sent(connection) -> None:  # Engine "commit": just before the DBAPI commit
    if _in_view():
        g.db_commit = _COMMITTING


def _session_committed(session) -> None:  # Session "after_commit": the commit went through
    if _in_view() and g.get("db_commit") == _COMMITTING:
        g.db_commit = _COMMITTED


# Of those, the ones after which the connection is gone: SQLAlchemy is told it is a
# disconnect (its psycopg dialect only looks at whether psycopg already marked the
# connection closed, which it does not at once after a FATAL "terminating connection"), so
# pre-ping replaces such a connection instead of failing the request, and a statement that
# meets one invalidates the pool's older connections.
PG_DISCONNECT_PREFIXES = ("08", "57P01", "57P02")


def _disconnect_verdict(context) -> None:  # Engine "handle_error"
    sqlstate = getattr(context.original_exception, "sqlstate", None)
    if sqlstate and sqlstate.startswith(PG_DISCONNECT_PREFIXES):
        context.is_disconnect = True


def _view_starts() -> None:
    g.db_view_started = True


def _close_session(error: BaseException | None) -> None:
    """Close the request's session before Flask-SQLAlchemy's teardown does (teardowns run
    in reverse order). A connection the server dropped after the request's last statement
    (a restart, pg_terminate_backend) makes that close's ROLLBACK raise; the answer is
    already made, so the session is thrown away with its connections (invalidated, the
    pool opens new ones) instead of letting the error reach the server, whose answer
    would replace ours with a bare 500."""
    try:
        db.session.remove()
    except Exception as failure:  # noqa: BLE001 — see above; logged
        current_app.logger.warning("Closing the database session failed (%s): connection "
                                   "dropped", type(failure).__name__)
        try:
            db.session.invalidate()
        except Exception:  # noqa: BLE001, S110 — already broken; the registry is cleared
            pass
        db.session.registry.clear()


def register_database_watch(app: Flask) -> None:
    """Follow the request's commits. Call it after every other ``before_request`` hook is
    registered (create_app registers the error handlers last): commits made by the hooks
    (session bookkeeping) come before the mark and do not count as the user's work. Also
    closes the session safely at the end of each app context (``_close_session``)."""
    if not event.contains(Engine, "commit", _commit_sent):
        event.listen(Engine, "commit", _commit_sent)
        event.listen(Session, "after_commit", _session_committed)
        event.listen(Engine, "handle_error", _disconnect_verdict)
    app.before_request(_view_starts)
    app.teardown_appcontext(_close_session)


def check_ready() -> None:
    """Run ``SELECT 1`` on a connection of the pool (pre-pinged, so a connection the server
    dropped is replaced first). Raises what SQLAlchemy raises when the database cannot
    answer; on PostgreSQL the wait is bounded by ``connect_timeout`` and a 2 s
    ``statement_timeout`` for this query."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL statement_timeout = 2000"))
        connection.execute(text("SELECT 1"))
        connection.rollback()


def commit_keeping_loaded() -> None:
    """Commit the request's session without expiring the objects it holds, so that the
    answer built after the commit reads them without a statement each (a move's project,
    holders and stages: two to three statements fewer per move, docs/performance.md).

    Only for a caller whose objects hold what was committed: every row it wrote went
    through a version-checked UPDATE that told the loaded object the values written
    (``versions.save_version`` or ``save_version_prebuilt``, ``positions.take_position``),
    and every row it read was read in this transaction, the written ones at the very
    version the UPDATE checked.
    What others commit afterwards is the board's poll's to show, as for any answer. The
    commit is followed as ``outcome()`` follows every commit (same session, same events);
    raises what ``Session.commit`` raises."""
    session = db.session()
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring
