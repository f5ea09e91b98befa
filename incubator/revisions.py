"""Revisions: a cheap value that changes whenever a commit wrote a table a cached view shows.

The board's whole-columns cache and its ``ETag`` (``board/pages.py``) are keyed by the
``board`` revision: one row of ``revisions`` whose ``value`` is redrawn at random by every
commit that wrote one of ``WATCHED["board"]``'s tables, inside that same transaction, so a
reader that sees the new data sees the new revision, and the other way round.

How every writer bumps it, without knowing it: every statement sent through SQLAlchemy
(sessions, ORM bulk ``update()``/``delete()``/``insert()``, Core, ``text()``, CLI commands,
imports, erasures, the retention purge, the demo, Alembic's data migrations) passes the
Engine's ``before_cursor_execute`` event, which notes on the connection the revisions a
write (``INSERT INTO``/``UPDATE``/``DELETE FROM`` a watched table) is due to change; the
Engine's ``commit`` event, just before the DBAPI commit, then updates their rows, last.
On PostgreSQL the revision row's lock is thus the last one a transaction takes, held only
for its commit: two writers can wait for each other there but never in a cycle (no
deadlock), and writers of the watched tables are serialized for the time of a commit only.
A rollback forgets what was noted.

What it cannot see: writes made outside SQLAlchemy (``psql``, ``sqlite3``, ``pg_restore``;
``backup.restore`` bumps after its restore). The caches keyed by a revision also expire
after ``BOARD_CACHE_SECONDS`` (60 s by default), which bounds what those can leave stale.
"""

from __future__ import annotations

import re
import secrets
import weakref
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import bindparam, event, insert, inspect, select, update
from sqlalchemy.engine import Connection, Engine

from .extensions import db
from .models import Revision

#: The tables each revision watches: every table a board page reads (its columns, cards,
#: marks, filter choices, the layout's pole settings), checked by
#: tests/test_board_revision.py against the statements a board page really sends.
WATCHED: dict[str, frozenset[str]] = {
    "board": frozenset({
        "projects", "project_holders", "users", "themes", "stages", "next_steps",
        "mentorships", "organisations", "supports", "pole_settings", "cohorts",
        "cohort_projects",
    }),
}
#: Columns whose update alone does not change a watched view: a user's login time and
#: password hash (a login would otherwise empty every board cache), language (the board's
#: key holds the request's own) and e-mail preference (any holder clicking EN or FR, or
#: ticking a box, would otherwise empty every worker's board cache).
IGNORED_COLUMNS: dict[str, frozenset[str]] = {
    "users": frozenset({"last_login_at", "password_hash", "locale", "email_notifications"}),
}

_DUE = "revisions_due"  # Connection.info key: the revision names the transaction must bump
_WRITE = re.compile(
    r'\b(INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+(?:"?\w+"?\.)?"?(\w+)"?', re.I)
_SET = re.compile(r"\bSET\s+(.*?)(?:\bWHERE\b|\bRETURNING\b|$)", re.I | re.S)
_ASSIGNED = re.compile(r'"?(\w+)"?\s*=')
_READS = ("SELECT", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SHOW",
          "EXPLAIN", "ANALYZE", "VACUUM")


@lru_cache(maxsize=4096)
def touched(statement: str) -> frozenset[str]:
    """The revision names a SQL statement's writes are due to change (empty for a read).
    Statements repeat (SQLAlchemy's compiled cache), so each text is analysed once."""
    head = statement.lstrip()[:10].upper()
    if head.startswith(_READS):
        return frozenset()
    names: set[str] = set()
    for match in _WRITE.finditer(statement):
        table = match.group(2).lower()
        if match.group(1).upper() == "UPDATE" and table in IGNORED_COLUMNS:
            assigned = _SET.search(statement, match.end())
            columns = {c.lower() for c in _ASSIGNED.findall(assigned.group(1))} if assigned else set()
            if columns and columns <= IGNORED_COLUMNS[table]:
                continue
        names.update(name for name, tables in WATCHED.items() if table in tables)
    return frozenset(names)


# Engines whose database has the ``revisions`` table (looked up once: before the migration
# that adds it, a data migration's writes bump nothing).
_known: weakref.WeakSet = weakref.WeakSet()


def _noted(conn: Connection, cursor, statement: str, parameters, context, executemany) -> None:
    # Not in ``touched``: its answers are cached, and every DROP or CREATE (tests,
    # downgrades) must make the engines look for the table again.
    if statement.lstrip()[:6].upper().startswith(("DROP", "CREATE")):
        _known.clear()  # any DDL (DROP SCHEMA … CASCADE too): rare, so look again
    names = touched(statement)
    if names:
        conn.info.setdefault(_DUE, set()).update(names)


def _has_table(conn: Connection) -> bool:
    if conn.engine in _known:
        return True
    if inspect(conn).has_table(Revision.__tablename__):
        _known.add(conn.engine)
        return True
    return False


def _bump_due(conn: Connection) -> None:  # Engine "commit": just before the DBAPI commit
    due = conn.info.pop(_DUE, None)
    if due and _has_table(conn):
        for name in sorted(due):  # one order for every writer
            bump(conn, name)


def _forget(conn: Connection) -> None:  # Engine "rollback"
    conn.info.pop(_DUE, None)


# Built once: every commit that wrote a watched table sends it.
_BUMP = (update(Revision.__table__).where(Revision.__table__.c.name == bindparam("revision"))
         .values(value=bindparam("new_value"), changed_at=bindparam("changed")))


def bump(conn: Connection, name: str = "board") -> int:
    """Draw a new value for revision ``name`` on ``conn`` (in its transaction; the row is
    created if missing, e.g. after a test emptied every table). Returns the new value."""
    value = secrets.randbits(63)
    table = Revision.__table__
    now = datetime.now(UTC)
    done = conn.execute(_BUMP, {"revision": name, "new_value": value, "changed": now})
    if done.rowcount == 0:
        conn.execute(insert(table).values(name=name, value=value, changed_at=now))
    return value


def bump_engine(engine: Engine, name: str = "board") -> None:
    """Bump ``name`` in a transaction of its own (after a write SQLAlchemy did not see:
    a restored backup)."""
    with engine.begin() as conn:
        if _has_table(conn):
            bump(conn, name)


def current(name: str = "board") -> int:
    """The revision's value as the request's session sees it (one statement; 0 when the
    row is missing). Read it *before* the data it stands for: a commit that lands between
    the two then leaves the newer data under the older value, never the reverse."""
    return db.session.execute(select(Revision.value).where(Revision.name == name)
                              ).scalar() or 0


def watch() -> None:
    """Listen to every Engine's statements and commits (once per process)."""
    if not event.contains(Engine, "before_cursor_execute", _noted):
        event.listen(Engine, "before_cursor_execute", _noted)
        event.listen(Engine, "commit", _bump_due)
        event.listen(Engine, "rollback", _forget)


@event.listens_for(Revision.__table__, "after_create")
def _first_row(table, connection, **kw) -> None:
    """A schema made by ``create_all`` (tests, benchmarks) gets the row the migration adds."""
    connection.execute(insert(table).values(name="board", value=secrets.randbits(63),
                                            changed_at=datetime.now(UTC)))
