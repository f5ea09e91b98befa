"""``flask backup PATH`` and ``restore PATH``: a round trip gives back every row of every
table (and the Alembic revision), on SQLite and on PostgreSQL (incubator/backup.py).

The SQLite phase backs up a database file; the PostgreSQL phase (INCUBATOR_TEST_DATABASE_URL)
the test database itself, with pg_dump and pg_restore from PATH."""

from __future__ import annotations

import sqlite3
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text, update

from incubator import backup
from incubator.extensions import db
from incubator.models import Document, Project, User

from . import factories
from .conftest import Auth, is_postgres

CONTENT = bytes(range(256)) * 40  # every byte value: binary columns come back whole


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table of the models, and alembic_version, in primary key order."""
    db.session.remove()
    rows = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(row) for row in
                                connection.execute(select(table).order_by(*order))]
        rows["alembic_version"] = [tuple(row) for row in connection.execute(
            text("SELECT version_num FROM alembic_version"))]
    return rows


def _fill(app: Flask) -> None:
    """Accounts, projects with their history, a note and a document, through the app."""
    advisor = factories.user("advisor")
    holder = factories.user("holder")
    project = factories.project(holders=[holder], advisor=advisor, stage_position=2,
                                title="Épicerie « Le Panier » d’Allaire")
    factories.project(advisor=advisor, stage_position=3)
    db.session.commit()
    client = app.test_client()
    assert Auth(client).login(holder).status_code == 303
    answer = client.post(f"/projects/{project.id}/documents", data={
        "document-file": (BytesIO(b"%PDF-1.4\n" + CONTENT), "statuts.pdf")})
    assert answer.status_code == 303, answer.status_code


def test_a_backup_restored_gives_back_every_row_of_every_table(file_app, tmp_path):
    _fill(file_app)
    before = snapshot()
    filled = [name for name, rows in before.items() if rows]
    assert {"users", "projects", "stage_moves", "documents", "user_sessions",
            "alembic_version"} <= set(filled)
    runner = file_app.test_cli_runner()
    path = tmp_path / "incubator.backup"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output and path.stat().st_size > len(CONTENT)

    # Life goes on after the backup: rows added, changed, deleted.
    factories.user("manager")
    db.session.execute(update(Project).values(title="Changé après la sauvegarde"))
    db.session.execute(Document.__table__.delete())
    db.session.commit()
    assert snapshot() != before

    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Database restored" in result.output and "erasures replay" in result.output
    after = snapshot()
    # The restore bumps the board's revision (it wrote behind SQLAlchemy: revisions.py), so
    # no process serves a board it cached before; every other row comes back as it was.
    assert after.pop("revisions") != before.pop("revisions")
    assert after == before
    document = db.session.scalars(select(Document)).one()
    assert document.content.endswith(CONTENT)
    # The app works on the restored database.
    assert db.session.scalar(select(User).where(User.role == "manager")) is None


def test_restore_asks_before_replacing_the_database(file_app, tmp_path):
    path = tmp_path / "incubator.backup"
    runner = file_app.test_cli_runner()
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    factories.user("manager")
    db.session.commit()
    before = snapshot()
    refused = runner.invoke(args=["restore", str(path)], input="n\n")
    assert refused.exit_code == 1 and "will be replaced by" in refused.output
    assert "Aborted" in refused.output
    assert snapshot() == before


def test_restore_refuses_a_file_that_is_not_a_backup(file_app, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("pas une sauvegarde")
    result = file_app.test_cli_runner().invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 1
    assert "is not a" in result.output and "backup made by `flask backup`" in result.output


def test_a_restored_database_of_an_unknown_schema_is_reported(file_app, tmp_path):
    path = tmp_path / "incubator.backup"
    runner = file_app.test_cli_runner()
    db.session.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    db.session.commit()
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    heads = backup.code_heads()
    db.session.execute(text("UPDATE alembic_version SET version_num = :v"),
                       {"v": sorted(heads)[0]})
    db.session.commit()
    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 1
    assert "(from_the_future) is not one this code knows" in result.output
    assert "Nothing was changed" in result.output
    # Refused before the restore: the live database kept its own revision.
    db.session.remove()
    assert db.session.scalar(text("SELECT version_num FROM alembic_version")) in heads


def test_missing_postgresql_programs_are_named(monkeypatch, tmp_path):
    from sqlalchemy import create_engine

    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump there
    engine = create_engine("postgresql+psycopg://someone:secret@127.0.0.1/nowhere")
    with pytest.raises(backup.BackupError, match="pg_dump is not on PATH"):
        backup.backup(engine, tmp_path / "x.backup")
    assert not (tmp_path / "x.backup").exists()


def test_the_password_goes_to_pg_dump_by_its_environment_not_its_arguments():
    from sqlalchemy import make_url

    env = backup._pg_environment(make_url("postgresql+psycopg://ana:s3cr%40t@db.local:5433/inc"))
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGDATABASE"],
            env["PGPASSWORD"]) == ("db.local", "5433", "ana", "inc", "s3cr@t")


def test_an_sqlite_backup_is_a_plain_database_file(file_app, tmp_path):
    if is_postgres():
        pytest.skip("SQLite only: the PostgreSQL backup is pg_dump's custom format")
    path = tmp_path / "copy.sqlite3"
    assert file_app.test_cli_runner().invoke(args=["backup", str(path)]).exit_code == 0
    with sqlite3.connect(path) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert Path(path).read_bytes().startswith(backup.SQLITE_HEADER)


def test_a_backup_is_readable_by_its_owner_only(file_app, tmp_path):
    """It holds password hashes, personal data and documents: mode 0600, whatever the umask."""
    path = tmp_path / "incubator.backup"
    assert file_app.test_cli_runner().invoke(args=["backup", str(path)]).exit_code == 0
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_backup_never_replaces_the_live_database(file_app, tmp_path):
    if is_postgres():
        pytest.skip("SQLite only: PostgreSQL's database is not a file of ours")
    live = Path(db.engine.url.database)
    factories.user("manager")
    db.session.commit()
    before = snapshot()
    inode = live.stat().st_ino
    for target in (live, live.with_name(live.name + "-wal"),
                   tmp_path / "." / live.name):
        result = file_app.test_cli_runner().invoke(args=["backup", str(target)])
        assert result.exit_code == 1 and "is the live database" in result.output
    assert live.stat().st_ino == inode and snapshot() == before


def test_restore_refuses_a_foreign_or_damaged_file_before_replacing_anything(
        file_app, tmp_path):
    if is_postgres():
        pytest.skip("SQLite files; PostgreSQL's refusal: test_a_restored_database_of_an_unknown"
                    "_schema_is_reported")
    factories.user("manager")
    db.session.commit()
    before = snapshot()
    foreign = tmp_path / "other.sqlite3"
    with sqlite3.connect(foreign) as other:
        other.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    runner = file_app.test_cli_runner()
    result = runner.invoke(args=["restore", str(foreign), "--yes"])
    assert result.exit_code == 1
    assert "no alembic_version" in result.output and "Nothing was changed" in result.output
    damaged = tmp_path / "damaged.backup"
    assert runner.invoke(args=["backup", str(damaged)]).exit_code == 0
    data = bytearray(damaged.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)  # the header stays, every page is garbage
    damaged.write_bytes(bytes(data))
    result = runner.invoke(args=["restore", str(damaged), "--yes"])
    assert result.exit_code == 1 and "is damaged" in result.output
    assert snapshot() == before


def _restore_of_an_edited_backup(runner, path: Path, *, edits: list[str], undo: list[str]):
    """Back up to ``path`` the live database as the SQL ``edits`` leave it, run ``undo`` on
    it, then restore ``path``: the restore must be refused with nothing changed. Returns
    the refused restore's result (its output names what it refused)."""
    for statement in edits:
        db.session.execute(text(statement))
    db.session.commit()
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    for statement in undo:
        db.session.execute(text(statement))
    db.session.commit()
    db.session.remove()
    before = snapshot()
    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 1
    assert "Nothing was changed" in result.output
    assert snapshot() == before
    return result


def test_restore_refuses_a_backup_whose_tables_are_not_the_models_under_the_same_revision(
        file_app, tmp_path):
    """The revision alone is trusted no more: a backup marked with the code's revision but
    holding another schema (an edited database, a branch's build) is refused, nothing
    changed, each difference named."""
    path = tmp_path / "incubator.backup"
    runner = file_app.test_cli_runner()
    factories.user("manager")
    db.session.commit()
    result = _restore_of_an_edited_backup(
        runner, path,
        edits=["ALTER TABLE notes ADD COLUMN stray_note TEXT",
               "CREATE TABLE strays (id INTEGER PRIMARY KEY)",
               "ALTER TABLE supports DROP COLUMN programme"],
        undo=["ALTER TABLE notes DROP COLUMN stray_note", "DROP TABLE strays",
              "ALTER TABLE supports ADD COLUMN programme VARCHAR(200) NOT NULL DEFAULT ''"])
    assert "do not match the code's models" in result.output
    assert "table strays is not one of the models" in result.output
    assert "table notes has column(s) the models lack: stray_note" in result.output
    assert "table supports lacks column(s) programme" in result.output


def test_a_backup_of_the_models_schema_reads_as_matching(file_app, tmp_path):
    path = tmp_path / "incubator.backup"
    assert file_app.test_cli_runner().invoke(args=["backup", str(path)]).exit_code == 0
    tables = backup.backup_tables(db.engine.url, path)
    assert backup.schema_differences(tables, db.metadata) == []
    assert "position" in tables["projects"] and "version_num" in tables["alembic_version"]


def test_restore_refuses_a_backup_holding_a_trigger_the_app_never_creates(
        file_app, tmp_path):
    """A backup of the code's revision, tables and columns intact, edited to hold a trigger
    (here: whoever logs in becomes a manager) or a view: refused before anything is
    replaced, each named; the app's own backups hold none."""
    path = tmp_path / "incubator.backup"
    runner = file_app.test_cli_runner()
    factories.user("holder", email="intrus@example.org")
    db.session.commit()
    clean = tmp_path / "clean.backup"
    assert runner.invoke(args=["backup", str(clean)]).exit_code == 0
    assert backup.backup_programs(db.engine.url, clean) == []
    if is_postgres():
        edits = ["CREATE FUNCTION promote() RETURNS trigger LANGUAGE plpgsql AS "
                 "$$ BEGIN NEW.role := 'manager'; RETURN NEW; END $$",
                 "CREATE TRIGGER promote BEFORE UPDATE ON users FOR EACH ROW "
                 "EXECUTE FUNCTION promote()",
                 "CREATE VIEW everyone AS SELECT email FROM users"]
        undo = ["DROP VIEW everyone", "DROP TRIGGER promote ON users", "DROP FUNCTION promote()"]
    else:
        edits = ["CREATE TRIGGER promote AFTER UPDATE OF last_login_at ON users BEGIN "
                 "UPDATE users SET role = 'manager' WHERE id = NEW.id; END",
                 "CREATE VIEW everyone AS SELECT email FROM users"]
        undo = ["DROP VIEW everyone", "DROP TRIGGER promote"]
    result = _restore_of_an_edited_backup(runner, path, edits=edits, undo=undo)
    assert "trigger promote" in result.output and "view everyone" in result.output
    with db.engine.connect() as connection:
        if is_postgres():
            assert connection.execute(text(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'promote'")).scalar() == 0
        else:
            assert connection.execute(text(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")).scalar() == 0
    assert runner.invoke(args=["restore", str(clean), "--yes"]).exit_code == 0
