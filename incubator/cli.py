"""Command-line tasks: ``flask --app incubator setup | create-user | demo | backup |
restore``…"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click
from flask import Flask, current_app

from .extensions import db
from .models import Role
from .reference import seed_reference_data


def bring_database_up_to_date() -> None:
    """Apply every pending migration, then seed the default reference data if missing."""
    from flask_migrate import upgrade  # Alembic only for this command (migrate_lazy.py)

    upgrade(directory=current_app.extensions["migrate"].directory)
    seed_reference_data(db.session)
    db.session.commit()


def register_commands(app: Flask) -> None:
    @app.cli.command("setup")
    def setup_command() -> None:
        """Create or upgrade the database schema and seed the default stages."""
        bring_database_up_to_date()
        click.echo("Database is up to date.")

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--name", default="", help="Display name (defaults to the e-mail's name).")
    @click.option("--password", help="Asked for when not given.")
    def create_user_command(email: str, role: str, name: str, password: str | None) -> None:
        """Create an account, e.g. the first manager."""
        from .auth.services import EmailTaken, create_user
        from .passwords import is_common

        bring_database_up_to_date()
        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        if len(password) < minimum or is_common(password):
            raise click.ClickException(
                f"Choose a password of at least {minimum} characters that is not a common one."
            )
        try:
            user = create_user(email, name, Role(role), password, privacy_accepted=False)
        except EmailTaken as error:
            raise click.ClickException(f"An account already exists for {email}.") from error
        db.session.commit()
        click.echo(f"Created {user.role} {user.email} (id {user.id}).")

    @app.cli.command("demo")
    def demo_command() -> None:
        """Fill an empty database with demo data for the Pays de Redon; print the logins."""
        from .demo import DEMO_LOGINS, load_demo

        bring_database_up_to_date()
        created = load_demo()
        db.session.commit()
        click.echo("Demo data loaded." if created else "Demo data already present: nothing added.")
        click.echo("")
        click.echo("Demo logins (e-mail / password):")
        for role, email, password in DEMO_LOGINS:
            click.echo(f"  {role:<9} {email:<36} {password}")
        click.echo("")
        click.echo("Two-factor authentication: nobody must use it in the demo data; a manager "
                   "requires it in Réglages › Sécurité (/admin/security), and anyone sets it up "
                   "on /account. A new installation requires it of managers.")
        click.echo("")
        click.echo("Then start the server (flask --app incubator run) and open "
                   f"{current_app.config['BASE_URL']}")
        if current_app.config["BASE_URL"].startswith("http://127.0.0.1:"):
            click.echo("Another port: set FLASK_RUN_PORT for both commands "
                       "(export FLASK_RUN_PORT=5001).")
        database = current_app.config["SQLALCHEMY_DATABASE_URI"]
        if database.startswith("sqlite:///"):
            click.echo("To start again from empty demo data: stop the server, delete "
                       f"{database.removeprefix('sqlite:///')} and run this command again.")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def backup_command(path: str) -> None:
        """Copy the whole database to PATH while the app serves (SQLite: the online backup
        API; PostgreSQL: pg_dump's custom format). Documents are in it."""
        from . import backup

        try:
            backup.backup(db.engine, Path(path))
        except (backup.BackupError, OSError, sqlite3.Error) as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Backup written: {path} ({Path(path).stat().st_size} bytes).")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--yes", is_flag=True, help="Replace the database without asking.")
    def restore_command(path: str, yes: bool) -> None:
        """Replace the whole database by the backup at PATH (made by `flask backup`). Stop
        the app first; then run `flask erasures replay` before opening it again."""
        from . import backup

        try:
            backup.check_file(db.engine.url, Path(path))
            revision = backup.backup_revision(db.engine.url, Path(path))
            programs = backup.backup_programs(db.engine.url, Path(path))
        except backup.BackupError as error:
            raise click.ClickException(str(error)) from error
        if programs:  # the app's schema has none: an edited backup (backup_programs)
            raise click.ClickException(
                "The backup holds what this app never creates, code that would run in its "
                "place: " + ", ".join(programs[:20]) + ". It was edited: restore another "
                "backup. Nothing was changed.")
        # Refused before anything is replaced: a foreign database or a newer code's backup
        # would leave the app with a database it cannot run on.
        if backup.revision_state(revision, backup.code_heads()) in ("none", "unknown"):
            raise click.ClickException(
                f"The backup's schema ({revision or 'no alembic_version'}) is not one this "
                "code knows: a backup from a newer version, or not of this app. Nothing was "
                "changed.")
        # Of the code's own revision, its tables and columns must be the models' (an older
        # one differs by design: `flask setup` upgrades it after the restore).
        if backup.revision_state(revision, backup.code_heads()) == "current":
            try:
                differences = backup.schema_differences(
                    backup.backup_tables(db.engine.url, Path(path)), db.metadata)
            except backup.BackupError as error:
                raise click.ClickException(str(error)) from error
            if differences:
                raise click.ClickException(
                    f"The backup's schema is marked {revision}, this code's, but its tables "
                    "do not match the code's models: " + "; ".join(differences[:20])
                    + ". Nothing was changed.")
        if not yes:
            click.confirm(f"Every row of {db.engine.url.render_as_string(hide_password=True)} "
                          f"will be replaced by {path}. Continue?", abort=True)
        db.session.remove()
        try:
            backup.restore(db.engine, Path(path))
        except (backup.BackupError, OSError, sqlite3.Error) as error:
            raise click.ClickException(str(error)) from error
        state, revision = backup.schema_state(db.engine, backup.code_heads())
        click.echo(f"Database restored from {path}.")
        if state == "older":
            click.echo(f"Its schema ({revision}) is older than the code's: run "
                       "`flask --app incubator setup` to upgrade it.")
        elif state != "current":
            raise click.ClickException(
                f"The restored database's schema ({revision or 'no alembic_version'}) is not "
                "one this code knows: a backup from a newer version, or not of this app.")
        click.echo("Now run `flask --app incubator erasures replay` (docs/erasure.md), then "
                   "start the app.")

    # The right to erasure (docs/erasure.md): after a backup restore, before opening the app.
    erasures = click.Group("erasures", help="Erasures of people on request (docs/erasure.md).")
    app.cli.add_command(erasures)

    @erasures.command("replay")
    def replay_erasures_command() -> None:
        """Apply every recorded erasure again (the database's and the erasure log file's):
        run it after restoring a backup, before opening the app. Running it twice changes
        nothing the second time."""
        from .privacy import erasure

        try:
            report = erasure.replay()
        except ValueError as error:
            raise click.ClickException(str(error)) from error
        db.session.commit()
        erasure.append_missing_to_log(report.logged)
        click.echo(f"Erasure log: {erasure.log_path()}")
        click.echo(f"Erasures recorded: {report.total}; restored from the log file: "
                   f"{len(report.restored)}; people erased again: {len(report.erased_again)}"
                   + (f" (n° {', '.join(map(str, report.erased_again))})"
                      if report.erased_again else "")
                   + f"; written to the log file: {len(report.logged)}.")

    @erasures.command("redact-log")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, writable=True))
    def redact_security_log_command(path: str) -> None:
        """Replace, in a security log file (JSON lines), the e-mail and name of erased
        accounts by their pseudonym."""
        from .privacy import erasure

        changed = erasure.redact_security_log(path)
        click.echo(f"{path}: {changed} line(s) rewritten.")

    @app.cli.command("purge")
    @click.option("--dry-run", is_flag=True,
                  help="Print what would be deleted or erased, change nothing.")
    def purge_command(dry_run: bool) -> None:
        """Delete or erase the personal data past its retention period (the settings of
        /admin/retention; docs/retention.md). Meant for cron, e.g. every night:
        15 3 * * *  cd /srv/incubateur && .venv/bin/flask --app incubator purge"""
        from .privacy import retention

        report = retention.purge(dry_run=dry_run)
        db.session.commit()
        if not dry_run:
            try:
                retention.after_commit(report)
            except OSError as error:
                raise click.ClickException(
                    f"The erasures are done but not all in the erasure log ({error}): run "
                    "flask --app incubator erasures replay before the next backup.") from error
        for line in retention.report_lines(report):
            click.echo(line)

    @app.cli.command("rebuild-stage-flow")
    def rebuild_stage_flow_command() -> None:
        """Recompute the managers' review's cumulative-flow summary (stage_flow_days) from
        the stage moves and status changes, in the pole's time zone: after loading history
        in bulk outside the services (docs/performance.md, Managers' review)."""
        from . import stage_flow

        rows = stage_flow.rebuild()
        db.session.commit()
        click.echo(f"Cumulative-flow summary rebuilt: {rows} row(s).")

    # The communes reference (mentoring suggestions: "nearby", distances in km).
    communes = click.Group("communes", help="The communes reference (docs/members.md).")
    app.cli.add_command(communes)

    @communes.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def import_communes_command(path: str) -> None:
        """Add or update communes from a CSV file (geo.api.gouv.fr / INSEE COG columns:
        code, nom, codesPostaux, codeEpci, nomEpci, latitude, longitude)."""
        from .mentoring.services import CommunesFileError, import_communes, read_communes
        from .textfiles import NotText, read_text_file

        with open(path, "rb") as file:
            data = file.read()
        try:
            text, _encoding = read_text_file(data)
            rows = read_communes(text.splitlines())
        except NotText as error:
            raise click.ClickException(f"{path} is not a text (CSV) file.") from error
        except CommunesFileError as error:
            raise click.ClickException(f"{path} lacks the column(s): {error}.") from error
        created, updated = import_communes(rows)
        db.session.commit()
        click.echo(f"Communes: {created} added, {updated} updated, "
                   f"{len(rows) - created - updated} unchanged.")
