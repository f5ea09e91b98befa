"""JSON logs with the request id (issue 15, "Several instances"): one object a line, an
access line per request, the request id from the trusted proxy (security_log.py)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from flask import Flask

from incubator import config as settings
from incubator.extensions import db
from incubator.security_log import JsonFormatter, _text_logs

from . import factories
from .conftest import Auth, make_app, reset_database


class Lines:
    """What the app's JSON handler wrote, one parsed object per line."""

    def __init__(self, stream: io.StringIO):
        self.stream = stream

    def all(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def access(self) -> list[dict]:
        return [line for line in self.all() if line["logger"] == "incubator.access"]


def _json_app(**overrides) -> Iterator[tuple[Flask, Lines]]:
    app = make_app(LOG_FORMAT="json", **overrides)
    reset_database(app)
    [handler] = [h for h in logging.getLogger("incubator").handlers
                 if getattr(h, "incubator_json", False)]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        with app.app_context():
            yield app, Lines(stream)
            db.session.remove()
            db.engine.dispose()
    finally:
        handler.setStream(previous)
        _text_logs()


@pytest.fixture
def json_app() -> Iterator[tuple[Flask, Lines]]:
    yield from _json_app()


@pytest.fixture
def proxied_json_app() -> Iterator[tuple[Flask, Lines]]:
    yield from _json_app(PROXY_FIX=1)


def test_each_request_writes_one_json_access_line_with_its_request_id(json_app):
    app, lines = json_app
    client = app.test_client()
    response = client.get("/auth/login?next=/board")
    [line] = lines.access()
    assert line["message"] == "request"
    assert line["level"] == "INFO" and line["time"].endswith("Z")
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert (line["method"], line["path"], line["status"]) == ("GET", "/auth/login", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["user_id"] is None
    assert "next" not in json.dumps(line)  # never the query string


def test_the_access_line_names_the_logged_in_user_and_never_the_password(json_app):
    app, lines = json_app
    client = app.test_client()
    user = factories.user("advisor")
    db.session.commit()
    assert Auth(client).login(user).status_code == 303
    assert client.get("/board").status_code == 200
    login, board = lines.access()
    assert (login["path"], login["status"]) == ("/auth/login", 303)
    assert board["user_id"] == user.id
    assert factories.PASSWORD not in lines.stream.getvalue()


def test_a_password_link_is_logged_by_its_rule_not_its_token(json_app):
    app, lines = json_app
    app.test_client().get("/auth/password/a-secret-token-from-an-email")
    [line] = lines.access()
    assert line["path"] == "/auth/password/<token>"
    assert "a-secret-token" not in lines.stream.getvalue()


def test_an_error_is_one_json_line_with_its_traceback_and_request_id(json_app):
    app, lines = json_app

    def boom():
        raise RuntimeError("kaboom\nforged line")

    app.add_url_rule("/boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    rid = response.headers["X-Request-ID"]
    error = next(line for line in lines.all() if line["level"] == "ERROR")
    assert error["request_id"] == rid and error["path"] == "/boom"
    assert "RuntimeError: kaboom" in error["exception"]
    assert lines.access()[-1]["status"] == 500 and lines.access()[-1]["request_id"] == rid
    for text in lines.stream.getvalue().splitlines():
        json.loads(text)  # the line break in the message stayed inside its object


def test_the_request_id_comes_from_the_trusted_proxy(proxied_json_app):
    app, lines = proxied_json_app
    given = "0123456789abcdef0123456789abcdef"
    response = app.test_client().get("/auth/login", headers={"X-Request-Id": given})
    assert response.headers["X-Request-ID"] == given
    assert lines.access()[0]["request_id"] == given
    # A value that could not be an id (a forged line, a huge header) gets a new one.
    for bad in ("x\"}{y-forged", "short", "a" * 65, "id with spaces"):
        answer = app.test_client().get("/auth/login", headers={"X-Request-Id": bad})
        assert answer.headers["X-Request-ID"] != bad and len(answer.headers["X-Request-ID"]) == 32


def test_without_a_trusted_proxy_a_client_cannot_choose_its_request_id(json_app):
    app, _lines = json_app
    given = "0123456789abcdef0123456789abcdef"
    response = app.test_client().get("/auth/login", headers={"X-Request-Id": given})
    assert response.headers["X-Request-ID"] != given


def test_text_logs_write_no_access_lines(app, client, caplog):
    with caplog.at_level(logging.INFO, logger="incubator"):
        client.get("/auth/login")
    assert not [r for r in caplog.records if r.name == "incubator.access"]


def test_json_logs_are_the_production_default(monkeypatch, tmp_path):
    monkeypatch.setenv("INCUBATOR_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("INCUBATOR_LOG_FORMAT", raising=False)
    monkeypatch.setenv("INCUBATOR_ENV", "production")
    assert settings.from_environment(tmp_path, False)["LOG_FORMAT"] == "json"
    monkeypatch.delenv("INCUBATOR_ENV")
    assert settings.from_environment(tmp_path, False)["LOG_FORMAT"] == "text"
    monkeypatch.setenv("INCUBATOR_LOG_FORMAT", "JSON")
    assert settings.from_environment(tmp_path, False)["LOG_FORMAT"] == "json"


def test_the_formatter_keeps_secrets_out_of_extra_fields():
    record = logging.LogRecord("incubator.x", logging.INFO, __file__, 1, "m", None, None)
    record.fields = {"password": "hunter2", "status": 200}
    line = json.loads(JsonFormatter().format(record))
    assert line["status"] == 200 and "password" not in line
    assert line["request_id"] is None and "path" not in line


# gunicorn's own lines (gunicorn.conf.py's JsonLogger) ------------------------------------------


@pytest.fixture
def gunicorn_conf(monkeypatch):
    """gunicorn.conf.py read as gunicorn reads it, with INCUBATOR_LOG_FORMAT as given; its
    names (``logger_class``…). gunicorn's loggers are left as they were."""
    import runpy
    from pathlib import Path

    monkeypatch.setenv("INCUBATOR_ENV", "production")
    loggers = [logging.getLogger("gunicorn.error"), logging.getLogger("gunicorn.access")]
    before = [list(log.handlers) for log in loggers]

    def read(log_format: str | None) -> dict:
        if log_format is None:
            monkeypatch.delenv("INCUBATOR_LOG_FORMAT", raising=False)
        else:
            monkeypatch.setenv("INCUBATOR_LOG_FORMAT", log_format)
        return runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))

    yield read
    for log, handlers in zip(loggers, before, strict=True):
        log.handlers[:] = handlers


@pytest.mark.parametrize("log_format", [None, "json", "JSON"])
def test_gunicorns_own_lines_are_json_when_the_app_logs_json(gunicorn_conf, capsys, log_format):
    from gunicorn.config import Config

    logger_class = gunicorn_conf(log_format)["logger_class"]
    cfg = Config()
    cfg.set("accesslog", "-")  # on here only to see its format; off in the README's set-up
    gunicorn_logger = logger_class(cfg)
    gunicorn_logger.info("Booting worker with pid: %s", 4242)
    gunicorn_logger.error("Worker (pid:%s) was sent SIGKILL!", 4242)
    [booted, killed] = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert booted["logger"] == "gunicorn.error" and booted["level"] == "INFO"
    assert booted["message"] == "Booting worker with pid: 4242" and "time" in booted
    assert killed["level"] == "ERROR" and killed["request_id"] is None
    [access] = [h for h in logging.getLogger("gunicorn.access").handlers
                if getattr(h, "_gunicorn", False)]
    assert isinstance(access.formatter, JsonFormatter)


def test_gunicorns_own_lines_stay_text_with_text_logs(gunicorn_conf):
    assert "logger_class" not in gunicorn_conf("text")


def test_a_real_gunicorn_writes_its_lines_as_json(tmp_path):
    """gunicorn reads the class from gunicorn.conf.py: every line it writes while booting
    and stopping is a JSON object (bench.common.serve runs it as the README does)."""
    from bench.common import serve

    env = {"INCUBATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'logs.db'}",
           "INCUBATOR_INSTANCE_PATH": str(tmp_path), "INCUBATOR_LOG_FORMAT": "json"}
    with tmp_path.joinpath("gunicorn.log").open("w+b") as log:
        with serve(env, workers=1, log=log, log_level="info"):
            pass
        log.seek(0)
        lines = log.read().decode().splitlines()
    entries = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    messages = [e["message"] for e in entries if e["logger"] == "gunicorn.error"]
    assert any(m.startswith("Starting gunicorn") for m in messages), lines
    assert any(m.startswith("Booting worker with pid") for m in messages), lines
