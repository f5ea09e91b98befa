"""Security log, request ids and quiet errors (issue 7, point 7)."""

from __future__ import annotations

import logging

import pytest

from incubator.extensions import db
from incubator.models import User
from incubator.security_log import record

from . import factories


def test_every_response_carries_a_request_id(client):
    first = client.get("/").headers["X-Request-ID"]
    second = client.get("/").headers["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_a_500_page_shows_its_incident_reference_and_the_log_line_carries_it(app, caplog):
    def boom():
        raise RuntimeError("kaboom")

    app.add_url_rule("/boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as production does
    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/boom")
    assert response.status_code == 500
    reference = response.headers["X-Request-ID"]
    assert reference in response.get_data(as_text=True)
    assert any(getattr(r, "request_id", None) == reference for r in caplog.records)
    htmx = client.get("/boom", htmx=True)
    assert htmx.status_code == 500
    assert htmx.headers["X-Request-ID"] in htmx.get_data(as_text=True)


def test_a_403_is_recorded_in_the_security_log(client, login, security_events):
    holder = login("holder")
    assert client.get("/admin/users").status_code == 403
    denied = security_events.of("access.denied")
    assert len(denied) == 1
    assert denied[0]["user_id"] == holder.id
    assert denied[0]["path"] == "/admin/users"
    assert denied[0]["request_id"] and denied[0]["time"].endswith("Z")


def test_security_events_are_one_json_line_even_with_line_breaks(app, security_events):
    record("login.failed", email="x@example.org\n{\"event\": \"forged\"}")
    assert security_events.kinds() == ["login.failed"]
    assert security_events[0]["email"].startswith("x@example.org\n")


@pytest.mark.parametrize("key", ["password", "token", "password_hash", "body"])
def test_secrets_are_refused_by_the_security_log(app, key):
    with pytest.raises(ValueError):
        record("login.failed", **{key: "secret"})


def test_database_errors_are_logged_without_row_values(app, caplog):
    """An integrity error while answering a request is logged with its constraint, never
    with the values (PostgreSQL's DETAIL names them; hide_parameters hides the rest)."""
    factories.user(email="claire@example.org", name="Claire Secret")
    db.session.commit()

    def duplicate():
        db.session.add(User(email="claire@example.org", name="Claire Secret",
                            password_hash="$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA"))
        db.session.commit()

    app.add_url_rule("/duplicate", "duplicate", duplicate)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/duplicate")
    assert response.status_code == 500
    logged = "\n".join(r.getMessage() + (str(r.exc_info[1]) if r.exc_info else "")
                       for r in caplog.records)
    assert "IntegrityError" in logged and "users" in logged
    for secret in ("claire@example.org", "Claire Secret", "argon2"):
        assert secret not in logged
        assert secret not in caplog.text
