"""Login protection: failures counted in the database per address with a progressive delay,
shared by every process, answering the same for unknown addresses; managers clear delays."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from incubator.auth import throttle
from incubator.extensions import db
from incubator.models import LoginFailure, User

from . import factories
from .conftest import TEST_DATABASE_URL, is_postgres, make_app, reset_database

WRONG = "not the right password at all"


@pytest.fixture(autouse=True)
def _still_clock(monkeypatch):
    """The login delays' clock stands still: a busy machine pausing between two requests
    must not let a 2-second delay run out, nor change the wait the pages tell."""
    instant = throttle.utcnow()
    monkeypatch.setattr(throttle, "utcnow", lambda: instant)


def _failure(email: str) -> LoginFailure | None:
    return db.session.scalar(select(LoginFailure).where(LoginFailure.email == email)
                             .execution_options(populate_existing=True))


def _wait_out(email: str) -> None:
    """Pretend the current delay has passed."""
    db.session.execute(update(LoginFailure).where(LoginFailure.email == email)
                       .values(delayed_until=throttle.utcnow() - timedelta(seconds=1)))
    db.session.commit()


def _without_tokens(html: str) -> str:
    return re.sub(r'(name="csrf_token"[^>]*value="|"X-CSRFToken": ")[^"]+', r"\1", html)


def test_failures_are_counted_in_the_database(client, auth):
    user = factories.user()
    db.session.commit()
    for _ in range(3):
        assert auth.login(user, WRONG).status_code == 401
    failure = _failure(user.email)
    assert failure.failures == 3 and failure.delayed_until is None


def test_two_processes_share_the_count(tmp_path):
    """Two app instances on one database (as two gunicorn workers or two servers), with no
    per-process limiter at all: the failures made on both add up."""
    url = TEST_DATABASE_URL if is_postgres() else f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    first, second = (make_app(url, RATELIMIT_ENABLED=False) for _ in range(2))
    reset_database(first)
    with first.app_context():
        user = factories.user()
        db.session.commit()
        email = user.email
    clients = [first.test_client(), second.test_client()]
    statuses = []
    for attempt in range(6):
        client = clients[attempt % 2]
        statuses.append(client.post("/auth/login",
                                    data={"email": email, "password": WRONG}).status_code)
    assert statuses == [401] * 5 + [429]
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


def test_the_delay_answers_on_the_login_form_with_retry_after(client, auth):
    user = factories.user()
    db.session.commit()
    for _ in range(5):
        auth.login(user, WRONG)
    response = auth.login(user)  # even the right password waits
    assert response.status_code == 429
    assert response.headers["Retry-After"] in ("1", "2")  # the first delay: 2 seconds
    html = response.get_data(as_text=True)
    assert 'name="password"' in html  # the login form, with what to do
    assert "Too many failed attempts with this address" in html
    assert "Forgot your password?" in html


def test_an_unknown_address_is_delayed_exactly_like_a_known_one(client, auth, monkeypatch):
    user = factories.user()
    db.session.commit()
    known = [auth.login(user, WRONG) for _ in range(6)]
    unknown = [auth.login("nobody@example.org", WRONG) for _ in range(6)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [401] * 5 + [429]
    for a, b in zip(known, unknown, strict=True):
        page_a = _without_tokens(a.get_data(as_text=True)).replace(user.email, "EMAIL")
        page_b = _without_tokens(b.get_data(as_text=True)).replace("nobody@example.org", "EMAIL")
        assert page_a == page_b
        assert a.headers.get("Retry-After") == b.headers.get("Retry-After")


def test_during_the_delay_the_password_is_not_checked_and_nothing_counts(
        client, auth, monkeypatch):
    user = factories.user()
    db.session.commit()
    for _ in range(5):
        auth.login(user, WRONG)
    checked = []
    from incubator.auth import services

    real = services.verify_password
    monkeypatch.setattr(services, "verify_password",
                        lambda *args: checked.append(1) or real(*args))
    for _ in range(3):
        assert auth.login(user, WRONG).status_code == 429
    assert checked == []
    assert _failure(user.email).failures == 5  # the attacker cannot extend the delay


def test_the_delay_doubles_per_failure_up_to_the_cap(app, client, auth):
    app.config.update(LOGIN_FREE_FAILURES=3, LOGIN_DELAY_BASE_SECONDS=2,
                      LOGIN_DELAY_MAX_SECONDS=10)
    user = factories.user()
    db.session.commit()
    delays = []
    for _ in range(7):
        assert auth.login(user, WRONG).status_code == 401
        failure = _failure(user.email)
        if failure.delayed_until is None:
            delays.append(0)
            continue
        delays.append(round((failure.delayed_until - failure.last_failure_at).total_seconds()))
        _wait_out(user.email)
    assert delays == [0, 0, 2, 4, 8, 10, 10]


def test_a_successful_login_resets_the_count(client, auth):
    user = factories.user()
    db.session.commit()
    for _ in range(4):
        auth.login(user, WRONG)
    assert auth.login(user).status_code == 303
    auth.logout()
    assert _failure(user.email) is None
    assert [auth.login(user, WRONG).status_code for _ in range(4)] == [401] * 4


def test_failures_are_forgotten_after_a_quiet_spell(app, client, auth):
    user = factories.user()
    db.session.commit()
    for _ in range(5):
        auth.login(user, WRONG)
    hours = app.config["LOGIN_FAILURE_MEMORY_HOURS"]
    db.session.execute(update(LoginFailure).values(
        last_failure_at=throttle.utcnow() - timedelta(hours=hours, minutes=1),
        delayed_until=throttle.utcnow() - timedelta(hours=hours)))
    db.session.commit()
    assert auth.login(user, WRONG).status_code == 401
    assert _failure(user.email).failures == 1


def test_completing_a_password_reset_clears_the_delay(app, client, auth):
    user = factories.user()
    db.session.commit()
    for _ in range(6):
        auth.login(user, WRONG)
    assert auth.login(user).status_code == 429
    client.post("/auth/reset", data={"email": user.email})
    link = re.search(r"http://localhost(/auth/password/\S+)",
                     app.extensions["outbox"][-1].get_content()).group(1)
    new = "une autre phrase bien longue"
    assert client.post(link, data={"password": new, "confirm": new}).status_code == 303
    assert _failure(user.email) is None
    auth.logout()
    assert auth.login(user, new).status_code == 303


def test_login_failures_and_delays_are_in_the_security_log(client, auth, security_events):
    user = factories.user()
    factories.user(email="off@example.org", active=False)
    db.session.commit()
    auth.login("nobody@example.org", WRONG)
    auth.login("off@example.org")
    for _ in range(5):
        auth.login(user, WRONG)
    auth.login(user)
    failed = security_events.of("login.failed")
    assert [event["reason"] for event in failed] == (
        ["unknown_address", "inactive"] + ["wrong_password"] * 5 + ["delayed"])
    assert failed[0]["email"] == "nobody@example.org"
    assert failed[-1]["retry_after"] >= 1
    delayed = security_events.of("login.delayed")
    assert len(delayed) == 1 and delayed[0]["failures"] == 5 and delayed[0]["seconds"] == 2
    assert delayed[0]["email"] == user.email
    assert WRONG not in str(security_events) and factories.PASSWORD not in str(security_events)


def test_the_per_address_limit_counts_failures_only(app, client, auth):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per minute"
    user = factories.user()
    db.session.commit()
    for _ in range(4):
        assert auth.login(user).status_code == 303
        auth.logout()
    statuses = [auth.login(f"someone{i}@example.org", WRONG).status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]


# Managers see the delays and clear them.

def _delay(user: User) -> None:
    for _ in range(5):
        throttle.record_failure(user.email)
    db.session.commit()


def test_managers_see_accounts_under_delay(client, login):
    login("manager")
    slow = factories.user(name="Lente Personne")
    calm = factories.user(name="Calme Personne")
    _delay(slow)
    throttle.record_failure(calm.email)  # one failure: no delay, not listed
    throttle.record_failure("nobody@example.org")  # not an account: not listed
    db.session.commit()
    html = client.get("/admin/users").get_data(as_text=True)
    start = html.index('id="login-delays"')
    section = html[start:html.index("</section>", start)]
    assert "Lente Personne" in section and f"/admin/users/{slow.id}/login-delay" in section
    assert "Calme Personne" not in section and "nobody@example.org" not in section
    assert ">5<" in section


def test_a_manager_clears_a_delay(client, login, auth, security_events):
    manager = login("manager")
    user = factories.user()
    _delay(user)
    response = client.post(f"/admin/users/{user.id}/login-delay")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/users"
    assert _failure(user.email) is None
    [event] = security_events.of("login.delay_cleared")
    assert event["account_id"] == user.id and event["user_id"] == manager.id
    auth.logout()
    assert auth.login(user).status_code == 303


def test_a_manager_clears_a_delay_with_htmx(client, login):
    login("manager")
    user = factories.user(name="Lente Personne")
    other = factories.user(name="Autre Personne")
    _delay(user)
    _delay(other)
    response = client.post(f"/admin/users/{user.id}/login-delay", htmx=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert html.startswith('<section id="login-delays"')
    assert "Autre Personne" in html and "Lente Personne" not in html.split("</section>")[0]
    assert 'hx-swap-oob="innerHTML"' in html and "can log in again" in html
    assert _failure(user.email) is None and _failure(other.email) is not None


def test_the_delay_list_says_when_nobody_is_delayed(client, login):
    login("manager")
    html = client.get("/admin/users").get_data(as_text=True)
    section = html.split('<section id="login-delays"')[1].split("</section>")[0]
    assert "Accounts under login delay" in section
    assert "No account is under login delay." in section
    user = factories.user(name="Seule Personne")
    _delay(user)
    html = client.get("/admin/users").get_data(as_text=True)
    assert "No account is under login delay." not in html
    # After the last clear, the swapped section says so too; the focus goes to its heading,
    # the message beside it.
    response = client.post(f"/admin/users/{user.id}/login-delay", htmx=True)
    section, oob = response.get_data(as_text=True).split("</section>")
    assert "Accounts under login delay" in section
    assert "No account is under login delay." in section and "Seule Personne" not in section
    assert 'data-near="login-delays-title">Seule Personne can log in again' in oob


def test_clearing_a_delay_twice_says_there_was_none(client, login, security_events):
    login("manager")
    user = factories.user(name="Lente Personne")
    _delay(user)
    client.post(f"/admin/users/{user.id}/login-delay", follow_redirects=True)
    response = client.post(f"/admin/users/{user.id}/login-delay", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Lente Personne had no login delay" in html and "without waiting" not in html
    response = client.post(f"/admin/users/{user.id}/login-delay", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "had no login delay" in html
    assert "flash-info" in html and "without waiting" not in html
    assert len(security_events.of("login.delay_cleared")) == 1


def test_clearing_a_delay_needs_a_manager_and_csrf(client, login):
    user = factories.user()
    _delay(user)
    login("advisor")
    assert client.post(f"/admin/users/{user.id}/login-delay").status_code == 403
    client.post("/auth/logout")
    login("manager")
    assert client.post(f"/admin/users/{user.id}/login-delay", csrf=False).status_code == 400
    assert client.post("/admin/users/999999/login-delay").status_code == 404
    assert _failure(user.email).failures == 5


@pytest.mark.parametrize("wait", [2, 900])
def test_the_wait_is_told_in_words(app, client, auth, wait):
    user = factories.user()
    db.session.commit()
    throttle.record_failure(user.email)
    db.session.execute(update(LoginFailure).values(
        delayed_until=throttle.utcnow() + timedelta(seconds=wait)))
    db.session.commit()
    response = auth.login(user)
    html = response.get_data(as_text=True)
    assert ("2 seconds" if wait == 2 else "15 minutes") in html
    # The header says the same wait, never Flask-Limiter's window (a minute, an hour).
    assert int(response.headers["Retry-After"]) in (wait - 1, wait)
    assert not [h for h in response.headers.keys() if h.startswith("X-RateLimit")]


LIMIT_HEADERS = ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                 "X-RateLimit-Reset")


def test_answers_under_a_limit_carry_no_limit_headers(client, auth):
    user = factories.user()
    db.session.commit()
    answers = [
        auth.login(user, WRONG),  # 401
        client.post("/auth/login", data={"email": "", "password": ""}),  # 422
        client.post("/auth/reset", data={"email": user.email}),  # 303
        client.post("/auth/register", data={}),  # 422
        auth.login(user),  # 303
    ]
    assert [r.status_code for r in answers] == [401, 422, 303, 422, 303]
    for response in answers:
        assert not [h for h in LIMIT_HEADERS if h in response.headers], response.status


def test_every_limit_breach_is_a_security_event_with_its_scope(app, client, security_events):
    app.config["LOGIN_LIMIT_PER_IP"] = "2 per minute"
    app.config["REGISTER_LIMIT"] = "1 per hour"
    statuses = [client.post("/auth/login", data={"email": f"x{i}@example.org",
                                                 "password": WRONG}).status_code
                for i in range(3)]
    assert statuses == [401, 401, 429]
    statuses = [client.post("/auth/register", data={}).status_code for _ in range(2)]
    assert statuses == [422, 429]
    statuses = [client.post("/auth/reset", data={"email": "target@example.org"}).status_code
                for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
    response = client.post("/auth/reset", data={"email": "target@example.org"})
    assert response.status_code == 429
    assert 3500 <= int(response.headers["Retry-After"]) <= 3600  # "3 per hour"
    events = security_events.of("rate_limit.exceeded")
    assert [(e["scope"], e["path"]) for e in events] == [
        ("client", "/auth/login"), ("client", "/auth/register"),
        ("reset", "/auth/reset"), ("reset", "/auth/reset")]
    assert events[2]["email"] == "target@example.org" and events[2]["limit"]
    assert all(e["ip"] == "127.0.0.1" and e["retry_after"] >= 1 for e in events)


# A browser the owner logged in with before is not held back by someone else's failures.

def _attack(app, email: str, times: int = 6) -> None:
    attacker = app.test_client()
    for _ in range(times):
        attacker.post("/auth/login", data={"email": email, "password": WRONG})


def test_the_owner_s_known_browser_skips_a_delay_an_attacker_caused(app, client, auth):
    user = factories.user()
    db.session.commit()
    response = auth.login(user)
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("known_device="))
    assert "HttpOnly" in cookie and "Path=/auth/login" in cookie and "SameSite=Lax" in cookie
    assert user.email not in cookie  # opaque: a nonce and a MAC
    auth.logout()
    _attack(app, user.email)
    assert app.test_client().post("/auth/login", data={
        "email": user.email, "password": factories.PASSWORD}).status_code == 429
    assert auth.login(user).status_code == 303  # the owner's browser gets in
    assert _failure(user.email) is None


def test_a_known_browser_has_its_own_delay_and_helps_no_other_address(app, client, auth):
    user = factories.user()
    other = factories.user()
    db.session.commit()
    auth.login(user)
    auth.logout()
    _attack(app, other.email)
    assert auth.login(other).status_code == 429  # the cookie is for the first address only
    # A stolen cookie buys no more guesses than a fresh address.
    statuses = [auth.login(user, WRONG).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    assert auth.login(user).status_code == 429


def test_a_forged_device_cookie_is_ignored(app, client, auth):
    user = factories.user()
    db.session.commit()
    _attack(app, user.email)
    client.set_cookie("known_device", "anything.0123456789abcdef0123456789abcdef",
                      path="/auth/login")
    assert auth.login(user).status_code == 429


def test_a_burst_of_parallel_attempts_gets_no_more_guesses_than_the_budget(tmp_path):
    """Each attempt is counted before its password is checked: twelve at once, from twelve
    connections, and only the free ones reach the password check."""
    import threading

    url = TEST_DATABASE_URL if is_postgres() else f"sqlite:///{tmp_path / 'burst.sqlite3'}"
    app = make_app(url, RATELIMIT_ENABLED=False, LOGIN_FREE_FAILURES=3)
    reset_database(app)
    with app.app_context():
        email = factories.user().email
        db.session.commit()
    start = threading.Barrier(12)
    statuses: list[int] = []

    def attempt() -> None:
        client = app.test_client()
        client.get("/auth/login")  # the session and its CSRF token, before the race
        start.wait()
        statuses.append(client.post("/auth/login",
                                    data={"email": email, "password": WRONG}).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [401] * 3 + [429] * 9
    with app.app_context():
        assert _failure(email).failures == 3
        db.session.remove()  # its connection back to the pool, which dispose then closes
        db.engine.dispose()
