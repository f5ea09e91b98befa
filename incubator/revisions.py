"""Revisions: a cheap value that changes whenever a commit wrote a table a cached view shows
(``board``: the board's page; ``choices``: its filter lists, which a move does not change).

The board's whole-columns cache and its ``ETag`` (``board/pages.py``) are keyed by the
``board`` revision: one row of ``revisions`` whose ``value`` is redrawn at random by every
commit that wrote one of ``WATCHED["board"]``'s tables, inside that same transaction, so a
reader that sees the new data sees the new revision, and the other way round.
The funders' report of a closed year (``report/cache.py``) is kept under the ``report``
revision likewise. A commit due to change both bumps both rows in one UPDATE (``bump_all``:
a move costs no statement more than with one revision).

How every writer bumps it, without knowing it: every statement sent through SQLAlchemy
(sessions, ORM bulk ``update()``/``delete()``/``insert()``, Core, ``text()``, CLI commands,
imports, erasures, the retention purge, the demo, Alembic's data migrations) passes the
Engine's ``before_cursor_execute`` event, which notes on the connection the revisions a
write (``INSERT INTO``/``UPDATE``/``DELETE FROM``/``REPLACE INTO`` a watched table, any
``TRUNCATE``) is due to change; the Engine's ``commit`` event, just before the DBAPI
commit, then updates their rows, last.
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

from sqlalchemy import bindparam, case, event, insert, inspect, select, update
from sqlalchemy.engine import Connection, Engine

from .extensions import db
from .models import Revision

#: The tables each revision watches. ``board``: every table a board page reads (its columns,
#: cards, marks, filter choices, the layout's pole settings), checked by
#: tests/test_board_revision.py against the statements a board page really sends.
#: ``choices``: what the board's filter lists read (``board.queries.read_filter_choices``:
#: staff, themes, the communes and mentors of active projects, open cohorts), so that a
#: move, which changes the board, does not make every worker read the lists again.
WATCHED: dict[str, frozenset[str]] = {
    "board": frozenset({
        "projects", "project_holders", "users", "themes", "stages", "next_steps",
        "mentorships", "organisations", "supports", "pole_settings", "cohorts",
        "cohort_projects",
    }),
    "choices": frozenset({
        "projects", "users", "themes", "mentorships", "organisations", "cohorts",
    }),
    #: Every table the funders' report reads (report/cache.py keeps a closed year's),
    #: checked by tests/test_report.py against the statements a report really sends.
    "report": frozenset({
        "projects", "stage_moves", "status_changes", "stages", "themes", "legal_forms",
        "referrals", "partners", "supports", "support_status_changes", "mentorships",
        "mentoring_hours", "organisations", "committee_sittings", "committee_reviews",
        "working_groups", "group_meetings", "meeting_attendance", "accompaniment_times",
        "pole_settings",
    }),
}

#: Columns whose update alone does not change a revision, per revision and table. Board: a
#: user's login time and password hash (a login would otherwise empty every board cache),
#: language (the board's key holds the request's own) and e-mail preference (any holder
#: clicking EN or FR, or ticking a box, would otherwise empty every worker's board cache).
#: Choices: the same but the password hash, whose presence makes an invited advisor staff.
IGNORED_COLUMNS: dict[str, dict[str, frozenset[str]]] = {
    "board": {"users": frozenset({"last_login_at", "password_hash", "locale",
                                  "email_notifications"})},
    "choices": {"users": frozenset({"last_login_at", "locale", "email_notifications"})},
}

#: Columns an update must assign to change a revision, per revision and table (an INSERT
#: or DELETE always does): the filter lists read only a project's status and commune.
ONLY_COLUMNS: dict[str, dict[str, frozenset[str]]] = {
    "choices": {"projects": frozenset({"status", "commune", "commune_key"})},
}

_DUE = "revisions_due"  # Connection.info key: the revision names the transaction must bump
_WRITE = re.compile(
    r'\b(INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)'
    r'(?:\s+ONLY\b)?\s+(?:"?\w+"?\.)?"?(\w+)"?', re.I)
_SET = re.compile(r"\bSET\s+", re.I)
# What ends an UPDATE's SET list (at the statement's own level, not a subquery's).
_SET_END = re.compile(r"\b(?:WHERE|FROM|RETURNING)\b", re.I)
_ASSIGNED = re.compile(r'\s*"?(\w+)"?\s*=')
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|[(),]|\b(?:WHERE|FROM|RETURNING)\b", re.I)


def assigned_columns(statement: str, start: int) -> set[str]:
    """The columns an UPDATE's SET list assigns, the list beginning at ``start`` and ending
    at the statement's own WHERE, FROM or RETURNING (one inside a subquery or a quoted
    text does not end it). Empty when one item is not ``column = …`` (a tuple assignment
    ``(a, b) = …``): the caller then takes every column as assigned."""
    items, depth, begin = [], 0, start
    for token in _TOKENS.finditer(statement, start):
        text = token.group()
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
        elif depth == 0 and text == ",":
            items.append(statement[begin:token.start()])
            begin = token.end()
        elif depth == 0 and _SET_END.fullmatch(text):
            items.append(statement[begin:token.start()])
            break
    else:
        items.append(statement[begin:])
    columns = set()
    for item in items:
        named = _ASSIGNED.match(item)
        if named is None:
            return set()
        columns.add(named.group(1).lower())
    return columns


_READS = ("SELECT", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SHOW",
          "EXPLAIN", "ANALYZE", "VACUUM")


@lru_cache(maxsize=4096)
def touched(statement: str) -> frozenset[str]:
    """The revision names a SQL statement's writes are due to change (empty for a read).
    Statements repeat (SQLAlchemy's compiled cache), so each text is analysed once."""
    head = statement.lstrip()[:10].upper()
    if head.startswith(_READS):
        return frozenset()
    if head.startswith("TRUNCATE"):  # rare (scripts); its tables, CASCADE: take them all
        return frozenset(WATCHED)
    names: set[str] = set()
    for match in _WRITE.finditer(statement):
        table = match.group(2).lower()
        columns: set[str] = set()  # assigned by an UPDATE; empty: all of them, for all we know
        if match.group(1).upper() == "UPDATE":  # ONLY is outside the group
            assigned = _SET.search(statement, match.end())
            if assigned:
                columns = assigned_columns(statement, assigned.end())
        for name, tables in WATCHED.items():
            if table not in tables:
                continue
            if columns:
                ignored = IGNORED_COLUMNS.get(name, {}).get(table)
                if ignored is not None and columns <= ignored:
                    continue
                only = ONLY_COLUMNS.get(name, {}).get(table)
                if only is not None and not columns & only:
                    continue
            names.add(name)
    return frozenset(names)


# Engines whose database has the ``revisions`` table (looked up once: before the migration
# that adds it, a data migration's writes bump nothing).
_known: weakref.WeakSet = weakref.WeakSet()


def _noted(conn: Connection, cursor, statement: str, parameters, context, executemany) -> None:
    # Nearly every statement is a read sent as SQLAlchemy writes it (upper case, no leading
    # space): one C-level prefix test, nothing allocated. Others (writes, DDL, lower case,
    # padded, WITH…, comments) are analysed as before: exactly the reads that ``touched``
    # would find empty skip it, so what is noted is the same.
    if statement.startswith(_READS):
        return
    ddl, names = _analysis(statement)
    if ddl:
        # Outside the cache: every DROP or CREATE (tests, downgrades; DROP SCHEMA … CASCADE
        # too) must make the engines look for the table again. Rare.
        _known.clear()
    if names:
        conn.info.setdefault(_DUE, set()).update(names)


@lru_cache(maxsize=4096)
def _analysis(statement: str) -> tuple[bool, frozenset[str]]:
    """Whether ``statement`` is a DROP or CREATE, and ``touched(statement)``: analysed once
    per text, like ``touched``."""
    return statement.lstrip()[:6].upper().startswith(("DROP", "CREATE")), touched(statement)


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
        bump_all(conn, sorted(due))


def _forget(conn: Connection) -> None:  # Engine "rollback"
    # An invalidated connection (the server went away mid-transaction) holds nothing to
    # forget: the pool cleared its record's info. And ``Connection.info`` would raise
    # PendingRollbackError inside the very rollback that recovers from it, which left the
    # session unusable: the next request of that process answered 500 instead of 503 while
    # PostgreSQL restarted (bench/stress.py --restart-postgres).
    if not conn.invalidated:
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


@lru_cache(maxsize=16)
def _bump_many(names: tuple[str, ...]):
    """``bump_all``'s UPDATE for these names, built once (a move bumps the same two, board
    and report, every time): bind parameters ``value_0``… in the names' order, ``changed``."""
    table = Revision.__table__
    return (update(table).where(table.c.name.in_(names))
            .values(value=case({name: bindparam(f"value_{n}") for n, name in enumerate(names)},
                               value=table.c.name),
                    changed_at=bindparam("changed")))


def bump_all(conn: Connection, names: list[str]) -> None:
    """Draw a new value for each revision of ``names`` on ``conn``, in one UPDATE (a commit
    that writes what several revisions watch costs one statement, as for one); rows
    missing are created (one statement more, rare: after a test emptied every table)."""
    if len(names) == 1:
        bump(conn, names[0])
        return
    table = Revision.__table__
    values = {name: secrets.randbits(63) for name in names}
    now = datetime.now(UTC)
    done = conn.execute(_bump_many(tuple(names)), {
        "changed": now, **{f"value_{n}": values[name] for n, name in enumerate(names)}})
    if done.rowcount < len(names):
        present = set(conn.scalars(select(table.c.name).where(table.c.name.in_(names))))
        for name in names:
            if name not in present:
                conn.execute(insert(table).values(name=name, value=values[name],
                                                  changed_at=now))


def bump_engine(engine: Engine, name: str | None = None) -> None:
    """Bump ``name`` (None: every watched revision) in a transaction of its own (after a
    write SQLAlchemy did not see: a restored backup)."""
    with engine.begin() as conn:
        if _has_table(conn):
            bump_all(conn, [name] if name else sorted(WATCHED))


def current(name: str = "board") -> int:
    """The revision's value as the request's session sees it (one statement; 0 when the
    row is missing). Read it *before* the data it stands for: a commit that lands between
    the two then leaves the newer data under the older value, never the reverse."""
    return db.session.execute(select(Revision.value).where(Revision.name == name)
                              ).scalar() or 0


_BOTH = select(Revision.name, Revision.value).where(Revision.name.in_(("board", "choices")))


def board_and_choices() -> tuple[int, int]:
    """The ``board`` and ``choices`` revisions in one statement (0 for a missing row); read
    them before the data they stand for (see ``current``)."""
    values = dict(db.session.execute(_BOTH).all())
    return values.get("board", 0), values.get("choices", 0)


def watch() -> None:
    """Listen to every Engine's statements and commits (once per process)."""
    if not event.contains(Engine, "before_cursor_execute", _noted):
        event.listen(Engine, "before_cursor_execute", _noted)
        event.listen(Engine, "commit", _bump_due)
        event.listen(Engine, "rollback", _forget)


@event.listens_for(Revision.__table__, "after_create")
def _first_row(table, connection, **kw) -> None:
    """A schema made by ``create_all`` (tests, benchmarks) gets the rows the migrations add."""
    connection.execute(insert(table), [
        {"name": name, "value": secrets.randbits(63), "changed_at": datetime.now(UTC)}
        for name in sorted(WATCHED)])
