"""A savepoint is part of its transaction on every database: what a ``begin_nested()``
block wrote is undone by the transaction's rollback, even when the block was the
transaction's first statement (on SQLite, Python's driver would otherwise let the
SAVEPOINT open the transaction and its RELEASE commit it; incubator/extensions.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from incubator.extensions import db
from incubator.models import Theme


def _themes() -> int:
    return db.session.scalar(select(func.count()).select_from(Theme))


def test_a_savepoint_opening_the_transaction_is_undone_by_its_rollback(app):
    before = _themes()
    db.session.commit()  # nothing open: the savepoint is the transaction's first statement
    with db.session.begin_nested():
        db.session.add(Theme(name="Écrit dans un point de sauvegarde"))
    db.session.rollback()
    assert _themes() == before


def test_a_savepoint_released_then_the_transaction_committed_keeps_its_rows(app):
    before = _themes()
    db.session.commit()
    with db.session.begin_nested():
        db.session.add(Theme(name="Gardé"))
    db.session.commit()
    db.session.remove()
    assert _themes() == before + 1


def test_a_savepoint_rolled_back_alone_keeps_what_came_before(app):
    before = _themes()
    db.session.commit()
    db.session.add(Theme(name="Avant"))
    db.session.flush()
    savepoint = db.session.begin_nested()
    db.session.add(Theme(name="Dans le point"))
    db.session.flush()
    savepoint.rollback()
    db.session.commit()
    assert _themes() == before + 1


def test_on_sqlite_a_savepoint_opening_the_transaction_takes_the_write_lock(tmp_path):
    """The savepoint guards a write (a free place, a unique key): its transaction holds
    SQLite's write lock from the start, so another process's commit cannot slip in between
    its reads and its first write (WAL would then refuse the write at once, "database is
    locked": 503s under concurrent moves, bench/stress.py)."""
    import sqlite3

    import pytest
    from sqlalchemy import create_engine, text

    path = tmp_path / "lock.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            connection.execute(text("CREATE TABLE places (position INTEGER UNIQUE)"))
            connection.commit()
            savepoint = connection.begin_nested()
            connection.execute(text("SELECT max(position) FROM places"))
            other = sqlite3.connect(path, timeout=0)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
            connection.execute(text("INSERT INTO places VALUES (1)"))
            savepoint.commit()
            connection.commit()
    finally:
        engine.dispose()
