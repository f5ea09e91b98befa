"""Flask-Migrate without its import cost in the web workers.

``import flask_migrate`` loads Alembic, Mako and (through Alembic's autogenerate) a good part
of SQLAlchemy's schema comparison: about 10 MiB per worker (docs/performance.md, "Memory per
worker") for code only the ``flask db`` commands, ``flask setup``, the backups' version check
and the tests use. ``register_migrate(app, db, directory, **options)`` puts in
``app.extensions["migrate"]`` an object with Flask-Migrate's ``_MigrateConfig`` attributes
(``directory``, ``db``, ``configure_args``, ``metadata``, ``migrate``) that imports
Flask-Migrate only when ``migrate`` is read, and a ``db`` command group that imports it only
when the ``flask`` command line resolves it. ``flask_migrate.upgrade(directory=…)`` and
migrations/env.py work unchanged with it.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask


class LazyMigrateConfig:
    """Flask-Migrate's per-app configuration; the real ``Migrate`` is made on first use."""

    def __init__(self, db: Any, directory: str, **options: Any) -> None:
        self.db = db
        self.directory = directory
        self.configure_args = dict(options)
        self._migrate = None

    @property
    def metadata(self):
        return self.db.metadata

    @property
    def migrate(self):
        """A ``flask_migrate.Migrate`` holding this configuration (not bound to an app:
        its commands read ``current_app.extensions["migrate"]``, this object)."""
        if self._migrate is None:
            from flask_migrate import Migrate

            options = dict(self.configure_args)
            self._migrate = Migrate(
                db=self.db, directory=self.directory,
                compare_type=options.pop("compare_type", True),
                render_as_batch=options.pop("render_as_batch", True), **options)
        return self._migrate


class LazyDbGroup(click.Group):
    """``flask db …``: Flask-Migrate's command group, imported when the CLI asks for it."""

    def _real(self) -> click.Group:
        from flask_migrate.cli import db as db_cli_group

        return db_cli_group

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._real().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        return self._real().invoke(ctx)

    def make_context(self, info_name, args, parent=None, **extra):
        return self._real().make_context(info_name, args, parent=parent, **extra)


def register_migrate(app: Flask, db: Any, directory: str, **options: Any) -> None:
    """Set ``app.extensions["migrate"]`` and the ``flask db`` group, importing nothing of
    Alembic (options: Flask-Migrate's ``compare_type``, ``render_as_batch``, ``render_item``…)."""
    app.extensions["migrate"] = LazyMigrateConfig(db, directory, **options)
    app.cli.add_command(LazyDbGroup("db", help="Database migrations (Flask-Migrate)."))
