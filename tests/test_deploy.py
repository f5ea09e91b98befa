"""Production start-up checks and the gunicorn set-up for several instances on one machine
(README, "Running on PostgreSQL (production)"; deploy/). Two real instances with their
control sockets are started by tests/test_instances.py."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask, url_for
from gunicorn.config import Config as GunicornConfig

from incubator import config as settings

ROOT = Path(__file__).resolve().parent.parent
GOOD = {
    "INCUBATOR_ENV": "production",
    "INCUBATOR_BASE_URL": "https://incubateur.cades.fr",
    "INCUBATOR_SECRET_KEY": "0123456789abcdef" * 4,
    "INCUBATOR_SECURE_COOKIES": "1",
    "INCUBATOR_DATABASE_URL": "postgresql+psycopg://incubateur@127.0.0.1/incubateur",
    "INCUBATOR_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
}


@pytest.fixture
def environment(monkeypatch):
    """A clean production environment with every setting right; a test spoils some."""
    for name in list(os.environ):
        if name.startswith("INCUBATOR_"):
            monkeypatch.delenv(name)
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_production_with_every_setting_right_starts(environment):
    assert settings.production_problems(workers=4) == []
    settings.check_production(workers=4)


def test_production_lists_every_missing_setting_at_once(environment):
    for name in ("INCUBATOR_BASE_URL", "INCUBATOR_SECRET_KEY", "INCUBATOR_SECURE_COOKIES",
                 "INCUBATOR_RATELIMIT_STORAGE_URI"):
        environment.delenv(name)
    with pytest.raises(settings.MissingSetting) as refused:
        settings.check_production(workers=2)
    message = str(refused.value)
    assert message.startswith("Production settings missing or wrong:")
    assert message.count("\n- ") == 4
    for part in ("INCUBATOR_BASE_URL is not set", "INCUBATOR_SECRET_KEY is not set",
                 "INCUBATOR_SECURE_COOKIES is not on", "memory:// with 2 workers"):
        assert part in message


@pytest.mark.parametrize("key", ["test-secret-key-not-for-production", "changeme", "short" * 3])
def test_production_refuses_a_development_or_short_secret_key(environment, key):
    environment.setenv("INCUBATOR_SECRET_KEY", key)
    [problem] = settings.production_problems()
    assert "development value or shorter than 32 characters" in problem


def test_production_refuses_plain_http_unless_allowed_for_a_trial(environment):
    environment.setenv("INCUBATOR_BASE_URL", "http://incubateur.cades.fr")
    environment.delenv("INCUBATOR_SECURE_COOKIES")
    problems = settings.production_problems()
    assert len(problems) == 2
    assert "must be an https:// address" in problems[0]
    environment.setenv("INCUBATOR_ALLOW_HTTP", "1")
    assert settings.production_problems() == []


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:",
                                 "sqlite:///file:x?mode=memory&uri=true"])
def test_production_refuses_a_database_in_memory(environment, url):
    environment.setenv("INCUBATOR_DATABASE_URL", url)
    [problem] = settings.production_problems()
    assert "SQLite database in memory" in problem


def test_one_worker_may_count_limits_in_memory_but_not_two(environment):
    environment.setenv("INCUBATOR_RATELIMIT_STORAGE_URI", "memory://")
    assert settings.production_problems(workers=1) == []
    [problem] = settings.production_problems(workers=2)
    assert "use Redis" in problem
    environment.setenv("INCUBATOR_RATELIMIT_ENABLED", "0")
    assert settings.production_problems(workers=2) == []


def test_development_is_never_checked(environment):
    environment.delenv("INCUBATOR_ENV")
    environment.delenv("INCUBATOR_SECRET_KEY")
    settings.check_production(workers=4)


# gunicorn: one control socket per instance ------------------------------------------------


def _hooks():
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def _server(*args: tuple[str, object]) -> SimpleNamespace:
    cfg = GunicornConfig()
    for name, value in args:
        cfg.set(name, value)
    return SimpleNamespace(cfg=cfg)


def test_the_control_socket_follows_the_bind_address(environment):
    hooks = _hooks()
    default = GunicornConfig().control_socket
    first = _server(("bind", ["127.0.0.1:8001"]))
    second = _server(("bind", ["127.0.0.1:8002"]))
    hooks["on_starting"](first)
    hooks["on_starting"](second)
    assert first.cfg.control_socket == str(Path(default).parent / "incubator-127.0.0.1_8001.ctl")
    assert second.cfg.control_socket.endswith("incubator-127.0.0.1_8002.ctl")
    assert not first.cfg.control_socket_disable


def test_the_control_socket_is_chosen_by_the_environment_or_turned_off(environment):
    hooks = _hooks()
    environment.setenv("INCUBATOR_CONTROL_SOCKET", "/run/incubateur/a.ctl")
    chosen = _server(("bind", ["127.0.0.1:8001"]))
    hooks["on_starting"](chosen)
    assert chosen.cfg.control_socket == "/run/incubateur/a.ctl"
    environment.setenv("INCUBATOR_CONTROL_SOCKET", "off")
    off = _server(("bind", ["127.0.0.1:8001"]))
    hooks["on_starting"](off)
    assert off.cfg.control_socket_disable


def test_the_command_line_wins_over_the_derived_control_socket(environment):
    hooks = _hooks()
    explicit = _server(("bind", ["127.0.0.1:8001"]), ("control_socket", "/tmp/x.ctl"))  # noqa: S108
    hooks["on_starting"](explicit)
    assert explicit.cfg.control_socket == "/tmp/x.ctl"  # noqa: S108
    disabled = _server(("control_socket_disable", True))
    hooks["on_starting"](disabled)
    assert disabled.cfg.control_socket_disable


def test_gunicorn_refuses_to_start_with_every_problem_listed(tmp_path):
    env = {"PATH": os.environ["PATH"], "INCUBATOR_INSTANCE_PATH": str(tmp_path),
           "XDG_RUNTIME_DIR": str(tmp_path)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run(
        [str(gunicorn), "--workers", "2", "--bind", "127.0.0.1:0", "incubator:create_app()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    for part in ("INCUBATOR_BASE_URL is not set", "INCUBATOR_SECRET_KEY is not set",
                 "INCUBATOR_SECURE_COOKIES is not on", "memory:// with 2 workers"):
        assert part in result.stderr


# Static URLs carry their file's version (incubator/assets.py) ---------------------------


def test_pages_ask_for_static_files_by_their_version(client):
    import hashlib

    html = client.get("/auth/login").get_data(as_text=True)
    version = hashlib.sha256((ROOT / "static/css/app.css").read_bytes()).hexdigest()[:12]
    assert f'href="/static/css/app.css?v={version}"' in html
    assert client.get(f"/static/css/app.css?v={version}").status_code == 200


def test_a_changed_file_gets_a_new_version_and_a_missing_one_none(tmp_path):
    from incubator.assets import static_version

    (tmp_path / "a.css").write_text("body { color: black }")
    first = static_version(str(tmp_path), "a.css")
    assert first is not None and len(first) == 12
    (tmp_path / "a.css").write_text("body { color: navy }")
    assert static_version(str(tmp_path), "a.css") != first
    assert static_version(str(tmp_path), "missing.css") is None
    assert static_version(str(tmp_path), "../etc/passwd") is None


@pytest.mark.parametrize("development", [False, True], ids=["production", "development"])
def test_static_versions_are_computed_once_per_process_unless_templates_reload(
        tmp_path, monkeypatch, development):
    """No os.stat per static URL per request in production; development sees an edit."""
    from incubator import assets

    (tmp_path / "a.css").write_text("body { color: black }")
    app = Flask(__name__, static_folder=str(tmp_path))
    app.config["TEMPLATES_AUTO_RELOAD"] = development
    assets.register_assets(app)
    stats: list[str] = []
    real_stat = os.stat

    def counted_stat(path, *args, **kwargs):
        if str(path).startswith(str(tmp_path)):
            stats.append(path)
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counted_stat)
    with app.test_request_context():
        first = url_for("static", filename="a.css")
        (tmp_path / "a.css").write_text("body { color: navy; }")
        again = [url_for("static", filename="a.css") for _ in range(3)]
    if development:
        assert again[0] != first and len(stats) == 4
    else:
        assert again == [first] * 3 and len(stats) == 1
