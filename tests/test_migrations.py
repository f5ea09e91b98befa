"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from incubator.extensions import db
from incubator.models.types import render_migration_item

from .conftest import TEST_DATABASE_URL, forget_schema, is_postgres, make_app


def _empty_database(app) -> None:
    db.drop_all()
    db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.session.commit()


def _differences(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_item": render_migration_item}
        )
        return compare_metadata(context, db.metadata)


def test_migrations_produce_the_models_schema(tmp_path):
    url = TEST_DATABASE_URL if is_postgres() else f"sqlite:///{tmp_path / 'migrated.db'}"
    app = make_app(url)
    with app.app_context():
        try:
            _empty_database(app)
            upgrade(directory=app.extensions["migrate"].directory)
            assert _differences(app) == []
            assert "alembic_version" in inspect(db.engine).get_table_names()
            # And back down to nothing, then up again: every revision is reversible.
            downgrade(directory=app.extensions["migrate"].directory, revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade(directory=app.extensions["migrate"].directory)
            assert _differences(app) == []
        finally:
            db.session.remove()
            db.engine.dispose()
            forget_schema(url)


def test_setup_command_upgrades_and_seeds_the_default_stages(tmp_path):
    url = TEST_DATABASE_URL if is_postgres() else f"sqlite:///{tmp_path / 'setup.db'}"
    app = make_app(url)
    with app.app_context():
        _empty_database(app)
    try:
        result = app.test_cli_runner().invoke(args=["setup"])
        assert result.exit_code == 0, result.output
        result = app.test_cli_runner().invoke(args=["setup"])  # twice: nothing duplicated
        assert result.exit_code == 0, result.output
        with app.app_context():
            names = db.session.execute(
                text("SELECT name FROM stages ORDER BY position")
            ).scalars().all()
            assert names == [
                "Accueil", "Émergence", "Étude de faisabilité", "Lancement", "Développement",
            ]
            assert db.session.execute(text("SELECT count(*) FROM themes")).scalar() == 16
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        forget_schema(url)
