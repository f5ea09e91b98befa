"""Password links: reset answers the same in the same time for any address (the request
only queues a job; the worker finds the account and mails), in the account's language; tokens are opaque, hashed, single use; invitation
links reach the invited person only; registration is limited whatever its outcome."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from incubator import jobs, mail
from incubator.auth.forms import (
    AccountPasswordForm,
    PasswordPolicy,
    SetPasswordForm,
    new_password_fields,
)
from incubator.extensions import db
from incubator.forms import Form
from incubator.models import Job, PasswordToken, User
from incubator.tokens import make_password_token, read_password_token
from incubator.worker import run_pending

from . import factories
from .helpers import count_statements

LINK = re.compile(r"http://localhost(/auth/password/(\S+))")
NEW = "une autre phrase bien longue"


def _link(message) -> tuple[str, str]:
    found = LINK.search(message.get_content())
    return found.group(1), found.group(2)


def _without_tokens(html: str) -> str:
    return re.sub(r'(name="csrf_token"[^>]*value="|"X-CSRFToken": ")[^"]+', r"\1", html)


# Reset: the same answer, in the same time, whatever the address.

def test_reset_answers_the_same_and_does_the_same_work_for_any_address(
        app, client, monkeypatch):
    app.config["WORKER_INLINE"] = False  # as in production: the worker does the rest
    user = factories.user()
    db.session.commit()
    answers = {}
    for email in (user.email, "nobody@example.org"):
        with count_statements() as statements:
            response = client.post("/auth/reset", data={"email": email})
        page = client.get(response.headers["Location"])
        answers[email] = (response, list(statements), page)
    (known, known_sql, known_page), (unknown, unknown_sql, unknown_page) = answers.values()
    assert known.status_code == unknown.status_code == 303
    assert known.get_data() == unknown.get_data()
    # Apart from tokens and what follows the clock, not the account.
    skip = {"Set-Cookie", "X-Request-ID", "Date"}
    assert ([h for h in known.headers if h[0] not in skip]
            == [h for h in unknown.headers if h[0] not in skip])
    assert "Retry-After" not in known.headers and "Retry-After" not in unknown.headers
    assert known_sql == unknown_sql  # no look-up of the account during the request
    assert (_without_tokens(known_page.get_data(as_text=True))
            == _without_tokens(unknown_page.get_data(as_text=True)))
    assert "If an account uses this address" in known_page.get_data(as_text=True)
    # The request only queued the address typed; the worker finds out, afterwards.
    queued = db.session.execute(select(Job.kind, Job.payload).order_by(Job.id)).all()
    assert queued == [("password_reset", {"email": user.email}),
                      ("password_reset", {"email": "nobody@example.org"})]
    assert app.extensions.get("outbox", []) == []
    with app.test_request_context():
        drained = run_pending()
    assert (drained.jobs_done, drained.sent) == (2, 1)
    [message] = app.extensions["outbox"]
    assert message["To"] == user.email and LINK.search(message.get_content())
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0  # addresses gone


def test_reset_answers_before_the_mail_is_sent_and_starts_no_thread(app, client, monkeypatch):
    """A slow mail server delays nobody: the worker sends the mail, not the request, and no
    thread is started after the response (issue 15)."""
    app.config["WORKER_INLINE"] = False
    user = factories.user()
    db.session.commit()
    sent = []
    monkeypatch.setattr(mail, "send_mail", lambda to, subject, body, **options: sent.append((to, body)))
    def threads() -> set:  # the rate limiter's in-memory storage keeps its own timer
        return {t for t in threading.enumerate() if not isinstance(t, threading.Timer)}

    before = threads()
    response = client.post("/auth/reset", data={"email": user.email})
    assert response.status_code == 303
    assert sent == [] and threads() == before
    with app.test_request_context():
        run_pending()
    [(to, body)] = sent
    assert to == user.email and LINK.search(body)


def test_a_failing_job_breaks_nothing_and_is_tried_again_later(app, client, monkeypatch,
                                                                caplog):
    def broken(email):
        raise RuntimeError("mail server on fire")

    monkeypatch.setitem(jobs._handlers, "password_reset", broken)
    with caplog.at_level(logging.ERROR):
        response = client.post("/auth/reset", data={"email": "someone@example.org"})
    assert response.status_code == 303
    assert "Job" in caplog.text and "failed" in caplog.text
    [job] = db.session.scalars(select(Job)).all()
    assert job.attempts == 1 and "mail server on fire" in job.last_error
    assert job.failed_at is None and job.next_attempt_at > job.created_at


def test_unknown_or_inactive_addresses_get_no_mail(app, client):
    factories.user(email="off@example.org", active=False)
    db.session.commit()
    for email in ("nobody@example.org", "off@example.org"):
        assert client.post("/auth/reset", data={"email": email}).status_code == 303
    assert app.extensions.get("outbox", []) == []
    assert db.session.scalar(select(func.count()).select_from(PasswordToken)) == 0


@pytest.mark.parametrize(("locale", "request_language", "subject"), [
    ("en", "fr", "Reset your Incubateur password"),
    ("fr", "en", "Réinitialisation de votre mot de passe Incubateur"),
    (None, "en", "Réinitialisation de votre mot de passe Incubateur"),  # the pole's default
])
def test_the_reset_mail_is_in_the_account_language(app, client, locale, request_language,
                                                    subject):
    user = factories.user()
    user.locale = locale
    db.session.commit()
    client.post("/auth/reset", data={"email": user.email},
                headers={"Accept-Language": request_language})
    [message] = app.extensions["outbox"]
    assert message["Subject"] == subject


def test_reset_is_limited_per_target_address(app, client):
    app.config["RESET_LIMIT_PER_ADDRESS"] = "2 per hour"
    user = factories.user()
    db.session.commit()
    statuses = [client.post("/auth/reset", data={"email": user.email}).status_code
                for _ in range(3)]
    assert statuses == [303, 303, 429]
    assert len(app.extensions["outbox"]) == 2
    # Another address is not held back by it.
    assert client.post("/auth/reset", data={"email": "other@example.org"}).status_code == 303


def test_reset_request_and_completion_are_in_the_security_log(app, client, security_events):
    user = factories.user()
    db.session.commit()
    client.post("/auth/reset", data={"email": user.email})
    path, token = _link(app.extensions["outbox"][-1])
    client.post(path, data={"password": NEW, "confirm": NEW})
    [requested] = security_events.of("password.reset_requested")
    assert requested["email"] == user.email
    [done] = security_events.of("password.reset")
    assert done["user_id"] == user.id and done["path"] == "/auth/password/<token>"
    assert token not in str(security_events) and NEW not in str(security_events)


# Tokens: opaque, stored hashed, single use.

def test_tokens_are_opaque_and_only_their_hash_is_stored(app, client):
    user = factories.user()
    token = make_password_token(user, "reset")
    db.session.commit()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # no "payload.timestamp.signature"
    # 32 random bytes and nothing else: no id, kind or JSON to read inside.
    assert len(base64.urlsafe_b64decode(token + "=")) == 32
    assert make_password_token(user, "reset") != token
    row = db.session.scalars(select(PasswordToken).order_by(PasswordToken.id)).first()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash and row.user_id == user.id and row.kind == "reset"
    assert read_password_token(token) == (user, "reset")
    assert read_password_token(row.token_hash) is None  # the stored value opens nothing


def test_setting_the_password_spends_every_earlier_link(app, client, auth):
    user = factories.user()
    first = make_password_token(user, "reset")
    second = make_password_token(user, "reset")
    invitation = make_password_token(user, "invite")
    db.session.commit()
    assert client.post(f"/auth/password/{second}",
                       data={"password": NEW, "confirm": NEW}).status_code == 303
    for token in (first, second):
        response = client.get(f"/auth/password/{token}")
        assert response.headers["Location"].endswith("/auth/reset")
    # An invitation link says why it is dead, to the person it was meant for.
    response = client.get(f"/auth/password/{invitation}")
    assert response.status_code == 410
    assert "This invitation was already used" in response.get_data(as_text=True)
    assert all(row.used_at is not None for row in db.session.scalars(select(PasswordToken)))


@pytest.mark.parametrize("kind", ["reset", "invite"])
def test_a_link_refuses_a_password_containing_the_accounts_address(app, client, kind):
    """The same policy as registration and /account/password, although the form of a link
    has no e-mail field."""
    user = factories.user(email="camille.durand@example.org")
    token = make_password_token(user, kind)
    db.session.commit()
    weak = "ma Camille.Durand@example.org chérie"
    response = client.post(f"/auth/password/{token}", data={"password": weak, "confirm": weak},
                           headers={"Accept-Language": "fr"})
    assert response.status_code == 422
    assert "ne doit pas contenir votre adresse e-mail" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == user.password_hash
    assert read_password_token(token) == (db.session.get(User, user.id), kind)  # not spent
    assert client.post(f"/auth/password/{token}",
                       data={"password": NEW, "confirm": NEW}).status_code == 303


def test_every_form_that_sets_a_password_knows_the_accounts_address(app):
    """A new form setting a password without an e-mail field nor the account's address would
    silently skip the rule: the policy fails loudly instead."""
    from .test_input import _app_forms

    with app.test_request_context():
        setters = [cls for cls in _app_forms() if any(
            isinstance(v, PasswordPolicy) for field in cls(meta={"csrf": False})
            for v in field.validators)]
        assert len(setters) >= 3
        for cls in setters:
            form = cls(meta={"csrf": False})
            assert "email" in form._fields or isinstance(form, AccountPasswordForm), cls

        class Forgetful(Form):
            password, confirm = new_password_fields()

        typed = MultiDict({"password": NEW, "confirm": NEW})
        for form in (Forgetful(formdata=typed, meta={"csrf": False}),
                     SetPasswordForm(formdata=typed, meta={"csrf": False})):  # no account
            with pytest.raises(TypeError):
                form.validate()


def test_a_link_of_a_deactivated_account_opens_nothing(app, client):
    user = factories.user()
    token = make_password_token(user, "reset")
    user.active = False
    db.session.commit()
    assert client.get(f"/auth/password/{token}").status_code == 303


# Invitation links reach the invited person only.

def test_the_inviter_never_sees_the_invitation_link(app, client, login):
    login("manager")
    response = client.post("/admin/users/invite", data={
        "name": "Sophie Maillard", "email": "sophie@cades.example", "role": "advisor"})
    assert response.status_code == 303
    page = client.get("/admin/users").get_data(as_text=True)
    assert "sent the link to sophie@cades.example" in page
    _, token = _link(app.extensions["outbox"][-1])
    assert token not in page and "/auth/password/" not in page


def test_the_holder_invitation_link_is_not_shown_either(app, client, login):
    login("advisor")
    project = factories.project(holders=[])
    db.session.commit()
    answers = [
        client.post(f"/projects/{project.id}/holders",
                    data={"email": "lea@exemple.fr", "name": "Léa Jouan"}, htmx=True),
        client.post(f"/projects/{project.id}/holders",
                    data={"email": "yann@exemple.fr", "name": "Yann Le Goff"}),
    ]
    assert "we sent a link to choose a password to lea@exemple.fr" in (
        answers[0].get_data(as_text=True))
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "yann@exemple.fr" in page
    for html in (answers[0].get_data(as_text=True), page):
        assert "/auth/password/" not in html
    tokens = [_link(message)[1] for message in app.extensions["outbox"]]
    assert len(tokens) == 2 and not any(t in page for t in tokens)


def test_a_manager_sends_an_invitation_again_and_the_old_link_dies(app, client, login):
    login("manager")
    client.post("/admin/users/invite", data={
        "name": "Sophie Maillard", "email": "sophie@cades.example", "role": "advisor"})
    invited = db.session.scalar(select(User).where(User.email == "sophie@cades.example"))
    old_path, _ = _link(app.extensions["outbox"][-1])
    page = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{invited.id}/invitation" in page
    link = re.search(r'name="link" value="(\d+)"', page).group(1)
    response = client.post(f"/admin/users/{invited.id}/invitation", data={"link": link})
    assert response.status_code == 303
    assert "A new invitation was sent to sophie@cades.example" in (
        client.get("/admin/users").get_data(as_text=True))
    new_path, _ = _link(app.extensions["outbox"][-1])
    assert new_path != old_path
    assert client.get(old_path).status_code == 410  # "a newer invitation was sent"
    assert client.get(new_path).status_code == 200


def test_sending_again_is_refused_once_a_password_is_set(app, client, login):
    login("manager")
    other = factories.user(role="advisor")
    db.session.commit()
    response = client.post(f"/admin/users/{other.id}/invitation", data={"link": "0"})
    assert response.status_code == 409 and "already accepted" in response.get_data(as_text=True)
    assert app.extensions.get("outbox", []) == []
    assert client.post(f"/admin/users/{other.id}/invitation", csrf=False).status_code == 400


def test_no_mail_body_reaches_the_log(app, client, caplog, tmp_path):
    """Without a mail server (development) the mail goes to the outbox folder, and the log
    says where, never what: a body may hold a live link."""
    app.config["MAIL_OUTBOX"] = str(tmp_path)
    user = factories.user()
    db.session.commit()
    with caplog.at_level(logging.DEBUG):
        client.post("/auth/reset", data={"email": user.email})
    _, token = _link(app.extensions["outbox"][-1])
    assert token not in caplog.text and "/auth/password/" not in caplog.text
    assert user.email in caplog.text
    [written] = tmp_path.glob("*.eml")
    assert token in written.read_text()


# Registration.

def test_registration_is_limited_whatever_the_outcome(app, client):
    app.config["REGISTER_LIMIT"] = "3 per hour"
    factories.user(email="taken@example.org")
    db.session.commit()
    data = {"name": "Quelqu'un", "email": "taken@example.org", "password":
            "trois pommes sur la table", "confirm": "trois pommes sur la table", "consent": "y"}
    statuses = [client.post("/auth/register", data=data).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]  # "account exists" cannot be asked on and on


def test_jobs_wait_for_a_successful_answer(app, client, monkeypatch):
    """A job exists only once its request has committed: a failed request leaves none."""
    ran = []
    monkeypatch.setitem(jobs._handlers, "test-append", lambda **payload: ran.append(payload))

    @app.get("/test-deferred-error")
    def deferred_error():
        jobs.enqueue("test-append", n=1)
        return "no", 400

    assert client.get("/test-deferred-error").status_code == 400
    assert ran == [] and db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_password_links_are_made_only_where_they_are_mailed():
    """A live link is for its owner's inbox only. Every place that makes one is listed here
    and has a test showing the link is mailed, never shown, returned to a route or logged;
    a new place must be reviewed the same way before it joins the list."""
    from pathlib import Path

    import incubator

    package = Path(incubator.__file__).parent
    makers = {
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "make_password_token(" in path.read_text(encoding="utf-8")
        and path.name != "tokens.py"
    }
    assert makers == {"auth/services.py", "projects/services.py"}
