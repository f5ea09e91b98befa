"""Backups of the whole database and their restore (``flask --app incubator backup PATH`` and
``restore PATH``; README, "Backups").

- SQLite: SQLite's online backup API (``sqlite3.Connection.backup``): a consistent copy while
  the app keeps serving; the file is a plain SQLite database. A restore copies it back the
  same way, over the live file, in one step.
- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists
  --single-transaction`` (a failed restore changes nothing). The binaries come from ``PATH``
  (Debian: ``postgresql-client``, the server's major version or newer); the connection is
  given by ``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGDATABASE`` and ``PGPASSWORD`` in their
  environment, never on their command line (where ``ps`` would show a password).

Documents are rows (table ``documents``), so a backup holds them. After a restore the
database's Alembic revision is compared with the code's (``schema_state``).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, Engine

from .revisions import bump_engine

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"  # pg_dump's custom format


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and what to do."""


def kind(url: URL) -> str:
    """``"sqlite"`` or ``"postgresql"``; ``BackupError`` for any other database or an SQLite
    database in memory."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database in (None, "", ":memory:") or "mode=memory" in str(url):
            raise BackupError("The database is SQLite in memory: there is nothing to back up.")
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    raise BackupError(f"Backups know SQLite and PostgreSQL, not {backend}.")


def _pg_environment(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in (("PGHOST", url.host or url.query.get("host")), ("PGPORT", url.port),
                        ("PGUSER", url.username), ("PGDATABASE", url.database),
                        ("PGPASSWORD", url.password)):
        if value:
            env[name] = str(value if not isinstance(value, tuple) else value[0])
    return env


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not on PATH: install PostgreSQL's client programs "
                          "(Debian: apt-get install postgresql-client), of the server's "
                          "version or newer.")
    return found


def _run(command: list[str], url: URL) -> None:
    # The command is ours (a binary found on PATH, fixed options, the backup path given).
    result = subprocess.run(command, env=_pg_environment(url), capture_output=True, text=True,  # noqa: S603
                            check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({result.returncode}): "
                          f"{result.stderr.strip()[-2000:]}")


def _live_files(url: URL) -> set[Path]:
    """The SQLite database's own files (the database, its journal, WAL and shared memory)."""
    live = Path(url.database).resolve()
    return {live, *(live.with_name(live.name + end) for end in ("-journal", "-wal", "-shm"))}


def _private_file(path: Path) -> None:
    """Create ``path`` empty, readable and writable by its owner only (0600): a backup holds
    password hashes, personal data and documents, which the usual umask (022) would let
    every account of the machine read."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def backup(engine: Engine, path: Path) -> None:
    """Write the whole database of ``engine`` to ``path`` (replaced if it exists, only once
    the copy is complete; mode 0600). Raises ``BackupError``, also when ``path`` is the live
    SQLite database or one of its files (replacing it would cut the running app off its
    data: it would go on writing to the replaced file)."""
    url = engine.url
    what = kind(url)
    path = Path(path)
    if what == "sqlite" and path.resolve() in _live_files(url):
        raise BackupError(f"{path} is the live database: give the backup another path.")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _private_file(partial)
        if what == "sqlite":
            source = sqlite3.connect(url.database)
            try:
                target = sqlite3.connect(partial)
                with target:
                    source.backup(target)
                target.close()
            finally:
                source.close()
        else:
            _run([_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={partial}"], url)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def check_file(url: URL, path: Path) -> None:
    """``BackupError`` unless ``path`` is a backup of the kind ``url``'s database takes."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    with path.open("rb") as handle:
        start = handle.read(16)
    expected = SQLITE_HEADER if kind(url) == "sqlite" else PG_DUMP_HEADER
    if not start.startswith(expected):
        raise BackupError(f"{path} is not a {kind(url)} backup made by `flask backup`.")


def backup_revision(url: URL, path: Path) -> str | None:
    """The Alembic revision a backup holds (None: no ``alembic_version``, not a database of
    this app), read without touching the live database, so that a restore can refuse a
    foreign or newer backup before replacing anything. ``BackupError`` for a damaged file
    (SQLite's ``quick_check``; pg_restore cannot read it)."""
    path = Path(path)
    if kind(url) == "sqlite":
        try:
            source = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
        except sqlite3.Error as error:
            raise BackupError(f"{path} cannot be read: {error}") from error
        try:
            try:
                checked = source.execute("PRAGMA quick_check").fetchone()
            except sqlite3.DatabaseError as error:
                raise BackupError(f"{path} is damaged: {error}") from error
            if checked != ("ok",):
                raise BackupError(f"{path} is damaged: {checked[0] if checked else '?'}")
            try:
                row = source.execute("SELECT version_num FROM alembic_version").fetchone()
            except sqlite3.DatabaseError:
                return None
            return row[0] if row else None
        finally:
            source.close()
    # pg_restore writes the table's data as SQL without connecting to any database.
    result = subprocess.run(  # noqa: S603  (our binary, fixed options, the path given)
        [_binary("pg_restore"), "--data-only", "--table=alembic_version", "--file=-",
         str(path)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{path} is damaged: pg_restore: {result.stderr.strip()[-500:]}")
    lines = result.stdout.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line:
            value = lines[number + 1] if number + 1 < len(lines) else "\\."
            return None if value == "\\." else value.strip()
    return None


def backup_tables(url: URL, path: Path) -> dict[str, set[str]]:
    """The tables a backup holds and their columns (``{"users": {"id", "email", …}}``),
    read without touching the live database: SQLite's catalogue (read-only; its own
    ``sqlite_…`` tables left out), or the ``CREATE TABLE`` statements of
    ``pg_restore --schema-only``. ``BackupError`` when the file cannot be read."""
    path = Path(path)
    if kind(url) == "sqlite":
        try:
            source = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
            try:
                names = [row[0] for row in source.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite_%'")]
                return {name: {row[1] for row in source.execute(
                    "SELECT * FROM pragma_table_info(?)", (name,))} for name in names}
            finally:
                source.close()
        except sqlite3.Error as error:
            raise BackupError(f"{path} cannot be read: {error}") from error
    tables: dict[str, set[str]] = {}
    columns: set[str] | None = None
    for line in _pg_schema(path).splitlines():
        if line.startswith("CREATE TABLE "):
            name = line.removeprefix("CREATE TABLE ").split(" (")[0].split(".")[-1]
            columns = tables[name.strip('"')] = set()
        elif columns is not None and line.startswith(")"):
            columns = None
        elif columns is not None and line.strip() and not line.strip().startswith(
                ("CONSTRAINT ", "--")):
            word = line.strip().split()[0]
            columns.add(word.strip('"'))
    return tables


def _pg_schema(path: Path) -> str:
    """The SQL of a PostgreSQL backup's schema (``pg_restore --schema-only``), read without
    connecting to any database. ``BackupError`` when the file cannot be read."""
    result = subprocess.run(  # noqa: S603  (our binary, fixed options, the path given)
        [_binary("pg_restore"), "--schema-only", "--file=-", str(path)],
        capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{path} is damaged: pg_restore: {result.stderr.strip()[-500:]}")
    return result.stdout


# What a PostgreSQL schema dump declares that runs code or reads rows in the app's stead.
_PG_PROGRAM = re.compile(
    r"^CREATE (?:OR REPLACE )?(?:CONSTRAINT )?(EVENT TRIGGER|TRIGGER|FUNCTION|PROCEDURE|"
    r"MATERIALIZED VIEW|VIEW|RULE|POLICY|AGGREGATE|OPERATOR|EXTENSION|CAST)\b\s*(?:IF NOT "
    r"EXISTS\s+)?([^\s(]*)", re.M)


def backup_programs(url: URL, path: Path) -> list[str]:
    """What a backup holds besides tables, indexes, sequences and constraints that would
    run or answer in the app's place once restored: triggers and views (SQLite; PostgreSQL
    also functions, procedures, rules, policies, extensions, casts, operators, aggregates),
    as ``"trigger users_role"``, in the file's order. The app creates none of them
    (migrations/versions), so any is an edited backup: a trigger on ``users`` could make
    an account a manager at its next login. ``BackupError`` when the file cannot be read."""
    path = Path(path)
    if kind(url) == "sqlite":
        try:
            source = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
            try:
                return [f"{kind_} {name}" for kind_, name in source.execute(
                    "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view')"
                    " ORDER BY rowid")]
            finally:
                source.close()
        except sqlite3.Error as error:
            raise BackupError(f"{path} cannot be read: {error}") from error
    programs = []
    for found in _PG_PROGRAM.finditer(_pg_schema(path)):
        name = found.group(2).split(".")[-1].strip('"')  # without its schema: "public."
        programs.append(f"{found.group(1).lower()} {name}".strip())
    return programs


def schema_differences(tables: dict[str, set[str]], metadata) -> list[str]:
    """How ``tables`` (``backup_tables``) differ from the models' ``metadata`` (plus
    ``alembic_version``), one sentence each; empty when they match. A backup of the code's
    own revision must match: otherwise it was edited, or made by a different code under the
    same revision, and the app would fail on it at its first query."""
    expected = {table.name: {column.name for column in table.columns}
                for table in metadata.sorted_tables}
    expected["alembic_version"] = {"version_num"}
    problems = [f"table {name} is missing" for name in sorted(set(expected) - set(tables))]
    problems += [f"table {name} is not one of the models" for name in
                 sorted(set(tables) - set(expected))]
    # Identifiers, not French text: code-point order is the right one here.
    for table in sorted(set(expected) & set(tables)):
        if missing := sorted(expected[table] - tables[table]):
            problems.append(f"table {table} lacks column(s) {', '.join(missing)}")
        if extra := sorted(tables[table] - expected[table]):
            problems.append(f"table {table} has column(s) the models lack: {', '.join(extra)}")
    return problems


def revision_state(revision: str | None, heads: set[str]) -> str:
    """``current``, ``older``, ``unknown`` or ``none`` (see ``schema_state``)."""
    if revision is None:
        return "none"
    if revision in heads:
        return "current"
    return "older" if revision in _known_revisions() else "unknown"


def restore(engine: Engine, path: Path) -> None:
    """Replace every table of ``engine``'s database by the backup at ``path``. Close the
    engine's connections first (``engine.dispose()`` is called here). Raises
    ``BackupError``."""
    url = engine.url
    check_file(url, path)
    engine.dispose()
    if kind(url) == "sqlite":
        source = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
        try:
            target = sqlite3.connect(url.database)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
    else:
        _run([_binary("pg_restore"), "--clean", "--if-exists", "--no-owner",
              "--no-privileges", "--single-transaction", "--exit-on-error",
              f"--dbname={url.database}", str(path)], url)
    # Written behind SQLAlchemy's back: the caches keyed by the board's revision must not
    # serve what the replaced database showed (revisions.py).
    bump_engine(engine)


def schema_state(engine: Engine, heads: set[str]) -> tuple[str, str | None]:
    """The restored database's Alembic revision against the code's ``heads``:
    ``("current", rev)``, ``("older", rev)`` (run ``flask setup``), ``("unknown", rev)``
    (a backup from a newer version of the code) or ``("none", None)`` (no alembic_version)."""
    with engine.connect() as connection:
        try:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")
                                          ).scalar()
        except Exception:  # noqa: BLE001  (no table: not a database of this app)
            return "none", None
    return revision_state(revision, heads), revision


def _scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = Config()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    return ScriptDirectory.from_config(config)


def _known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


def code_heads() -> set[str]:
    """The Alembic head revisions of the code's migrations (needs an app context)."""
    return set(_scripts().get_heads())
