"""Two-factor authentication (issue 14): enrolment, the login's code step, reuse refused,
recovery codes, disabling, a manager's reset, and the « Sécurité » rule of who must."""

from __future__ import annotations

import re
import threading
import time

import pyotp
import pytest
from sqlalchemy import func, select

from incubator.auth import two_factor
from incubator.extensions import db
from incubator.models import (
    AppendOnlyError,
    LoginFailure,
    RecoveryCode,
    SecuritySettingsChange,
    TwoFactor,
    User,
    UserSession,
)

from . import factories
from .conftest import is_postgres, make_app, reset_database

SECRET_RE = re.compile(r'id="two-factor-secret"[^>]*>([A-Z2-7 ]+)<')
CODES_RE = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


def _secret_on_page(client) -> str:
    page = client.get("/account/two-factor").get_data(as_text=True)
    found = SECRET_RE.search(page)
    assert found, page
    return found.group(1).replace(" ", "")


def _enrol(client) -> tuple[str, list[str]]:
    """Enrol the logged-in user through the pages; returns (secret, recovery codes)."""
    assert client.post("/account/two-factor/start").status_code == 303
    secret = _secret_on_page(client)
    response = client.post("/account/two-factor/confirm",
                           data={"code": _code_now(secret), "password": factories.PASSWORD})
    assert response.status_code == 200, response.data
    codes = CODES_RE.findall(response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def _code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def _code_now(secret: str) -> str:
    """The code of the current step on the module's fixed clock."""
    return _code_at(secret, int(two_factor.now() // 30))


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """A fixed clock for the TOTP steps (``clock.now`` seconds since the epoch)."""

    class Clock:
        now = 1_800_000_000.0

    monkeypatch.setattr(two_factor, "now", lambda: Clock.now)
    return Clock


@pytest.fixture
def enrolled(client, login, clock):
    """An advisor with two-factor on, logged out, 30 s later (the enrolment's code is
    spent); (user, secret, recovery codes)."""
    user = login("advisor")
    secret, codes = _enrol(client)
    client.post("/auth/logout")
    clock.now += 30
    return user, secret, codes


def _password_step(client, user, **data):
    return client.post("/auth/login", data={"email": user.email,
                                             "password": factories.PASSWORD, **data})


def _logged_in(client) -> bool:
    return client.get("/account/sessions").status_code == 200


# -- enrolment --------------------------------------------------------------------------------

def test_enrolment_shows_a_qr_code_and_the_grouped_secret_then_ten_codes(
        client, login, security_events):
    user = login("manager")
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Set up two-factor authentication" in page
    client.post("/account/two-factor/start")
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    factor = db.session.get(TwoFactor, user.id)
    assert factor.confirmed_at is None
    assert " ".join(factor.secret[i:i + 4] for i in range(0, 32, 4)) in page
    assert user.email in page and "CADES" in page
    response = client.post("/account/two-factor/confirm",
                           data={"code": _code_now(factor.secret),
                                 "password": factories.PASSWORD})
    assert response.status_code == 200
    codes = CODES_RE.findall(response.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    db.session.expire_all()
    assert db.session.get(TwoFactor, user.id).confirmed_at is not None
    stored = db.session.scalars(select(RecoveryCode.code_hash)
                                .where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10
    assert not any(code.replace("-", "") in row for code in codes for row in stored)
    assert "two_factor.enrolled" in security_events.kinds()
    # Shown once: the page now only counts them.
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "10 recovery codes left" in page
    assert codes[0] not in page


def test_enrolment_refuses_a_wrong_first_code(client, login):
    user = login("advisor")
    client.post("/account/two-factor/start")
    response = client.post("/account/two-factor/confirm",
                           data={"code": "000000", "password": factories.PASSWORD})
    assert response.status_code == 422
    assert "This code does not match" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(TwoFactor, user.id).confirmed_at is None


def test_enrolment_needs_the_password_too(client, login, security_events):
    """A session left open is not enough to tie the account to someone else's phone (which
    would lock its owner out): the confirmation asks for the password."""
    user = login("advisor")
    client.post("/account/two-factor/start")
    secret = db.session.get(TwoFactor, user.id).secret
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'autocomplete="current-password"' in page

    wrong = client.post("/account/two-factor/confirm",
                        data={"code": _code_now(secret), "password": "not the password"})
    missing = client.post("/account/two-factor/confirm", data={"code": _code_now(secret)},
                          htmx=True)

    assert wrong.status_code == 422 and "This is not your password." in wrong.get_data(
        as_text=True)
    assert missing.status_code == 422 and "Enter your password." in missing.get_data(
        as_text=True)
    db.session.expire_all()
    assert db.session.get(TwoFactor, user.id).confirmed_at is None
    assert "two_factor.enrolment_refused" in security_events.kinds()
    # The code was not spent by the refusals: it still confirms with the password.
    assert client.post("/account/two-factor/confirm",
                       data={"code": _code_now(secret), "password": factories.PASSWORD}
                       ).status_code == 200


def test_the_qr_code_is_an_image_the_csp_allows(client, login):
    login("advisor")
    client.post("/account/two-factor/start")
    response = client.get("/account/two-factor")
    assert "img-src 'self' data:" in response.headers["Content-Security-Policy"]


def test_enrolment_needs_csrf(client, login):
    login("advisor")
    assert client.post("/account/two-factor/start", csrf=False).status_code == 400


# -- login ------------------------------------------------------------------------------------

def test_login_asks_for_the_code_after_the_password(client, enrolled, security_events):
    user, secret, _codes = enrolled
    response = _password_step(client, user)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/auth/two-factor")
    assert not _logged_in(client)  # not logged in before the code
    page = client.get("/auth/two-factor")
    assert page.status_code == 200 and "authenticator app" in page.get_data(as_text=True)
    response = client.post("/auth/two-factor", data={"code": _code_now(secret)})
    assert response.status_code == 303
    assert _logged_in(client)
    succeeded = security_events.of("login.succeeded")[-1]
    assert succeeded["how"] == "totp"


def test_the_code_step_keeps_the_next_page(client, enrolled):
    user, secret, _codes = enrolled
    client.post("/auth/login", data={"email": user.email, "password": factories.PASSWORD,
                                     "next": "/account/sessions"})
    response = client.post("/auth/two-factor", data={"code": _code_now(secret)})
    assert response.headers["Location"].endswith("/account/sessions")


def test_the_code_step_without_a_password_first_sends_back_to_login(client, app):
    page = client.get("/auth/two-factor")
    assert page.status_code == 200
    assert "The time to enter your code ran out" in page.get_data(as_text=True)
    assert 'name="code"' not in page.get_data(as_text=True)
    response = client.post("/auth/two-factor", data={"code": "123456"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/auth/login")
    response = client.post("/auth/two-factor", data={"code": "123456"}, htmx=True)
    assert response.headers["HX-Redirect"].endswith("/auth/login")


def test_the_pending_login_expires(client, enrolled, clock, monkeypatch):
    user, secret, _codes = enrolled
    _password_step(client, user)
    clock.now += 6 * 60
    response = client.post("/auth/two-factor",
                           data={"code": _code_at(secret, int(clock.now // 30))})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/auth/login")
    assert not _logged_in(client)


def test_the_code_step_can_be_given_up_at_once(client, enrolled, clock):
    """A shared computer: « Annuler cette connexion » forgets the right password at once."""
    user, secret, _codes = enrolled
    _password_step(client, user)
    page = client.get("/auth/two-factor").get_data(as_text=True)
    assert "/auth/two-factor/cancel" in page
    response = client.post("/auth/two-factor/cancel")
    assert response.status_code == 303 and response.headers["Location"].endswith("/auth/login")
    response = client.post("/auth/two-factor",
                           data={"code": _code_at(secret, int(clock.now // 30))})
    assert response.status_code == 303  # nothing waits for a code any more
    assert response.headers["Location"].endswith("/auth/login")
    assert not _logged_in(client)
    _password_step(client, user)
    assert client.post("/auth/two-factor/cancel", csrf=False).status_code == 400
    assert "/auth/two-factor/cancel" in client.get("/auth/two-factor").get_data(as_text=True)


def test_a_wrong_code_is_refused_and_counts_like_a_wrong_password(
        client, enrolled, app, security_events):
    user, secret, _codes = enrolled
    app.config.update(LOGIN_FREE_FAILURES=4)  # the password step counts until the code
    _password_step(client, user)
    statuses = [client.post("/auth/two-factor", data={"code": "000000"}).status_code
                for _ in range(3)]
    assert statuses == [401, 401, 401]
    assert "two_factor.code_refused" in security_events.kinds()
    assert "login.delayed" in security_events.kinds()
    # The delay now holds: even the right code is not checked.
    response = client.post("/auth/two-factor", data={"code": _code_now(secret)})
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert not _logged_in(client)
    # The right password alone does not clear the count (the code step is what does).
    failures = db.session.get(LoginFailure, user.email)
    assert failures is not None and failures.failures >= 4


def test_a_right_password_does_not_clear_the_failures_of_the_code_step(client, enrolled):
    user, _secret, _codes = enrolled
    _password_step(client, user)
    client.post("/auth/two-factor", data={"code": "000000"})
    _password_step(client, user)
    db.session.expire_all()
    assert db.session.get(LoginFailure, user.email).failures >= 3


def test_a_code_already_used_in_its_window_is_refused(client, enrolled, clock):
    user, secret, _codes = enrolled
    step = int(clock.now // 30)
    _password_step(client, user)
    assert client.post("/auth/two-factor",
                       data={"code": _code_at(secret, step)}).status_code == 303
    client.post("/auth/logout")
    _password_step(client, user)
    response = client.post("/auth/two-factor", data={"code": _code_at(secret, step)})
    assert response.status_code == 401
    assert "already used" in response.get_data(as_text=True)
    # An older code (still in the window) is refused too; the next step's works.
    assert client.post("/auth/two-factor",
                       data={"code": _code_at(secret, step - 1)}).status_code == 401
    assert client.post("/auth/two-factor",
                       data={"code": _code_at(secret, step + 1)}).status_code == 303


def test_the_window_is_one_step_either_side(client, enrolled, clock):
    user, secret, _codes = enrolled
    step = int(clock.now // 30)
    _password_step(client, user)
    assert client.post("/auth/two-factor",
                       data={"code": _code_at(secret, step + 2)}).status_code == 401
    assert client.post("/auth/two-factor",
                       data={"code": _code_at(secret, step - 2)}).status_code == 401
    assert client.post("/auth/two-factor",
                       data={"code": _code_at(secret, step + 1)}).status_code == 303


def test_one_code_accepted_once_by_the_service_even_twice_at_once(app, clock):
    """The UPDATE that accepts a code moves the step forward only if no one did: the second
    of two requests with the same code finds it moved (what a parallel request sees)."""
    user = factories.user(role="advisor")
    db.session.commit()
    factor = two_factor.start_enrolment(user)
    db.session.commit()
    code = _code_at(factor.secret, int(clock.now // 30))
    two_factor.use_totp(user, code)
    db.session.commit()
    with pytest.raises(two_factor.CodeRefused):
        two_factor.use_totp(user, code)


def test_codes_are_read_with_spaces(client, enrolled):
    user, secret, _codes = enrolled
    _password_step(client, user)
    code = _code_now(secret)
    response = client.post("/auth/two-factor", data={"code": f" {code[:3]} {code[3:]} "})
    assert response.status_code == 303


def test_an_empty_code_is_a_422_with_a_message(client, enrolled):
    user, _secret, _codes = enrolled
    _password_step(client, user)
    response = client.post("/auth/two-factor", data={"code": ""})
    assert response.status_code == 422
    assert "Enter the 6-digit code" in response.get_data(as_text=True)


def test_an_htmx_request_to_the_code_step_gets_the_same_page(client, enrolled):
    user, _secret, _codes = enrolled
    _password_step(client, user)
    response = client.post("/auth/two-factor", data={"code": "000000"}, htmx=True)
    assert response.status_code == 401
    assert "HX-Request" in response.headers["Vary"]


# -- recovery codes ---------------------------------------------------------------------------

def test_a_recovery_code_logs_in_once(client, enrolled, security_events):
    user, _secret, codes = enrolled
    _password_step(client, user)
    response = client.post("/auth/two-factor", data={"code": codes[0].upper()})
    assert response.status_code == 303
    assert "recovery_code_used" in " ".join(security_events.kinds())
    client.get("/")  # the flashed message
    client.post("/auth/logout")
    _password_step(client, user)
    assert client.post("/auth/two-factor", data={"code": codes[0]}).status_code == 401
    assert client.post("/auth/two-factor",
                       data={"code": codes[1].replace("-", "")}).status_code == 303
    left = db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))
    assert left == 8


def test_new_recovery_codes_need_a_code_and_replace_the_old_ones(client, enrolled, clock):
    user, secret, codes = enrolled
    _password_step(client, user)
    client.post("/auth/two-factor", data={"code": _code_at(secret, int(clock.now // 30) + 1)})
    response = client.post("/account/two-factor/recovery-codes", data={"code": "000000"})
    assert response.status_code == 422
    clock.now += 60
    response = client.post("/account/two-factor/recovery-codes",
                           data={"code": _code_at(secret, int(clock.now // 30))})
    assert response.status_code == 200
    new = CODES_RE.findall(response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(codes)
    client.post("/auth/logout")
    _password_step(client, user)
    assert client.post("/auth/two-factor", data={"code": codes[2]}).status_code == 401
    assert client.post("/auth/two-factor", data={"code": new[0]}).status_code == 303


# -- disabling --------------------------------------------------------------------------------

def test_disabling_needs_the_password_and_a_code(client, enrolled, clock, security_events):
    user, secret, _codes = enrolled
    _password_step(client, user)
    client.post("/auth/two-factor", data={"code": _code_at(secret, int(clock.now // 30))})
    clock.now += 30
    code = _code_at(secret, int(clock.now // 30))
    response = client.post("/account/two-factor/disable",
                           data={"password": "not my password at all", "code": code})
    assert response.status_code == 422
    assert "This is not your password" in response.get_data(as_text=True)
    response = client.post("/account/two-factor/disable",
                           data={"password": factories.PASSWORD, "code": "000000"})
    assert response.status_code == 422
    assert db.session.get(TwoFactor, user.id) is not None
    response = client.post("/account/two-factor/disable",
                           data={"password": factories.PASSWORD, "code": code})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(TwoFactor, user.id) is None
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)
                             .where(RecoveryCode.user_id == user.id)) == 0
    assert "two_factor.disabled" in security_events.kinds()
    client.post("/auth/logout")
    assert _password_step(client, user).headers["Location"].endswith("/board")


# -- a manager's reset ------------------------------------------------------------------------

def test_a_manager_resets_a_staff_members_second_factor(
        client, enrolled, auth, app, security_events):
    user, _secret, _codes = enrolled
    manager = factories.user(role="manager")
    db.session.commit()
    auth.login(manager)
    page = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{user.id}/two-factor/reset" in page
    version = db.session.get(TwoFactor, user.id).version
    # Without the confirmation: the question, nothing changed.
    response = client.post(f"/admin/users/{user.id}/two-factor/reset",
                           data={"version": version})
    assert response.status_code == 200 and "Reset the two-factor" in response.get_data(as_text=True)
    assert db.session.get(TwoFactor, user.id) is not None
    response = client.post(f"/admin/users/{user.id}/two-factor/reset",
                           data={"version": version, "confirm": "1"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(TwoFactor, user.id) is None
    event = security_events.of("two_factor.reset")[-1]
    assert event["target_id"] == user.id and event["by_id"] == manager.id
    mail = app.extensions["outbox"][-1]
    assert mail["To"] == user.email
    assert mail["Subject"] == "Votre double authentification a été réinitialisée"  # their language
    body = mail.get_content()
    assert manager.name in body and "http://localhost/auth/login" in body


def _open_sessions(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None)))


def test_setting_it_up_ends_the_sessions_opened_with_the_password_alone(client, login, app):
    """Another browser logged in with the password alone (perhaps not the owner's) is logged
    out when two-factor is set up; this one goes on."""
    user = login("advisor")
    elsewhere = app.test_client()
    elsewhere.post("/auth/login", data={"email": user.email, "password": factories.PASSWORD})
    assert _open_sessions(user.id) == 2
    _enrol(client)
    assert _open_sessions(user.id) == 1
    assert _logged_in(client)
    assert elsewhere.get("/account/sessions").status_code != 200
    ended = db.session.scalars(select(UserSession.ended_reason).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_not(None))).all()
    assert ended == ["two_factor_changed"]


def test_the_recovery_codes_page_forms_work_on_the_renewed_session(client, login):
    """The set-up renews the session (a new CSRF secret) and shows the codes in the same
    answer: its forms (the header's logout) carry a token of the new session."""
    login("advisor")
    assert client.post("/account/two-factor/start").status_code == 303
    secret = _secret_on_page(client)
    page = client.post("/account/two-factor/confirm", data={
        "code": _code_now(secret), "password": factories.PASSWORD}).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/auth/logout", data={"csrf_token": token}, csrf=False)
    assert response.status_code == 303
    assert not _logged_in(client)


def _manager_logged_in(auth, user) -> int:
    """A new manager logged in; returns the version of ``user``'s second factor, as the
    reset form holds it."""
    manager = factories.user(role="manager")
    db.session.commit()
    auth.login(manager)
    return db.session.get(TwoFactor, user.id).version


def test_a_managers_reset_ends_every_session_of_the_person(client, enrolled, auth, app):
    """A lost phone may hold an open session: the reset logs the person out everywhere."""
    user, secret, _codes = enrolled
    phone = app.test_client()
    phone.post("/auth/login", data={"email": user.email, "password": factories.PASSWORD})
    phone.post("/auth/two-factor", data={"code": _code_now(secret)})
    assert phone.get("/account/sessions").status_code == 200
    version = _manager_logged_in(auth, user)
    response = client.post(f"/admin/users/{user.id}/two-factor/reset",
                           data={"version": version, "confirm": "1"})
    assert response.status_code == 303
    assert _open_sessions(user.id) == 0
    assert phone.get("/account/sessions").status_code != 200


def test_a_reset_from_a_stale_page_is_a_409(client, enrolled, auth):
    user, _secret, _codes = enrolled
    version = _manager_logged_in(auth, user)
    response = client.post(f"/admin/users/{user.id}/two-factor/reset",
                           data={"version": version - 1, "confirm": "1"})
    assert response.status_code == 409
    assert db.session.get(TwoFactor, user.id) is not None


def test_a_reset_through_htmx_gets_hx_redirect(client, enrolled, auth):
    user, _secret, _codes = enrolled
    version = _manager_logged_in(auth, user)
    response = client.post(f"/admin/users/{user.id}/two-factor/reset",
                           data={"version": version, "confirm": "1"}, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("/admin/users")


def test_only_a_manager_resets_and_never_their_own(client, enrolled, auth, login):
    user, _secret, _codes = enrolled
    version = db.session.get(TwoFactor, user.id).version
    advisor = factories.user(role="advisor")
    db.session.commit()
    auth.login(advisor)
    assert client.post(f"/admin/users/{user.id}/two-factor/reset",
                       data={"version": version, "confirm": "1"}).status_code == 403
    client.post("/auth/logout")
    manager = login("manager")
    _enrol(client)
    own = db.session.get(TwoFactor, manager.id).version
    assert client.post(f"/admin/users/{manager.id}/two-factor/reset",
                       data={"version": own, "confirm": "1"}).status_code == 403
    assert client.post("/admin/users/999999/two-factor/reset",
                       data={"version": 1, "confirm": "1"}).status_code == 404


# -- who must ---------------------------------------------------------------------------------

def test_a_required_role_without_two_factor_is_sent_to_enrolment_first(app, client, auth):
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = ("manager",)
    manager = factories.user(role="manager")
    db.session.commit()
    response = auth.login(manager)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account/two-factor")
    # Nothing else is reachable until it is set up (htmx gets HX-Redirect).
    blocked = client.get("/admin/users")
    assert blocked.status_code == 303 and blocked.headers["Location"].endswith("/account/two-factor")
    assert client.get("/board", htmx=True).headers["HX-Redirect"].endswith("/account/two-factor")
    # Never a remembered session while enrolment is owed.
    assert db.session.scalar(select(UserSession.remember_hash)
                             .where(UserSession.user_id == manager.id)) is None
    _enrol(client)
    assert client.get("/admin/users").status_code == 200


def test_the_bells_poll_does_not_reload_the_set_up_page(app, client, auth):
    """The set-up page shows the header's bell, which polls: while enrolment is owed the
    poll answers "nothing new" (204), not an HX-Redirect that would reload the page every
    few seconds and lose the code being typed."""
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = ("manager",)
    manager = factories.user(role="manager")
    db.session.commit()
    auth.login(manager)
    assert 'id="notification-bell"' in client.get("/account/two-factor").get_data(as_text=True)
    poll = client.get("/notifications/bell?shown=0", htmx=True)
    assert poll.status_code == 204 and "HX-Redirect" not in poll.headers
    # Anything a person asks for still leads to the set-up.
    menu = client.get("/notifications/menu", htmx=True)
    assert menu.headers["HX-Redirect"].endswith("/account/two-factor")


def test_a_remembered_session_resumed_after_the_rule_changed_must_enrol(app, client):
    """« Stay logged in » lasts REMEMBER_DAYS: a session opened before managers required
    two-factor is sent to the set-up as soon as it is resumed from that cookie (a browser
    restarted, a lease over), not at a password login that may be two weeks away."""
    manager = factories.user(role="manager")
    db.session.commit()
    assert client.post("/auth/login", data={"email": manager.email, "password": factories.PASSWORD,
                                            "remember": "y"}).status_code == 303
    assert client.get("/admin/users").status_code == 200
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = ("manager",)
    assert client.get("/admin/users").status_code == 200  # this browser session: next login
    client.delete_cookie("session")  # the browser restarted: the remember cookie resumes it

    blocked = client.get("/admin/users")

    assert blocked.status_code == 303
    assert blocked.headers["Location"].endswith("/account/two-factor")
    assert client.get("/board", htmx=True).headers["HX-Redirect"].endswith("/account/two-factor")
    _enrol(client)
    assert client.get("/admin/users").status_code == 200


def test_a_remembered_session_of_someone_not_required_is_resumed_as_before(app, client):
    advisor = factories.user(role="advisor")
    db.session.commit()
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = ("manager",)
    client.post("/auth/login", data={"email": advisor.email, "password": factories.PASSWORD,
                                     "remember": "y"})
    client.delete_cookie("session")

    assert client.get("/board").status_code == 200


def test_the_configuration_requires_it_of_managers_by_default(monkeypatch, tmp_path):
    from incubator import config

    monkeypatch.delenv("INCUBATOR_TWO_FACTOR_REQUIRED_ROLES", raising=False)
    assert config.from_environment(tmp_path, with_secret_key=False)[
        "TWO_FACTOR_REQUIRED_ROLES"] == ("manager",)
    monkeypatch.setenv("INCUBATOR_TWO_FACTOR_REQUIRED_ROLES", "manager, advisor")
    assert config.from_environment(tmp_path, with_secret_key=False)[
        "TWO_FACTOR_REQUIRED_ROLES"] == ("manager", "advisor")
    monkeypatch.setenv("INCUBATOR_TWO_FACTOR_REQUIRED_ROLES", "")
    assert config.from_environment(tmp_path, with_secret_key=False)[
        "TWO_FACTOR_REQUIRED_ROLES"] == ()


def test_the_security_setting_is_saved_with_its_history(client, login, auth, security_events):
    manager = login("manager")
    page = client.get("/admin/security")
    assert page.status_code == 200
    assert 'aria-current="page">Security' in page.get_data(as_text=True)
    # (Not managers: this manager would then be sent to set it up; another test shows it.)
    response = client.post("/admin/security", data={"advisors": "y", "version": "0"})
    assert response.status_code == 303
    rule = two_factor.security_rule()
    assert rule.roles == {"advisor"} and rule.version == 1
    change = db.session.scalar(select(SecuritySettingsChange))
    assert change.changed_by_id == manager.id and change.two_factor_advisors
    assert "security.settings_changed" in security_events.kinds()
    # A stale page: 409, the choice kept.
    response = client.post("/admin/security", data={"mentors": "y", "version": "0"})
    assert response.status_code == 409
    assert "Someone saved these settings" in response.get_data(as_text=True)
    # The history is append-only.
    change.two_factor_mentors = True
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    # An advisor who logs in now must enrol first.
    client.post("/auth/logout")
    advisor = factories.user(role="advisor")
    db.session.commit()
    assert auth.login(advisor).headers["Location"].endswith("/account/two-factor")


def test_only_managers_see_the_security_settings(client, login):
    login("advisor")
    assert client.get("/admin/security").status_code == 403
    assert client.post("/admin/security", data={"version": "0"}).status_code == 403


def test_holders_are_never_required(app, client, auth):
    app.config["TWO_FACTOR_REQUIRED_ROLES"] = ("manager", "advisor", "mentor")
    holder = factories.user()
    db.session.commit()
    assert not auth.login(holder).headers["Location"].endswith("/account/two-factor")


def test_a_password_link_still_asks_for_the_code(client, enrolled, app):
    from incubator.tokens import make_password_token

    user, secret, _codes = enrolled
    with app.test_request_context():
        token = make_password_token(user, "reset")
    db.session.commit()
    response = client.post(f"/auth/password/{token}", data={
        "password": "another quiet river at dawn", "confirm": "another quiet river at dawn"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/auth/two-factor")
    assert not _logged_in(client)


def test_the_account_section_fragment_renders_on_its_own(app, login, client):
    from flask import render_template

    user = login("advisor")
    _enrol(client)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        html = render_template("account/_two_factor.html",
                               two_factor=two_factor.status(user))
    assert 'id="two-factor"' in html and "10 recovery codes left" in html


@pytest.mark.skipif(not is_postgres(), reason="needs concurrent connections (PostgreSQL)")
def test_the_same_code_sent_twice_at_once_is_accepted_once(clock):
    """Two requests (two connections) with one code: the UPDATE of the second waits for the
    first's row lock, then finds the step already moved and accepts nothing."""
    app = make_app()
    reset_database(app)
    with app.app_context():
        user = factories.user(role="advisor")
        db.session.commit()
        factor = two_factor.start_enrolment(user)
        db.session.commit()
        user_id, code = user.id, _code_at(factor.secret, int(clock.now // 30))
    results: list[str] = []
    barrier = threading.Barrier(2)

    def attempt() -> None:
        with app.app_context():
            person = db.session.get(User, user_id)
            two_factor.factor_of(person)
            barrier.wait()
            try:
                two_factor.use_totp(person, code)
                time.sleep(0.3)  # the row stays locked a moment: the other one waits
                db.session.commit()
                results.append("accepted")
            except two_factor.CodeRefused:
                db.session.rollback()
                results.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["accepted", "refused"]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_set_up_answers_htmx_with_hx_redirect(client, login):
    login("mentor")
    response = client.post("/account/two-factor/start", htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].endswith("/account/two-factor")
    assert "HX-Request" in response.headers["Vary"]
    page = client.get("/account/two-factor", htmx=True)
    assert page.status_code == 200 and "two-factor-secret" in page.get_data(as_text=True)


def test_a_manager_who_requires_it_of_managers_sets_it_up_at_once(client, login):
    """The rule saved applies to the manager who saved it without waiting for a new login."""
    login("manager")
    response = client.post("/admin/security", data={"managers": "y", "version": "0"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account/two-factor")
    response = client.get("/board")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account/two-factor")
