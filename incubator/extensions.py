"""Flask extensions, created unbound so any module can import them without cycles."""

import sqlite3
import time

from flask import g
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints so Alembic can alter them on every backend (SQLite batch mode too).
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_settings(dbapi_connection, connection_record) -> None:
    """SQLite: write-ahead log (readers never wait for the writer) and fsync at checkpoints
    only, which cuts each commit's wait for the disk; a power cut can lose the last commits,
    never corrupt the file. PostgreSQL is left alone."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_savepoint_inside_a_transaction(connection, name) -> None:
    """SQLite: a savepoint opened before any write of the transaction (``begin_nested()`` as
    its first statement) goes inside a transaction. Python's sqlite3 driver sends its own
    BEGIN only before a write, so such a SAVEPOINT would open the transaction itself and its
    RELEASE would commit it: a later rollback could no longer undo what the savepoint did
    (SQLAlchemy's pysqlite notes, "Serializable isolation / Savepoints / Transactional DDL").

    ``BEGIN IMMEDIATE``: every such savepoint guards a write (a place, a unique key "one
    wins"), so the transaction takes the write lock now, waiting its turn behind another
    writer (the busy timeout). A deferred BEGIN would read in a snapshot first and then
    fail at once with "database is locked" when another process committed in between (WAL
    cannot upgrade a stale snapshot): a move, which reads the column's free place inside
    its savepoint before its first write, got 503s under concurrent moves (bench/stress.py,
    docs/performance.md "Issue 15, third pass: move")."""
    driver = connection.connection.driver_connection
    if isinstance(driver, sqlite3.Connection) and not driver.in_transaction:
        driver.execute("BEGIN IMMEDIATE")
login_manager = LoginManager()
login_manager.login_message = _l("Please log in to see this page.")
csrf = CSRFProtect()
babel = Babel()


def _limit_breached(limit) -> None:
    """Flask-Limiter's ``on_breach``, for every limit of the app: one security event, and the
    real wait kept for the 429 answer's ``Retry-After`` (errors.py). No other answer carries
    Flask-Limiter's headers (``RATELIMIT_HEADERS_ENABLED`` is off)."""
    from .security_log import record  # late: this module stays at the bottom floor

    # What the limit counts (its key function's value): the client address (which may hold
    # colons: IPv6), "reset:<e-mail>" or "password:<account id>"; Flask-Limiter passes
    # [key prefix,] key, scope.
    counted = limit.request_args[-2] if len(limit.request_args) >= 2 else ""
    if counted == get_remote_address():
        scope, fields = "client", {}
    else:
        scope, _, value = counted.partition(":")
        fields = {"email": value} if scope == "reset" else {}
    retry_after = max(1, int(limit.reset_at - time.time()))
    g.rate_limit_retry_after = max(retry_after, g.get("rate_limit_retry_after", 0))
    record("rate_limit.exceeded", scope=scope, limit=str(limit.limit),
           retry_after=retry_after, **fields)


limiter = Limiter(key_func=get_remote_address, on_breach=_limit_breached)
