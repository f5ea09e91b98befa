"""The board's whole-columns cache with two gunicorn workers: a change committed by another
process through SQLAlchemy bumps the board's revision in the database, so both workers,
though both hold the old columns, show the change at their next request; a write made
behind SQLAlchemy's back (sqlite3 here, psql in production) shows once the cached columns
are BOARD_CACHE_SECONDS old."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

from incubator import config as settings
from incubator import create_app
from incubator.extensions import db
from incubator.models import User

from . import factories
from .test_board_card_cache_processes import _both_workers, _get, _log_in, socket_port

ROOT = Path(__file__).resolve().parent.parent


def _wait(port: int, server: subprocess.Popen, seconds: float = 300) -> None:
    """Until gunicorn answers (a loaded machine takes minutes to import the app twice)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            _get(port, "/auth/login", "")
            return
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read().decode()[-2000:]) from None
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def test_a_change_committed_by_another_process_shows_in_both_workers(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    env.update({"INCUBATOR_INSTANCE_PATH": str(tmp_path), "INCUBATOR_DATABASE_URL": url,
                "INCUBATOR_SECRET_KEY": uuid.uuid4().hex, "INCUBATOR_RATELIMIT_ENABLED": "0",
                "INCUBATOR_ARGON2_TIME_COST": "1", "INCUBATOR_ARGON2_MEMORY_COST": "1024",
                "INCUBATOR_ARGON2_PARALLELISM": "1", "INCUBATOR_BOARD_CACHE_SECONDS": "4"})
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "flask"), "--app", "incubator", "setup"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=300)
    app = create_app({**settings.for_tests(url), "SECRET_KEY": env["INCUBATOR_SECRET_KEY"]})
    with app.app_context():
        advisor = factories.user(role="advisor", email="conseil@example.org")
        holder = factories.user(name="Nolwenn Briand")
        factories.project(title="Épicerie mobile", holders=[holder], advisor=advisor)
        db.session.commit()
        holder_id = holder.id
        db.session.remove()
    with socket_port() as free:
        port = int(os.environ.get("INCUBATOR_TEST_PORT") or free)  # a port of one's own
        env["INCUBATOR_BASE_URL"] = f"http://127.0.0.1:{port}"
        env["INCUBATOR_ALLOW_HTTP"] = "1"
        env["INCUBATOR_TRUSTED_HOSTS"] = "127.0.0.1"
        server = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "--no-control-socket", "--workers", "2",
             "--bind", f"127.0.0.1:{port}", "tests.gunicorn_app:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait(port, server)
            cookie = _log_in(port, "conseil@example.org")
            assert len(_both_workers(port, cookie, "Nolwenn Briand")) == 2  # both cached it
            # Another process, through the app's models: the revision moves with the data.
            with app.app_context():
                db.session.get(User, holder_id).name = "Nolwenn Le Roux"
                db.session.commit()
                db.session.remove()
            assert len(_both_workers(port, cookie, "Nolwenn Le Roux")) == 2
            # Behind SQLAlchemy's back: seen once the cached columns are 4 s old.
            with sqlite3.connect(tmp_path / "app.sqlite3") as other_process:
                other_process.execute("UPDATE users SET name = 'Nolwenn Morvan' WHERE id = ?",
                                      (holder_id,))
            time.sleep(4.5)
            assert len(_both_workers(port, cookie, "Nolwenn Morvan")) == 2
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            server.stderr.close()
            with app.app_context():
                db.engine.dispose()
