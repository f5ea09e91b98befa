"""Per-client-address limits hold across processes: two gunicorn workers count in Redis.

Skipped when no Redis answers at 127.0.0.1:6379, unless INCUBATOR_REQUIRE_REDIS=1 (CI, where
``.ci/run`` installs and starts Debian's redis-server), where it is an error.
"""

from __future__ import annotations

import http.client
import os
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

from .served import database_settings, gunicorn, login_form

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


class Browser:
    """Just enough of a browser: the session cookie and the CSRF token of the login form."""

    def __init__(self, port: int):
        self.port = port
        self.cookie, self.token = login_form(port)

    def start_login(self, email: str) -> tuple[http.client.HTTPConnection, bytes]:
        """Send a failed login's headers only: the worker that takes it waits for the body."""
        body = urllib.parse.urlencode({"csrf_token": self.token, "email": email,
                                       "password": "not the right password"}).encode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.putrequest("POST", "/auth/login")
        connection.putheader("Cookie", self.cookie)
        connection.putheader("Content-Type", "application/x-www-form-urlencoded")
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        return connection, body

    @staticmethod
    def finish(connection: http.client.HTTPConnection, body: bytes) -> tuple[int, str]:
        connection.send(body)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status, response.getheader("X-Worker-Pid")

    def pair(self, first: str, second: str) -> list[tuple[int, str]]:
        """Two failed logins served by the two workers: the first holds one worker (its body
        not sent yet) while the second is answered, necessarily by the other worker."""
        held = self.start_login(first)
        time.sleep(0.3)  # long enough for a worker to take it
        answered = self.finish(*self.start_login(second))
        return [answered, self.finish(*held)]


def _settings(tmp_path: Path, prefix: str) -> dict[str, str]:
    return database_settings(tmp_path, INCUBATOR_RATELIMIT_STORAGE_URI=REDIS_URL,
                             INCUBATOR_RATELIMIT_KEY_PREFIX=prefix,
                             INCUBATOR_LOGIN_LIMIT_PER_IP=f"{BUDGET} per hour")


def _forget(redis_client, prefix: str) -> None:
    for key in redis_client.scan_iter(f"*{prefix}*"):
        redis_client.delete(key)


def test_two_gunicorn_workers_share_the_per_address_login_limit(redis_client, tmp_path):
    prefix = f"incubator-test-{uuid.uuid4().hex}"
    try:
        with gunicorn(_settings(tmp_path, prefix)) as server:
            browser = Browser(server.port)
            answers = []
            for i in range(0, BUDGET + 2, 2):
                pair = browser.pair(f"nobody{i}@example.org", f"nobody{i + 1}@example.org")
                assert pair[0][1] != pair[1][1], "both workers answer each pair"
                answers += pair
        # Exactly the budget for the two workers together, not the budget for each.
        assert [status for status, _ in answers] == [401] * BUDGET + [429] * 2
        assert len({pid for status, pid in answers if status == 401}) == 2
        assert any(redis_client.scan_iter(f"*{prefix}*"))
    finally:
        _forget(redis_client, prefix)
