"""Links never come from the Host header: every absolute URL is built on INCUBATOR_BASE_URL,
production refuses to start without it, and a request for any other host gets the 400 page."""

from __future__ import annotations

import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import url_for
from gunicorn.config import Config as GunicornConfig
from sqlalchemy import select

from incubator import config as settings
from incubator import create_app
from incubator.extensions import db
from incubator.models import OutgoingMail
from incubator.notifications import services as notify
from incubator.urls import absolute_url

from . import factories
from .conftest import make_app

ROOT = Path(__file__).resolve().parent.parent
EVIL = {"Host": "evil.example"}


def _forged(client) -> dict[str, str]:
    """Headers of a request sent to this app with ``Host: evil.example``, with the client's
    session (CSRF token, login) as a browser that was tricked into it would send them."""
    client.csrf_token()  # the session holds the CSRF token from now on
    cookie = client.get_cookie("session")
    client.set_cookie("session", cookie.value, domain="evil.example")
    return EVIL


def _close(app) -> None:
    with app.app_context():
        db.engine.dispose()


def _links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s/]+[^\s]*", text)


# The whole kind: no absolute URL from the request ----------------------------------------


def test_no_code_builds_a_link_from_the_request_host():
    """``_external=True`` and ``request.host``/``url_root``/``host_url`` take the host from
    the request: links must come from ``urls.absolute_url`` (BASE_URL) instead."""
    forbidden = re.compile(
        r"(?<![\w])_external\s*=|request\.(host|host_url|url_root|root_url|base_url|url)\b")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("incubator", "templates")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in (".py", ".html", ".txt")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if forbidden.search(line)
    ]
    assert offenders == []


def test_absolute_links_are_built_on_the_base_url_with_its_prefix(app):
    app.config["TRUSTED_HOSTS"] = None  # as if the host check let the request through
    app.config["BASE_URL"] = "https://incubateur.cades.fr/pole"
    # Outside any request (a CLI command such as the worker)…
    assert absolute_url("projects.show", project_id=4) == \
        "https://incubateur.cades.fr/pole/projects/4"
    # …and inside one, whatever host and prefix it came with.
    with app.test_request_context("/", base_url="http://evil.example/other"):
        assert absolute_url("notifications.index") == \
            "https://incubateur.cades.fr/pole/notifications"
        assert absolute_url("projects.show", project_id=4, _anchor="notes") == \
            "https://incubateur.cades.fr/pole/projects/4#notes"
        assert url_for("notifications.index") == "/other/notifications"  # pages stay relative


def test_a_reset_asked_with_a_forged_host_mails_a_link_on_the_base_url(app, client):
    app.config["TRUSTED_HOSTS"] = None  # as if the host check let it through
    app.config["BASE_URL"] = "https://incubateur.cades.fr"
    user = factories.user()
    db.session.commit()
    response = client.post("/auth/reset", data={"email": user.email}, headers=_forged(client))
    assert response.status_code == 303
    (message,) = app.extensions["outbox"]
    links = _links(message.get_content())
    assert links and all(link.startswith("https://incubateur.cades.fr/auth/password/")
                         for link in links)
    assert "evil.example" not in message.get_content()


def test_an_idea_submitted_with_a_forged_host_mails_staff_links_on_the_base_url(app, client,
                                                                                login):
    app.config["TRUSTED_HOSTS"] = None
    app.config["BASE_URL"] = "https://incubateur.cades.fr"
    factories.user(role="advisor")
    db.session.commit()
    login("holder")
    response = client.post("/projects/new", data=factories.complete_idea(submit_idea="y"),
                           headers=_forged(client))
    assert response.status_code == 303
    mails = list(db.session.scalars(select(OutgoingMail)))
    assert mails
    for mail in mails:
        assert "evil.example" not in mail.body
        links = _links(mail.body)
        assert links and all(link.startswith("https://incubateur.cades.fr/") for link in links)


def test_a_co_holder_invitation_sent_with_a_forged_host_links_to_the_base_url(app, client,
                                                                               login):
    app.config["TRUSTED_HOSTS"] = None
    app.config["BASE_URL"] = "https://incubateur.cades.fr"
    login("advisor")
    project = factories.project()
    db.session.commit()
    response = client.post(f"/projects/{project.id}/holders", headers=_forged(client),
                           data={"email": "nouvelle@example.org", "name": "Nouvelle"})
    assert response.status_code in (200, 303)
    (message,) = app.extensions["outbox"]
    links = _links(message.get_content())
    assert links and all(link.startswith("https://incubateur.cades.fr/auth/password/")
                         for link in links)


def test_mails_written_outside_a_request_keep_their_link(app):
    holder = factories.user()
    holder.email_notifications = True
    project = factories.project(holders=[holder])
    db.session.commit()
    notify.notify([holder], notify.STAGE_CHANGED, project, None, stage="Lancement")
    (mail,) = db.session.scalars(select(OutgoingMail))
    assert f"http://localhost/projects/{project.id}" in mail.body
    assert "http://localhost/notifications" in mail.body


# Trusted hosts ----------------------------------------------------------------------------


@pytest.mark.parametrize("method, path, htmx", [
    ("get", "/", False), ("get", "/auth/login", False), ("get", "/auth/login", True),
    ("post", "/auth/reset", False), ("post", "/auth/login", True),
    ("get", "/static/js/app.js", False), ("get", "/healthz", False),
    ("get", "/board", False), ("get", "/no-such-page", False),
])
def test_a_request_for_another_host_gets_the_400_page(client, security_events, method, path,
                                                       htmx):
    response = getattr(client, method)(path, headers=EVIL, htmx=htmx)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Bad request" in html
    assert ("<html" in html) != htmx  # the page, or the htmx fragment
    assert [e["host"] for e in security_events.of("host.refused")] == ["evil.example"]


def test_the_base_url_host_is_served_on_any_port(client):
    assert client.get("/auth/login").status_code == 200
    assert client.get("/auth/login", headers={"Host": "localhost:8080"}).status_code == 200


def test_no_route_runs_for_another_host(client, login):
    user = login("holder")
    response = client.post("/notifications/preferences", headers=EVIL,
                           data={"email_notifications": ""})
    assert response.status_code == 400
    assert db.session.get(type(user), user.id).email_notifications is True


def test_forwarded_hosts_are_checked_the_same_way():
    app = make_app(PROXY_FIX=1)
    client = app.test_client()
    try:
        forwarded = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
        assert client.get("/healthz", headers=forwarded).status_code == 400
        good = {"X-Forwarded-Host": "localhost", "X-Forwarded-Proto": "https"}
        assert client.get("/healthz", headers=good).status_code == 200
    finally:
        _close(app)


def test_trusted_hosts_are_the_base_url_host_plus_the_extra_ones(monkeypatch, tmp_path):
    monkeypatch.setenv("INCUBATOR_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("INCUBATOR_SECRET_KEY", "x" * 32)
    monkeypatch.setenv("INCUBATOR_BASE_URL", "https://incubateur.cades.fr:8443/pole/")
    monkeypatch.setenv("INCUBATOR_TRUSTED_HOSTS", "127.0.0.1, intranet.cades.fr")
    app = create_app()
    assert app.config["BASE_URL"] == "https://incubateur.cades.fr:8443/pole"
    assert app.config["TRUSTED_HOSTS"] == ["incubateur.cades.fr", "127.0.0.1",
                                           "intranet.cades.fr"]
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    _close(app)


@pytest.mark.parametrize("url", ["incubateur.cades.fr", "ftp://incubateur.cades.fr",
                                 "https://", "https://incubateur.cades.fr/?a=1"])
def test_a_malformed_base_url_is_refused_at_start_up(monkeypatch, tmp_path, url):
    monkeypatch.setenv("INCUBATOR_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("INCUBATOR_BASE_URL", url)
    with pytest.raises(settings.MissingSetting, match="INCUBATOR_BASE_URL"):
        create_app({"SECRET_KEY": "x" * 32})


# Production needs the base URL; development does not ------------------------------------


def _clean_environment(monkeypatch, tmp_path) -> None:
    for name in ("INCUBATOR_ENV", "INCUBATOR_BASE_URL", "INCUBATOR_TRUSTED_HOSTS",
                 "FLASK_RUN_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INCUBATOR_INSTANCE_PATH", str(tmp_path))


def test_production_refuses_to_start_without_the_base_url(monkeypatch, tmp_path):
    _clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("INCUBATOR_ENV", "production")
    with pytest.raises(settings.MissingSetting, match="INCUBATOR_BASE_URL is not set"):
        create_app()
    monkeypatch.setenv("INCUBATOR_BASE_URL", "https://incubateur.cades.fr")
    assert create_app().config["TRUSTED_HOSTS"] == ["incubateur.cades.fr"]


def test_development_defaults_to_flask_run_address_with_a_warning(monkeypatch, tmp_path,
                                                                  caplog):
    """README's first command (``flask --app incubator demo`` then ``run``) sets nothing."""
    _clean_environment(monkeypatch, tmp_path)
    with caplog.at_level("WARNING", logger="incubator"):
        app = create_app()
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"
    assert app.config["TRUSTED_HOSTS"] == ["127.0.0.1", "localhost"]
    assert "INCUBATOR_BASE_URL is not set" in caplog.text
    client = app.test_client()
    for host in ("127.0.0.1:5000", "localhost:5000"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200
    _close(app)


@pytest.fixture(scope="module")
def demo_instance(tmp_path_factory) -> Path:
    """An instance folder where ``flask demo`` has already run (development settings), made
    once for the module: loading the demo costs seconds (migrations, 14 accounts hashed at
    production cost) and is tested on its own in test_demo.py."""
    folder = tmp_path_factory.mktemp("demo-instance")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _clean_environment(monkeypatch, folder)
        # The demo's passwords hashed cheaply: their cost is not what these tests check.
        for name, value in (("TIME_COST", "1"), ("MEMORY_COST", "1024"), ("PARALLELISM", "1")):
            monkeypatch.setenv(f"INCUBATOR_ARGON2_{name}", value)
        app = create_app()
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        assert "Demo data loaded." in result.output
        _close(app)
    return folder


@pytest.mark.parametrize(("port", "base_url"), [
    ("5055", "http://127.0.0.1:5055"), ("8000", "http://127.0.0.1:8000"),
    ("", "http://127.0.0.1:5000"), ("abc", "http://127.0.0.1:5000"),
    ("99999", "http://127.0.0.1:5000"), ("0", "http://127.0.0.1:5000"),
])
def test_development_follows_the_port_flask_run_uses(monkeypatch, tmp_path, demo_instance,
                                                     port, base_url):
    """README starts the demo with ``FLASK_RUN_PORT``: ``flask run`` serves there, and the
    demo command and the links in e-mails name that address (whether it loads the demo or
    finds it there: each test runs it on a copy of a database it already filled)."""
    _clean_environment(monkeypatch, tmp_path)
    shutil.copy(demo_instance / "incubator.sqlite3", tmp_path / "incubator.sqlite3")
    monkeypatch.setenv("FLASK_RUN_PORT", port)
    app = create_app()
    assert app.config["BASE_URL"] == base_url
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert f"open {base_url}" in result.output
    _close(app)


def _gunicorn_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return subprocess.run(
        [str(gunicorn), "--check-config", "--no-control-socket", "incubator:create_app()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_gunicorn_refuses_to_serve_without_the_base_url(tmp_path):
    """gunicorn reads gunicorn.conf.py, which makes it production."""
    env = {"PATH": "/usr/bin:/bin", "INCUBATOR_INSTANCE_PATH": str(tmp_path),
           "INCUBATOR_SECRET_KEY": "x" * 32}
    refused = _gunicorn_check(env)
    assert refused.returncode != 0
    assert "INCUBATOR_BASE_URL is not set" in refused.stderr
    served = _gunicorn_check({**env, "INCUBATOR_BASE_URL": "https://incubateur.cades.fr"})
    assert served.returncode == 0, served.stderr


def test_gunicorn_stops_before_starting_workers_without_the_base_url(monkeypatch):
    """The master's ``on_starting`` hook fails with the message (gunicorn prints it)."""
    # setenv first: the variable the file sets is removed again after the test.
    for name in ("INCUBATOR_ENV", "INCUBATOR_BASE_URL"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert os.environ["INCUBATOR_ENV"] == "production"
    server = SimpleNamespace(cfg=GunicornConfig())
    server.cfg.set("control_socket_disable", True)
    with pytest.raises(RuntimeError, match="INCUBATOR_BASE_URL is not set"):
        hooks["on_starting"](server)
    monkeypatch.setenv("INCUBATOR_BASE_URL", "https://incubateur.cades.fr")
    monkeypatch.setenv("INCUBATOR_SECRET_KEY", "k" * 64)
    monkeypatch.setenv("INCUBATOR_SECURE_COOKIES", "1")
    hooks["on_starting"](server)


def test_readme_first_command_path_needs_no_base_url(tmp_path):
    """``flask --app incubator …`` (README's quick start) is development: it starts without
    INCUBATOR_BASE_URL, saying which address it uses."""
    flask = Path(sys.executable).with_name("flask")
    env = {"PATH": "/usr/bin:/bin", "INCUBATOR_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run([str(flask), "--app", "incubator", "routes"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "auth.login" in result.stdout
    assert "INCUBATOR_BASE_URL is not set" in result.stderr
    assert "http://127.0.0.1:5000" in result.stderr
