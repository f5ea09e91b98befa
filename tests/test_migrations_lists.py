"""The reference lists' migration (b5e1d3c7a9f2): note kinds become a table and existing
notes keep their kind; the IAE theme gets its typographic apostrophe unless the name is
taken. Run on the test database (SQLite file or PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from incubator.extensions import db

from .conftest import TEST_DATABASE_URL, forget_schema, is_postgres, make_app

BEFORE = "4c2e8f1a7b39"
STRAIGHT = "Insertion par l'activité économique"
TYPOGRAPHIC = "Insertion par l’activité économique"


def _filler(column) -> object:
    kind = column["type"]
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, 1)
    if isinstance(kind, sa.Date):
        return date(2026, 1, 1)
    if isinstance(kind, sa.Integer | sa.Numeric | sa.Float):
        return 1
    if isinstance(kind, sa.LargeBinary):
        return b""
    return "x"


def _insert(table: str, **values) -> int:
    """A row of ``table`` with ``values`` and a filler in every other required column."""
    columns = inspect(db.engine).get_columns(table)
    row = {c["name"]: _filler(c) for c in columns
           if not c["nullable"] and c["default"] is None and c["name"] != "id"}
    row.update(values)
    names = ", ".join(row)
    marks = ", ".join(f":{name}" for name in row)
    db.session.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), row)  # noqa: S608
    return db.session.execute(text(f"SELECT max(id) FROM {table}")).scalar()  # noqa: S608


@pytest.fixture
def migrated_app(tmp_path):
    url = TEST_DATABASE_URL if is_postgres() else f"sqlite:///{tmp_path / 'lists.db'}"
    app = make_app(url)
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        try:
            upgrade(directory=app.extensions["migrate"].directory, revision=BEFORE)
            yield app
        finally:
            db.session.rollback()
            db.session.remove()
            db.drop_all()
            db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.session.execute(text("DROP TABLE IF EXISTS note_kinds"))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
            forget_schema(url)


def _scalar(sql: str, **params):
    return db.session.execute(text(sql), params).scalar()


def test_existing_notes_keep_their_kind_and_the_iae_theme_gets_its_apostrophe(migrated_app):
    user = _insert("users", email="a@example.org", role="advisor")
    stage = _insert("stages", name="Accueil", position=1, active=True)
    theme = _insert("themes", name=STRAIGHT, position=1, active=True)
    project = _insert("projects", title="P", status="active", stage_id=stage, theme_id=theme,
                      kind=None, outcome=None, funding_need_cents=None, jobs_envisaged=None,
                      jobs_created=None)
    notes = {kind: _insert("notes", project_id=project, author_id=user, kind=kind,
                           visibility="internal", body=kind)
             for kind in ("meeting", "call", "email", "visit", "other")}
    db.session.commit()

    upgrade(directory=migrated_app.extensions["migrate"].directory)

    db.session.commit()
    for kind, note_id in notes.items():
        assert _scalar("SELECT kind FROM notes WHERE id = :id", id=note_id) == kind
    rows = db.session.execute(text(
        "SELECT code, name, name_en, active FROM note_kinds ORDER BY position")).all()
    assert [tuple(r) for r in rows] == [
        ("meeting", "Rendez-vous", "Meeting", True),
        ("call", "Appel téléphonique", "Phone call", True),
        ("email", "E-mail", "E-mail", True), ("visit", "Visite", "Visit", True),
        ("other", "Autre", "Other", True)]
    assert _scalar("SELECT name FROM themes WHERE id = :id", id=theme) == TYPOGRAPHIC
    assert _scalar("SELECT version FROM themes WHERE id = :id", id=theme) == 1
    # A note's kind now points at the table (the CHECK of the five codes is gone).
    keys = inspect(db.engine).get_foreign_keys("notes")
    assert any(k["referred_table"] == "note_kinds" and k["constrained_columns"] == ["kind"]
               for k in keys)

    db.session.commit()  # (PostgreSQL: an open transaction's locks would block the migration)
    downgrade(directory=migrated_app.extensions["migrate"].directory, revision=BEFORE)
    assert _scalar("SELECT name FROM themes WHERE id = :id", id=theme) == STRAIGHT
    assert _scalar("SELECT kind FROM notes WHERE id = :id", id=notes["visit"]) == "visit"


def test_the_theme_is_left_alone_when_the_typographic_name_is_taken(migrated_app):
    straight = _insert("themes", name=STRAIGHT, position=1, active=True)
    typographic = _insert("themes", name=TYPOGRAPHIC, position=2, active=True)
    db.session.commit()
    upgrade(directory=migrated_app.extensions["migrate"].directory)
    assert _scalar("SELECT name FROM themes WHERE id = :id", id=straight) == STRAIGHT
    assert _scalar("SELECT name FROM themes WHERE id = :id", id=typographic) == TYPOGRAPHIC
