"""The card cache with two gunicorn workers: a change written by another process (here the
test, straight into the database) shows in the cards of both workers at their next request,
though both had the old card cached."""

from __future__ import annotations

import http.client
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from incubator import config as settings
from incubator import create_app
from incubator.extensions import db

from . import factories

ROOT = Path(__file__).resolve().parent.parent


def _get(port: int, path: str, cookie: str) -> tuple[int, str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, "Accept-Language": "fr"})
        response = connection.getresponse()
        body = response.read().decode()
    finally:
        connection.close()
    return response.status, body, response.getheader("X-Worker-Pid")


def _log_in(port: int, email: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/auth/login")
    response = connection.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    connection.close()
    body = urllib.parse.urlencode({"csrf_token": token, "email": email,
                                   "password": factories.PASSWORD})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/auth/login", body=body, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    assert response.status == 303
    jar = dict([cookie.split("=", 1)])
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, value = header.split(";")[0].partition("=")
        jar[name] = value
    connection.close()
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _both_workers(port: int, cookie: str, expected: str) -> set[str]:
    """Board pages until both workers answered; each must show ``expected``."""
    seen: set[str] = set()
    # Two requests at once: a sync worker busy with one leaves the other to its sibling (one
    # after the other, an idle machine may let one worker take them all).
    with ThreadPoolExecutor(2) as pool:
        for _ in range(40):
            for status, html, pid in pool.map(lambda _: _get(port, "/board", cookie), range(2)):
                assert status == 200
                assert expected in html, f"worker {pid} served a stale card"
                seen.add(pid)
            if len(seen) == 2:
                break
    return seen


def test_a_change_shows_in_both_workers_cards(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    env.update({"INCUBATOR_INSTANCE_PATH": str(tmp_path), "INCUBATOR_DATABASE_URL": url,
                "INCUBATOR_SECRET_KEY": uuid.uuid4().hex, "INCUBATOR_RATELIMIT_ENABLED": "0",
                "INCUBATOR_ARGON2_TIME_COST": "1", "INCUBATOR_ARGON2_MEMORY_COST": "1024",
                "INCUBATOR_ARGON2_PARALLELISM": "1",
                # The cards' own test: the whole-columns cache above them sees a write made
                # behind SQLAlchemy's back only after BOARD_CACHE_SECONDS
                # (tests/test_board_revision_processes.py).
                "INCUBATOR_BOARD_PAGE_CACHE_KB": "0"})
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "flask"), "--app", "incubator", "setup"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=60)
    app = create_app({**settings.for_tests(url), "SECRET_KEY": env["INCUBATOR_SECRET_KEY"]})
    with app.app_context():
        advisor = factories.user(role="advisor", email="conseil@example.org")
        holder = factories.user(name="Nolwenn Briand")
        project = factories.project(title="Épicerie mobile", holders=[holder], advisor=advisor)
        db.session.commit()
        holder_id = holder.id
        assert project.id
        db.session.remove()
        db.engine.dispose()
    with socket_port() as port:
        env["INCUBATOR_BASE_URL"] = f"http://127.0.0.1:{port}"
        env["INCUBATOR_ALLOW_HTTP"] = "1"  # no TLS between the test and gunicorn
        env["INCUBATOR_TRUSTED_HOSTS"] = "127.0.0.1"
        env["INCUBATOR_ALLOW_HTTP"] = "1"  # a trial over plain HTTP (config.check_production)
        server = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "--no-control-socket", "--workers", "2",
             "--bind", f"127.0.0.1:{port}", "tests.gunicorn_app:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait(port, server)
            cookie = _log_in(port, "conseil@example.org")
            assert len(_both_workers(port, cookie, "Nolwenn Briand")) == 2  # both cached it
            with sqlite3.connect(tmp_path / "app.sqlite3") as other_process:
                other_process.execute("UPDATE users SET name = 'Nolwenn Le Roux' WHERE id = ?",
                                      (holder_id,))
            assert len(_both_workers(port, cookie, "Nolwenn Le Roux")) == 2
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            server.stderr.close()


class socket_port:
    """A free local port (bound then released)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    def __exit__(self, *_exc) -> None:
        return None


def _wait(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _get(port, "/auth/login", "")
            return
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read().decode()[-2000:]) from None
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")
