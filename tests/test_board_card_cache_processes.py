"""The card cache with two gunicorn workers: a change written by another process (here the
test, straight into the database) shows in the cards of both workers at their next request,
though both had the old card cached."""

from __future__ import annotations

import sqlite3

from incubator.extensions import db

from .served import both_workers, database_settings, gunicorn, log_in, seed_board, seeding_app


def test_a_change_shows_in_both_workers_cards(tmp_path):
    # The cards' own test: the whole-columns cache above them sees a write made behind
    # SQLAlchemy's back only after BOARD_CACHE_SECONDS (tests/test_board_revision_processes.py).
    env = database_settings(tmp_path, INCUBATOR_BOARD_PAGE_CACHE_KB="0")
    app = seeding_app(env)
    holder_id = seed_board(app)
    with app.app_context():
        db.engine.dispose()
    with gunicorn(env) as server:
        cookie = log_in(server.port, "conseil@example.org")
        assert len(both_workers(server.port, cookie, "Nolwenn Briand")) == 2  # both cached it
        with sqlite3.connect(tmp_path / "app.sqlite3") as other_process:
            other_process.execute("UPDATE users SET name = 'Nolwenn Le Roux' WHERE id = ?",
                                  (holder_id,))
        assert len(both_workers(server.port, cookie, "Nolwenn Le Roux")) == 2
