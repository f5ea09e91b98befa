"""The app served by gunicorn with several workers, for the tests that need separate processes
(tests/test_board_card_cache_processes.py, test_board_revision_processes.py,
test_shared_limits.py): a database file set up by ``flask setup``, gunicorn started and
stopped by ``bench.common.serve`` (the README's way, its whole process group stopped on
leaving; ``BENCH_PORTS=LOW-HIGH`` keeps its port in a range of one's own), and just enough of
a browser to log in and read the board."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from bench.common import ROOT, Server, free_port, serve
from incubator import config as settings
from incubator import create_app
from incubator.extensions import db

from . import factories

# Password hashing as cheap as the tests' own (a login costs milliseconds, not 12 MiB).
CHEAP_HASHING = {"INCUBATOR_ARGON2_TIME_COST": "1", "INCUBATOR_ARGON2_MEMORY_COST": "1024",
                 "INCUBATOR_ARGON2_PARALLELISM": "1"}


def database_settings(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The ``INCUBATOR_…`` variables of an app on the SQLite file ``tmp_path/app.sqlite3``
    (instance folder ``tmp_path``, cheap hashing), plus ``extra``; the database is created
    and seeded by ``flask setup`` run with them (raises CalledProcessError if it fails)."""
    env = {"INCUBATOR_INSTANCE_PATH": str(tmp_path),
           "INCUBATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
           **CHEAP_HASHING, **extra}
    own = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    flask = Path(sys.executable).with_name("flask")
    subprocess.run([str(flask), "--app", "incubator", "setup"], cwd=ROOT,  # noqa: S603
                   env={**own, **env}, check=True, capture_output=True, timeout=300)
    return env


def seeding_app(env: Mapping[str, str]) -> Flask:
    """An app of the test's own process on the database of ``env`` (to write test data
    through the models, as another process of the deployment would)."""
    return create_app(settings.for_tests(env["INCUBATOR_DATABASE_URL"]))


def seed_board(app: Flask) -> int:
    """On ``app``'s database: an advisor ``conseil@example.org`` and a project « Épicerie
    mobile » of theirs held by Nolwenn Briand, committed. Returns the holder's id."""
    with app.app_context():
        advisor = factories.user(role="advisor", email="conseil@example.org")
        holder = factories.user(name="Nolwenn Briand")
        factories.project(title="Épicerie mobile", holders=[holder], advisor=advisor)
        db.session.commit()
        holder_id = holder.id
        db.session.remove()
    return holder_id


@contextmanager
def gunicorn(env: Mapping[str, str], workers: int = 2) -> Iterator[Server]:
    """``tests/gunicorn_app.py`` (each answer names its worker in ``X-Worker-Pid``) served by
    ``workers`` gunicorn workers with ``env`` and none of the caller's own ``INCUBATOR_…``
    variables; ready when it yields (up to 5 minutes: a loaded machine imports the app
    slowly), stopped on leaving. Raises RuntimeError with gunicorn's log if it cannot start."""
    with serve(env, workers=workers, port=_own_port(), app="tests.gunicorn_app:app",
               inherit=False, ready_seconds=300) as server:
        yield server


def _own_port() -> int | None:
    """Under pytest-xdist: ``free_port``'s choice among this worker's share of
    ``BENCH_PORTS`` (gw0 takes LOW, LOW+n…, gw1 LOW+1…, for n workers), so two workers never
    both pick the port neither has bound yet; otherwise None (``serve`` picks)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return None
    return free_port(int(worker[2:]), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1))


def get(port: int, path: str, cookie: str = "") -> tuple[int, str, str]:
    """GET ``path`` in French with ``cookie``: (status, body, the worker's pid)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, "Accept-Language": "fr"})
        response = connection.getresponse()
        body = response.read().decode()
    finally:
        connection.close()
    return response.status, body, response.getheader("X-Worker-Pid")


def login_form(port: int) -> tuple[str, str]:
    """The login page's session cookie (``name=value``) and CSRF token."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/auth/login")
        response = connection.getresponse()
        html = response.read().decode()
    finally:
        connection.close()
    assert response.status == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return response.getheader("Set-Cookie").split(";")[0], token


def log_in(port: int, email: str) -> str:
    """Log ``email`` in (password ``factories.PASSWORD``); returns the Cookie header."""
    cookie, token = login_form(port)
    body = urllib.parse.urlencode({"csrf_token": token, "email": email,
                                   "password": factories.PASSWORD})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/auth/login", body=body, headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 303
    jar = dict([cookie.split("=", 1)])
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, value = header.split(";")[0].partition("=")
        jar[name] = value
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def both_workers(port: int, cookie: str, expected: str) -> set[str]:
    """Board pages until both workers answered; each must show ``expected``. Returns the
    workers' pids."""
    seen: set[str] = set()
    # Two requests at once: a sync worker busy with one leaves the other to its sibling (one
    # after the other, an idle machine may let one worker take them all).
    with ThreadPoolExecutor(2) as pool:
        for _ in range(40):
            for status, html, pid in pool.map(lambda _: get(port, "/board", cookie), range(2)):
                assert status == 200
                assert expected in html, f"worker {pid} served a stale card"
                seen.add(pid)
            if len(seen) == 2:
                break
    return seen
