"""The board's whole-columns cache with two gunicorn workers: a change committed by another
process through SQLAlchemy bumps the board's revision in the database, so both workers,
though both hold the old columns, show the change at their next request; a write made
behind SQLAlchemy's back (sqlite3 here, psql in production) shows once the cached columns
are BOARD_CACHE_SECONDS old."""

from __future__ import annotations

import sqlite3
import time

from incubator.extensions import db
from incubator.models import User

from .served import both_workers, database_settings, gunicorn, log_in, seed_board, seeding_app


def test_a_change_committed_by_another_process_shows_in_both_workers(tmp_path):
    env = database_settings(tmp_path, INCUBATOR_BOARD_CACHE_SECONDS="4")
    app = seeding_app(env)
    holder_id = seed_board(app)
    try:
        with gunicorn(env) as server:
            cookie = log_in(server.port, "conseil@example.org")
            assert len(both_workers(server.port, cookie, "Nolwenn Briand")) == 2  # both cached
            # Another process, through the app's models: the revision moves with the data.
            with app.app_context():
                db.session.get(User, holder_id).name = "Nolwenn Le Roux"
                db.session.commit()
                db.session.remove()
            assert len(both_workers(server.port, cookie, "Nolwenn Le Roux")) == 2
            # Behind SQLAlchemy's back: seen once the cached columns are 4 s old.
            with sqlite3.connect(tmp_path / "app.sqlite3") as other_process:
                other_process.execute("UPDATE users SET name = 'Nolwenn Morvan' WHERE id = ?",
                                      (holder_id,))
            time.sleep(4.5)
            assert len(both_workers(server.port, cookie, "Nolwenn Morvan")) == 2
    finally:
        with app.app_context():
            db.engine.dispose()
