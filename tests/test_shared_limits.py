"""Per-client-address limits hold across processes: two gunicorn workers count in Redis.

Skipped when no Redis answers at 127.0.0.1:6379, unless INCUBATOR_REQUIRE_REDIS=1 (CI, where
``.ci/run`` installs and starts Debian's redis-server), where it is an error.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/15"
BUDGET = 6


def _redis():
    try:
        import redis
    except ImportError:  # pragma: no cover - a dependency, see pyproject.toml
        return None, "the redis package is not installed"
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        return None, f"no Redis at {REDIS_URL} ({error}); apt-get install redis-server"
    return client, None


@pytest.fixture
def redis_client():
    client, problem = _redis()
    if client is None:
        if os.environ.get("INCUBATOR_REQUIRE_REDIS") == "1":
            pytest.fail(f"INCUBATOR_REQUIRE_REDIS=1 but {problem}")
        pytest.skip(problem)
    yield client
    client.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """Just enough of a browser: cookies, the CSRF token of the login form, no redirects."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path: str, data: dict | None = None) -> tuple[int, dict, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def csrf(self) -> str:
        status, _, html = self.request("/auth/login")
        assert status == 200
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _serve(tmp_path: Path, prefix: str):
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("INCUBATOR_"):
            del env[name]
    env.update({
        "INCUBATOR_INSTANCE_PATH": str(tmp_path),
        "INCUBATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
        "INCUBATOR_SECRET_KEY": uuid.uuid4().hex,
        "INCUBATOR_RATELIMIT_STORAGE_URI": REDIS_URL,
        "INCUBATOR_RATELIMIT_KEY_PREFIX": prefix,
        "INCUBATOR_LOGIN_LIMIT_PER_IP": f"{BUDGET} per hour",
        "INCUBATOR_ARGON2_TIME_COST": "1",
        "INCUBATOR_ARGON2_MEMORY_COST": "1024",
        "INCUBATOR_ARGON2_PARALLELISM": "1",
    })
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "flask"), "--app", "incubator", "setup"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=60)
    port = _free_port()
    server = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "--no-control-socket", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "tests.gunicorn_app:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/auth/login", timeout=1):  # noqa: S310
                break
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read().decode()[-2000:]) from None
            time.sleep(0.1)
    return server, base


def _stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    server.stderr.close()


def _forget(redis_client, prefix: str) -> None:
    for key in redis_client.scan_iter(f"*{prefix}*"):
        redis_client.delete(key)


def test_two_gunicorn_workers_share_the_per_address_login_limit(redis_client, tmp_path):
    prefix = f"incubator-test-{uuid.uuid4().hex}"
    server, base = _serve(tmp_path, prefix)
    try:
        browser = Browser(base)
        token = browser.csrf()
        # Which worker takes a connection is the kernel's choice: a few rounds, each with
        # its own key prefix, until both workers have answered counted requests.
        for round_ in range(5):
            answers = []
            for i in range(BUDGET + 2):
                status, headers, _ = browser.request("/auth/login", {
                    "csrf_token": token, "email": f"nobody{round_}-{i}@example.org",
                    "password": "not the right password"})
                answers.append((status, headers["X-Worker-Pid"]))
            counted = {pid for status, pid in answers if status == 401}
            if len(counted) == 2:
                break
            _forget(redis_client, prefix)
        statuses = [status for status, _ in answers]
        assert len(counted) == 2, f"one worker answered everything: {answers}"
        # Exactly the budget for the two workers together, not the budget for each.
        assert statuses == [401] * BUDGET + [429] * 2
        assert any(redis_client.scan_iter(f"*{prefix}*"))
    finally:
        _stop(server)
        _forget(redis_client, prefix)
