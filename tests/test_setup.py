"""The app's plumbing: health check, security headers, error pages, configuration."""

from __future__ import annotations

import re
import stat
import tomllib
from pathlib import Path

from babel.messages.pofile import read_po
from flask import abort
from sqlalchemy.exc import OperationalError

from incubator import config as settings
from incubator import create_app
from incubator.extensions import db

from .conftest import TEST_DATABASE_URL, make_app, reset_database


def test_healthz_says_the_process_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readiness_says_the_database_is_reachable(client):
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


def test_readiness_answers_503_when_the_database_is_down(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr("incubator.main.routes.check_ready", broken)
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
    assert client.get("/healthz").status_code == 200  # liveness does not depend on it


def test_every_page_carries_the_security_headers(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_style(client, login):
    login("manager")
    for url in ("/board", "/admin/users", "/projects/new"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and "<script " not in html.replace("<script src=", "")
        assert " style=" not in html and "<style" not in html
        assert " on" + "click=" not in html


def test_htmx_is_vendored_and_configured_for_the_csp(client):
    html = client.get("/").get_data(as_text=True)
    assert "/static/vendor/htmx-2.0.11.min.js" in html
    assert '"allowEval": false' in html
    assert '"includeIndicatorStyles": false' in html
    assert '"historyCacheSize": 0' in html
    assert """hx-headers='{"X-CSRFToken": \"""" in html
    vendored = client.get("/static/vendor/htmx-2.0.11.min.js")
    assert vendored.status_code == 200
    assert "no-store" not in vendored.headers.get("Cache-Control", "")
    vendored.close()


def test_cookies_are_httponly_lax_and_secure_over_https(app):
    # The login form puts a CSRF token in the session, so the answer sets the cookie.
    plain = app.test_client().get("/auth/login")
    cookie = plain.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    secure = app.test_client().get("/auth/login", base_url="https://localhost")
    assert "; Secure" in secure.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in secure.headers


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "<html" in html and 'id="messages"' in html


def test_errors_answer_htmx_with_a_fragment_for_the_message_area(client):
    response = client.get("/no/such/page", htmx=True)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "<html" not in html and "error-fragment" in html
    assert response.headers["HX-Retarget"] == "#messages"
    assert "HX-Request" in response.headers["Vary"]


def test_each_error_status_has_its_page_and_fragment(app):
    for status in (400, 403, 404, 409, 413, 422, 429, 500):
        app.add_url_rule(f"/boom{status}", f"boom{status}", lambda s=status: abort(s))
    client = app.test_client()
    for status in (400, 403, 404, 409, 413, 422, 429, 500):
        page = client.get(f"/boom{status}")
        assert page.status_code == status
        assert "<html" in page.get_data(as_text=True)
        fragment = client.get(f"/boom{status}", htmx=True)
        assert fragment.status_code == status
        assert f'data-status="{status}"' in fragment.get_data(as_text=True)


def test_an_unexpected_exception_gives_a_500_page_and_rolls_back(app):
    def explode():
        raise RuntimeError("bug")

    app.add_url_rule("/explode", "explode", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/explode")
    assert response.status_code == 500
    assert "<html" in response.get_data(as_text=True)


def test_the_500_page_of_a_change_does_not_promise_that_nothing_was_saved(app):
    """A failure after the commit says so (tests/test_faults.py has every case)."""
    def explode():
        from incubator.extensions import db
        from incubator.models import Stage

        db.session.get(Stage, 1).name_en = "Renamed"
        db.session.commit()
        raise RuntimeError("bug after a commit")

    app.add_url_rule("/explode", "explode", explode, methods=["POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    french = client.post("/explode", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "a été enregistrée avant l’erreur" in french and "rechargez la page" in french
    assert "Rien n’a été enregistré" not in french
    english = client.post("/explode").get_data(as_text=True)
    assert "was saved before the error" in english and "Nothing was saved" not in english


def test_csrf_is_required_on_posts(client, login):
    login("holder")
    response = client.post("/projects/new", data={"title": "Sans jeton"}, csrf=False)
    assert response.status_code == 400
    assert "session" in response.get_data(as_text=True).lower()


def test_csrf_token_in_the_htmx_header_is_accepted(client):
    response = client.post("/language", data={"locale": "en"}, htmx=True)
    assert response.status_code == 303


def test_secret_key_is_generated_once_and_kept_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("INCUBATOR_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("INCUBATOR_SECRET_KEY", raising=False)
    monkeypatch.setenv("INCUBATOR_DATABASE_URL", "sqlite://")
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_secret_key_and_database_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("INCUBATOR_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("INCUBATOR_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("INCUBATOR_DATABASE_URL", "sqlite:///" + str(tmp_path / "x.db"))
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.db")
    assert not (tmp_path / "secret_key").exists()
    assert settings.from_environment(tmp_path)["BABEL_DEFAULT_LOCALE"] == "fr"


def test_test_apps_do_not_touch_the_instance_folder(tmp_path, monkeypatch):
    """The suite never writes a secret key or a database into the instance folder, even
    when the environment names none (a developer's real instance stays as it is)."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("INCUBATOR_INSTANCE_PATH", str(folder))
    monkeypatch.delenv("INCUBATOR_SECRET_KEY", raising=False)
    monkeypatch.delenv("INCUBATOR_DATABASE_URL", raising=False)
    app = make_app()
    reset_database(app)
    with app.app_context():
        try:
            response = app.test_client().get("/healthz")
        finally:
            db.session.remove()
            db.engine.dispose()
    assert response.status_code == 200
    assert app.config["SQLALCHEMY_DATABASE_URI"] == TEST_DATABASE_URL
    assert app.config["SECRET_KEY"] == settings.for_tests(TEST_DATABASE_URL)["SECRET_KEY"]
    assert not folder.exists() or not any(folder.iterdir())


def test_gunicorn_is_a_runtime_extra_named_in_the_production_instructions():
    """Production installs gunicorn with ``.[production]``; the test extra pulls it in too."""
    root = Path(settings.ROOT)
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert any(requirement.startswith("gunicorn") for requirement in extras["production"])
    assert "incubator[production]" in extras["test"]
    assert not any(requirement.startswith("gunicorn") for requirement in extras["test"])
    readme = (root / "README.md").read_text()
    production = readme.split("## Running on PostgreSQL (production)")[1].split("\n## ")[0]
    assert "pip install -q -e '.[production]'" in production
    assert "gunicorn" in production


def test_readme_names_pages_as_the_menu_does():
    """Each page the README names in bold with its English name in italics, "**Mes projets**
    (*My projects*)", is the French translation of that menu label, which the menu (or the
    settings' tabs under its « Réglages » entry) shows."""
    root = Path(settings.ROOT)
    readme = (root / "README.md").read_text()
    base = "".join((root / "templates" / name).read_text()
                   for name in ("base.html", "admin/_settings_tabs.html"))
    with open(root / "incubator/translations/fr/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle, locale="fr")
    named = re.findall(r"\*\*([^*]+)\*\*,? \(?\*([^*]+)\*", readme)
    assert len(named) >= 5, named
    for french, english in named:
        assert f'_("{english}")' in base, f"{english!r} is not a menu label"
        assert catalog.get(english).string == french, (french, english)


def test_readme_quick_start_names_the_port_flask_run_uses():
    """The demo prints the address of ``FLASK_RUN_PORT``, which ``flask run`` reads too."""
    readme = (Path(settings.ROOT) / "README.md").read_text()
    quick = readme.split("## Quick start")[1].split("\n## ")[0]
    command = quick.split("```sh\n")[1].split("\n```")[0]
    assert "export FLASK_RUN_PORT=5000 && " in command
    assert command.index("FLASK_RUN_PORT") < command.index("demo") < command.index(" run")
    assert "rm instance/incubator.sqlite3" in quick  # starting again from empty demo data
