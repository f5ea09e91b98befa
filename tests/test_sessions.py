"""Sessions end when they should (issue 7, point 2): server-side session rows, idle and
absolute lifetimes, a rotating remember token, revocation on logout, password change or
reset, deactivation, reactivation and role change, the sessions page, __Host- cookies.

A "replayed cookie" is the browser's cookies copied before the event and put back after it:
whoever stole them must be anonymous then.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from incubator.auth.sessions import BACKGROUND_ENDPOINTS
from incubator.extensions import db
from incubator.models import User, UserSession, utcnow
from incubator.tokens import make_password_token

from . import factories
from .conftest import Auth, make_app, reset_database
from .helpers import MESSAGE_OOB

COOKIES = ("session", "remember")
NEW_PASSWORD = "le canal de nantes à brest"


def saved_cookies(client, names=COOKIES) -> dict[str, str]:
    return {name: c.value for name in names if (c := client.get_cookie(name)) is not None}


def restore_cookies(client, saved: dict[str, str], names=COOKIES) -> None:
    for name in names:
        client.delete_cookie(name)
    for name, value in saved.items():
        client.set_cookie(name, value)


def logged_in(client) -> bool:
    """True when the client is a logged-in holder (their projects page answers)."""
    response = client.get("/projects/mine")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def staff_logged_in(client) -> bool:
    response = client.get("/board")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def rows_of(user: User) -> list[UserSession]:
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
    ))


def latest_row(user: User) -> UserSession:
    return rows_of(user)[-1]


def login_remembered(client, user: User):
    return client.post("/auth/login", data={"email": user.email, "password": factories.PASSWORD,
                                            "remember": "y"})


@pytest.fixture
def holder(app):
    user = factories.user(role="holder")
    db.session.commit()
    return user


@pytest.fixture
def other_client(app):
    """A second browser."""
    return app.test_client()


# -- logging in and out ------------------------------------------------------------------


def test_login_creates_a_session_row_with_a_hashed_secret(client, auth, holder,
                                                           security_events):
    before = client.get("/auth/login") and saved_cookies(client).get("session")
    response = auth.login(holder)
    assert response.status_code == 303
    row = latest_row(holder)
    assert row.ended_at is None and row.remember_hash is None
    assert row.expires_at - row.created_at == timedelta(hours=12)
    assert len(row.secret_hash) == 64
    # A new session id at login: the cookie changes.
    assert saved_cookies(client)["session"] != before
    assert row.secret_hash not in saved_cookies(client)["session"]
    succeeded = security_events.of("login.succeeded")
    assert len(succeeded) == 1 and succeeded[0]["user_id"] == holder.id
    assert succeeded[0]["session_id"] == row.id and succeeded[0]["remember"] is False


def test_a_session_cookie_replayed_after_logout_is_anonymous(client, auth, holder,
                                                              security_events):
    auth.login(holder)
    stolen = saved_cookies(client)
    assert logged_in(client)
    assert auth.logout().status_code == 303
    row = latest_row(holder)
    assert row.ended_at is not None and row.ended_reason == "logout"
    restore_cookies(client, stolen)
    assert not logged_in(client)
    assert security_events.of("logout")[0]["user_id"] == holder.id
    revoked = security_events.of("session.revoked")
    assert [(e["reason"], e["session_id"]) for e in revoked] == [("logout", row.id)]


def test_each_login_is_its_own_session(client, other_client, auth, holder):
    auth.login(holder)
    Auth(other_client).login(holder)
    assert len(rows_of(holder)) == 2
    auth.logout()
    assert not logged_in(client)
    assert logged_in(other_client)  # logging out ends that session only


def test_flask_logins_old_remember_cookie_is_ignored_and_deleted(client, holder):
    client.set_cookie("remember_token", f"{holder.id}|whatever")
    response = client.get("/projects/mine")
    assert response.status_code == 302
    assert any(c.startswith("remember_token=;") for c in response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("value", ["99999999999999999999999.abc", "2147483648.abc", "².abc",
                                   "-1.abc", "0.abc", "1", ".", "9" * 40 + ".abc"])
def test_a_crafted_remember_cookie_is_forgotten_not_a_500(client, holder, value):
    client.set_cookie("remember", value)
    response = client.get("/")
    assert response.status_code < 500
    assert any(c.startswith("remember=;") for c in response.headers.getlist("Set-Cookie"))


# -- stay logged in ----------------------------------------------------------------------


def test_stay_logged_in_is_off_by_default(client, auth, holder):
    html = client.get("/auth/login").get_data(as_text=True)
    assert 'name="remember"' in html and "checked" not in html
    response = auth.login(holder)
    assert "remember=" not in " ".join(response.headers.getlist("Set-Cookie"))
    # Without it, losing the session cookie (closing the browser) is the end.
    client.delete_cookie("session")
    assert not logged_in(client)


def test_the_remember_cookie_expires_in_14_days_and_is_hashed_on_the_server(client, holder):
    response = login_remembered(client, holder)
    assert response.status_code == 303
    header = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember="))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    row = latest_row(holder)
    assert row.remember_expires_at - row.created_at == timedelta(days=14)
    value = client.get_cookie("remember").value
    row_id, _, token = value.partition(".")
    assert int(row_id) == row.id
    assert row.remember_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.remember_hash or "")


def test_the_remember_cookie_resumes_the_session_and_rotates(client, holder):
    login_remembered(client, holder)
    first = client.get_cookie("remember").value
    client.delete_cookie("session")  # the browser was closed
    response = client.get("/projects/mine")
    assert response.status_code == 200
    second = client.get_cookie("remember").value
    assert second != first
    assert len(rows_of(holder)) == 1  # the same session, resumed
    assert client.get_cookie("session") is not None
    assert logged_in(client)


def test_a_rotated_remember_token_that_comes_back_ends_the_session(client, other_client,
                                                                    holder, security_events):
    login_remembered(client, holder)
    stolen = client.get_cookie("remember").value
    client.delete_cookie("session")
    assert logged_in(client)  # the owner comes back: the token rotates
    row = latest_row(holder)
    row.remember_rotated_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    other_client.set_cookie("remember", stolen)
    assert not logged_in(other_client)
    row = latest_row(holder)
    assert row.ended_reason == "remember_reused"
    assert not logged_in(client)  # the session is over for both: the owner logs in again
    assert security_events.of("session.revoked")[-1]["reason"] == "remember_reused"


def test_a_request_racing_the_rotation_is_refused_but_ends_nothing(client, other_client, holder):
    login_remembered(client, holder)
    old = client.get_cookie("remember").value
    client.delete_cookie("session")
    assert logged_in(client)
    other_client.set_cookie("remember", old)
    assert not logged_in(other_client)
    assert latest_row(holder).ended_at is None
    assert logged_in(client)


def test_the_remember_cookie_stops_working_after_logout(client, auth, holder):
    login_remembered(client, holder)
    stolen = saved_cookies(client)
    response = auth.logout()
    assert any(c.startswith("remember=;") for c in response.headers.getlist("Set-Cookie"))
    assert client.get_cookie("remember") is None
    restore_cookies(client, stolen)
    assert not logged_in(client)
    restore_cookies(client, {"remember": stolen["remember"]})
    assert not logged_in(client)


def test_the_remember_cookie_expires(client, holder):
    login_remembered(client, holder)
    row = latest_row(holder)
    row.remember_expires_at = utcnow() - timedelta(minutes=1)
    row.expires_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    assert not logged_in(client)
    client.delete_cookie("session")
    assert not logged_in(client)
    assert latest_row(holder).ended_reason == "expired"


def test_a_remembered_session_survives_the_idle_timeout_on_a_new_lease(client, holder):
    login_remembered(client, holder)
    row = latest_row(holder)
    row.last_seen_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    assert logged_in(client)
    row = latest_row(holder)
    assert row.ended_at is None
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)


# -- idle timeout and absolute lifetime -------------------------------------------------------


def test_an_idle_session_ends_after_30_minutes(client, auth, holder, security_events):
    auth.login(holder)
    stolen = saved_cookies(client)
    row = latest_row(holder)
    row.last_seen_at = utcnow() - timedelta(minutes=29)
    db.session.commit()
    assert logged_in(client)
    row = latest_row(holder)
    row.last_seen_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    assert not logged_in(client)
    assert latest_row(holder).ended_reason == "idle"
    assert security_events.of("session.revoked")[-1]["reason"] == "idle"
    restore_cookies(client, stolen)
    assert not logged_in(client)


def test_the_idle_timeout_is_configurable():
    app = make_app(IDLE_MINUTES=5)
    reset_database(app)
    with app.app_context():
        user = factories.user()
        db.session.commit()
        client = app.test_client()
        Auth(client).login(user)
        row = latest_row(user)
        row.last_seen_at = utcnow() - timedelta(minutes=6)
        db.session.commit()
        assert not logged_in(client)
        db.session.remove()
        db.engine.dispose()


def test_a_session_ends_12_hours_after_login_whatever_the_activity(client, auth, holder,
                                                                   security_events):
    auth.login(holder)
    row = latest_row(holder)
    expires = row.expires_at
    row.last_seen_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert logged_in(client)
    assert latest_row(holder).expires_at == expires  # activity does not slide it
    row = latest_row(holder)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert not logged_in(client)
    assert latest_row(holder).ended_reason == "expired"
    assert security_events.of("session.revoked")[-1]["reason"] == "expired"


def test_the_session_cookie_is_not_permanent_nor_refreshed(app, client, auth, holder):
    response = auth.login(holder)
    header = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Expires" not in header and "Max-Age" not in header
    assert app.config["SESSION_REFRESH_EACH_REQUEST"] is False


def test_last_seen_is_written_at_most_once_a_minute(client, login):
    user = login("advisor")
    row = latest_row(user)
    recent = utcnow() - timedelta(seconds=30)
    row.last_seen_at = recent
    db.session.commit()
    assert staff_logged_in(client)
    assert latest_row(user).last_seen_at == recent
    row = latest_row(user)
    row.last_seen_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    assert staff_logged_in(client)
    assert utcnow() - latest_row(user).last_seen_at < timedelta(seconds=5)


@pytest.mark.parametrize("url", ["/board/changes?token=x", "/notifications/bell?shown=0"])
def test_background_polls_are_not_activity(client, login, url):
    user = login("advisor")
    row = latest_row(user)
    earlier = utcnow() - timedelta(minutes=10)
    row.last_seen_at = earlier
    db.session.commit()
    assert client.get(url, htmx=True).status_code in (200, 204)
    assert latest_row(user).last_seen_at == earlier
    # …so an open board tab still times out.
    row = latest_row(user)
    row.last_seen_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    client.get(url, htmx=True)
    assert latest_row(user).ended_reason == "idle"


def test_every_timer_driven_endpoint_is_marked_as_background():
    """Any element polling with hx-trigger="every …" must ask an endpoint of
    BACKGROUND_ENDPOINTS, or it keeps its session alive forever."""
    root = Path(__file__).resolve().parent.parent / "templates"
    found = set()
    for template in root.rglob("*.html"):
        for tag in re.findall(r"<[^>]*hx-trigger=\"every[^>]*>", template.read_text(), re.S):
            endpoints = re.findall(r"url_for\('([\w.]+)'", tag)
            assert endpoints, f"{template.name}: a poll without url_for"
            found.update(endpoints)
    assert found and found <= BACKGROUND_ENDPOINTS, found - BACKGROUND_ENDPOINTS


# -- revocation ----------------------------------------------------------------------------------


def test_changing_my_password_ends_my_other_sessions_and_renews_this_one(
        client, other_client, auth, holder, security_events):
    auth.login(holder)
    Auth(other_client).login(holder)
    stolen = saved_cookies(client)
    page = client.get("/account/password")
    assert page.status_code == 200 and 'autocomplete="current-password"' in page.get_data(
        as_text=True)
    response = client.post("/account/password", data={
        "current": factories.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert logged_in(client)
    assert saved_cookies(client)["session"] != stolen["session"]
    assert not logged_in(other_client)
    restore_cookies(client, stolen)
    assert not logged_in(client)
    reasons = [e["reason"] for e in security_events.of("session.revoked")]
    assert reasons == ["password_changed"]
    changed = security_events.of("password.changed")
    assert len(changed) == 1 and changed[0]["user_id"] == holder.id
    assert Auth(other_client).login(holder, NEW_PASSWORD).status_code == 303


def test_changing_my_password_rotates_my_remember_cookie(client, holder):
    login_remembered(client, holder)
    stolen = saved_cookies(client)
    response = client.post("/account/password", data={
        "current": factories.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert client.get_cookie("remember").value != stolen["remember"]
    restore_cookies(client, {"remember": stolen["remember"]})
    assert not logged_in(client)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("not my password at all", NEW_PASSWORD, NEW_PASSWORD, "This is not your current password."),
        (factories.PASSWORD, "court", "court", "Choose at least 12 characters."),
        (factories.PASSWORD, NEW_PASSWORD, "something else entirely", "not the same"),
    ],
)
def test_a_wrong_password_change_changes_nothing(client, auth, holder, current, new, confirm,
                                                 message):
    auth.login(holder)
    response = client.post("/account/password", data={"current": current, "password": new,
                                                      "confirm": confirm})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert new not in response.get_data(as_text=True)
    assert latest_row(holder).ended_at is None
    auth.logout()
    assert auth.login(holder).status_code == 303


def test_the_new_password_may_not_contain_my_email(client, auth, holder):
    auth.login(holder)
    password = f"my address {holder.email} is long"
    response = client.post("/account/password", data={
        "current": factories.PASSWORD, "password": password, "confirm": password})
    assert response.status_code == 422


def test_the_new_password_may_not_be_the_current_one(client, auth, holder, security_events):
    auth.login(holder)
    response = client.post("/account/password", data={
        "current": factories.PASSWORD, "password": factories.PASSWORD,
        "confirm": factories.PASSWORD})
    assert response.status_code == 422
    assert "This is already your password: choose a new one." in response.get_data(as_text=True)
    assert security_events.of("password.changed") == []
    assert latest_row(holder).ended_at is None


def test_the_current_password_is_refused_in_french(client, auth, holder):
    auth.login(holder)
    response = client.post("/account/password", headers={"Accept-Language": "fr"}, data={
        "current": factories.PASSWORD, "password": factories.PASSWORD,
        "confirm": factories.PASSWORD})
    assert "déjà votre mot de passe\u202f: choisissez-en un nouveau" in response.get_data(as_text=True)


def test_a_wrong_current_password_is_a_security_event(client, auth, holder, security_events):
    auth.login(holder)
    client.post("/account/password", data={
        "current": "not my password at all", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    [event] = security_events.of("password.change_failed")
    assert event["user_id"] == holder.id and event["reason"] == "wrong_current_password"
    assert "not my password" not in str(event)


def test_password_change_needs_csrf_and_a_login(client, auth, holder):
    assert client.get("/account/password").status_code == 302
    auth.login(holder)
    response = client.post("/account/password", csrf=False, data={
        "current": factories.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code in (400, 422)
    auth.logout()
    assert auth.login(holder).status_code == 303  # unchanged


def test_a_password_reset_ends_every_session(app, client, other_client, auth, holder,
                                             security_events):
    Auth(other_client).login(holder)
    auth.login(holder)
    stolen = saved_cookies(client)
    token = make_password_token(holder, "reset")
    db.session.commit()  # the token is a row: the request (another connection) must see it
    response = client.post(f"/auth/password/{token}", data={"password": NEW_PASSWORD,
                                                            "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert logged_in(client)  # on a fresh session
    assert not logged_in(other_client)
    restore_cookies(client, stolen)
    assert not logged_in(client)
    reasons = [e["reason"] for e in security_events.of("session.revoked")]
    assert reasons == ["password_reset", "password_reset"]
    assert [r.ended_reason for r in rows_of(holder)] == ["password_reset", "password_reset",
                                                         None]


def test_an_accepted_invitation_starts_a_session(client):
    person = factories.user(role="advisor", password=None)
    db.session.commit()
    token = make_password_token(person, "invite")
    db.session.commit()
    response = client.post(f"/auth/password/{token}", data={"password": NEW_PASSWORD,
                                                            "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert staff_logged_in(client)
    assert len(rows_of(person)) == 1


@pytest.fixture
def manager_and_person(client, other_client, login):
    """A manager logged in on ``client``, an advisor logged in on ``other_client``."""
    login("manager")
    person = factories.user(role="advisor")
    db.session.commit()
    Auth(other_client).login(person)
    assert staff_logged_in(other_client)
    return person


def test_deactivation_ends_every_session(client, other_client, manager_and_person,
                                         security_events):
    person = manager_and_person
    assert client.post(f"/admin/users/{person.id}/active",
                       data={"confirm": "1", "active": "0"}).status_code == 303
    assert not staff_logged_in(other_client)
    assert latest_row(person).ended_reason == "deactivated"
    assert security_events.of("user.deactivated")[0]["target_id"] == person.id
    revoked = security_events.of("session.revoked")
    assert revoked[0]["reason"] == "deactivated" and revoked[0]["user_id"] == person.id
    assert revoked[0]["by_user_id"] != person.id


def test_reactivation_does_not_revive_old_sessions(client, other_client, manager_and_person,
                                                   security_events):
    person = manager_and_person
    stolen = saved_cookies(other_client)
    client.post(f"/admin/users/{person.id}/active", data={"confirm": "1", "active": "0"})
    client.post(f"/admin/users/{person.id}/active", data={"confirm": "1", "active": "1"})
    assert db.session.get(User, person.id).active
    restore_cookies(other_client, stolen)
    assert not staff_logged_in(other_client)
    assert security_events.of("user.reactivated")[0]["target_id"] == person.id
    assert Auth(other_client).login(person).status_code == 303


def test_reactivation_ends_any_session_left_open(client, other_client, manager_and_person):
    person = manager_and_person
    db.session.get(User, person.id).active = False  # deactivated behind the app's back
    db.session.commit()
    client.post(f"/admin/users/{person.id}/active", data={"confirm": "1", "active": "1"})
    assert latest_row(person).ended_reason == "reactivated"
    assert not staff_logged_in(other_client)


def test_a_role_change_ends_every_session(client, other_client, manager_and_person,
                                          security_events):
    person = manager_and_person
    stolen = saved_cookies(other_client)
    assert client.post(f"/admin/users/{person.id}/role",
                       data={"role": "mentor"}).status_code == 303
    assert not logged_in(other_client)
    restore_cookies(other_client, stolen)
    assert not logged_in(other_client)
    changed = security_events.of("user.role_changed")
    assert changed[0]["target_id"] == person.id
    assert (changed[0]["old_role"], changed[0]["new_role"]) == ("advisor", "mentor")
    assert security_events.of("session.revoked")[0]["reason"] == "role_changed"


def test_choosing_the_same_role_ends_nothing(client, other_client, manager_and_person,
                                             security_events):
    person = manager_and_person
    client.post(f"/admin/users/{person.id}/role", data={"role": "advisor"})
    assert staff_logged_in(other_client)
    assert security_events.of("user.role_changed") == []


def test_an_invitation_is_recorded(client, login, security_events):
    manager = login("manager")
    client.post("/admin/users/invite", data={"name": "Sophie Maillard",
                                             "email": "sophie@cades.example", "role": "advisor"})
    invited = security_events.of("user.invited")
    assert len(invited) == 1 and invited[0]["user_id"] == manager.id
    assert invited[0]["email"] == "sophie@cades.example" and invited[0]["role"] == "advisor"


# -- the sessions page -------------------------------------------------------------------------


FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


@pytest.fixture
def two_devices(client, other_client, holder):
    client.post("/auth/login", data={"email": holder.email, "password": factories.PASSWORD},
                headers={"User-Agent": FIREFOX})
    other_client.post("/auth/login", headers={"User-Agent": IPHONE},
                      data={"email": holder.email, "password": factories.PASSWORD})
    this, other = rows_of(holder)
    return this, other


def test_the_sessions_page_lists_my_devices(client, two_devices, login):
    this, other = two_devices
    html = client.get("/account/sessions").get_data(as_text=True)
    assert f'id="user-session-{this.id}"' in html and f'id="user-session-{other.id}"' in html
    assert "Firefox on Windows" in html and "Safari on iPhone" in html
    assert "this device" in html
    assert html.count(">End this session<") == 1  # not for this device
    assert "End all other sessions" in html


def test_the_sessions_page_answers_htmx_with_its_fragment(client, two_devices):
    response = client.get("/account/sessions", htmx=True)
    html = response.get_data(as_text=True)
    assert html.startswith('<div id="sessions"') and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_the_sessions_page_shows_only_my_open_sessions(client, auth, two_devices):
    this, other = two_devices
    stranger = factories.user()
    db.session.commit()
    stranger_client = client.application.test_client()
    Auth(stranger_client).login(stranger)
    row = db.session.get(UserSession, other.id)
    row.last_seen_at = utcnow() - timedelta(hours=1)  # idle: over, though not yet marked
    db.session.commit()
    html = client.get("/account/sessions").get_data(as_text=True)
    assert f'id="user-session-{other.id}"' not in html
    assert f'id="user-session-{latest_row(stranger).id}"' not in html


def test_ending_another_session_without_javascript(client, other_client, two_devices,
                                                   security_events):
    this, other = two_devices
    response = client.post(f"/account/sessions/{other.id}/end")
    assert response.status_code == 303 and response.headers["Location"] == "/account/sessions"
    assert "The session is ended" in client.get("/account/sessions").get_data(as_text=True)
    assert not logged_in(other_client)
    assert logged_in(client)
    assert db.session.get(UserSession, other.id).ended_reason == "ended_by_user"
    assert security_events.of("session.revoked")[0]["reason"] == "ended_by_user"


def test_ending_another_session_with_htmx(client, other_client, two_devices):
    this, other = two_devices
    response = client.post(f"/account/sessions/{other.id}/end", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.startswith('<div id="sessions"')
    assert f'id="user-session-{other.id}"' not in html
    assert f'id="user-session-{this.id}"' in html
    assert MESSAGE_OOB in html
    # The button pressed is gone: the focus goes to the list, the message beside it.
    assert 'data-near="sessions">The session is ended' in html
    assert json.loads(response.headers["HX-Trigger-After-Settle"]) == {
        "focus-target": {"id": "sessions"}}
    assert "HX-Request" in response.headers["Vary"]
    assert not logged_in(other_client)


def test_ending_all_other_sessions(client, other_client, two_devices, app):
    this, other = two_devices
    third = app.test_client()
    Auth(third).login(db.session.get(User, this.user_id))
    response = client.post("/account/sessions/end-others")
    assert response.status_code == 303
    assert "2 other sessions ended." in client.get("/account/sessions").get_data(as_text=True)
    assert not logged_in(other_client) and not logged_in(third)
    assert logged_in(client)


def test_ending_all_other_sessions_with_htmx(client, other_client, two_devices):
    this, other = two_devices
    response = client.post("/account/sessions/end-others", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.startswith('<div id="sessions"')
    assert "1 other session ended." in html
    assert f'id="user-session-{other.id}"' not in html
    assert not logged_in(other_client) and logged_in(client)


def test_i_cannot_end_this_session_or_someone_elses_here(client, two_devices):
    this, other = two_devices
    stranger = factories.user()
    db.session.commit()
    stranger_client = client.application.test_client()
    Auth(stranger_client).login(stranger)
    assert client.post(f"/account/sessions/{latest_row(stranger).id}/end").status_code == 404
    assert client.post(f"/account/sessions/{this.id}/end").status_code == 404
    assert client.post("/account/sessions/99999/end").status_code == 404
    assert logged_in(stranger_client) and logged_in(client)


def test_ending_sessions_needs_csrf(client, other_client, two_devices):
    this, other = two_devices
    assert client.post(f"/account/sessions/{other.id}/end", csrf=False).status_code == 400
    assert client.post("/account/sessions/end-others", csrf=False).status_code == 400
    assert logged_in(other_client)


def test_the_account_pages_need_a_login(client):
    assert client.get("/account/sessions").status_code == 302
    assert client.post("/account/sessions/end-others").status_code in (302, 400)


def test_the_user_menu_links_to_the_account_pages(client, auth, holder):
    auth.login(holder)
    html = client.get("/projects/mine").get_data(as_text=True)
    assert 'href="/account/sessions"' in html and 'href="/account/password"' in html


def test_the_account_pages_are_in_french_first(client, auth, holder):
    auth.login(holder)
    html = client.get("/account/sessions", headers={"Accept-Language": "fr"}).get_data(
        as_text=True)
    assert "Vos sessions" in html and "cet appareil" in html


# -- cookies over HTTPS ---------------------------------------------------------------------------


@pytest.mark.parametrize("config", [{"SECURE_COOKIES": True},
                                    {"BASE_URL": "https://localhost"}])
def test_over_https_the_cookies_take_the_host_prefix(config):
    app = make_app(**config)
    reset_database(app)
    with app.app_context():
        user = factories.user()
        db.session.commit()
        client = app.test_client()
        # Over HTTPS, Flask-WTF also checks that the form comes from this site.
        client.environ_base["HTTP_REFERER"] = "https://localhost/auth/login"
        response = client.post("/auth/login", base_url="https://localhost", data={
            "email": user.email, "password": factories.PASSWORD, "remember": "y"})
        assert response.status_code == 303
        headers = response.headers.getlist("Set-Cookie")
        for name in ("__Host-session", "__Host-remember"):
            header = next(h for h in headers if h.startswith(f"{name}="))
            assert "Secure" in header and "Path=/" in header and "HttpOnly" in header
            assert "Domain" not in header
        assert not any(h.startswith(("session=", "remember=")) for h in headers)
        assert client.get("/projects/mine", base_url="https://localhost").status_code == 200
        logout = client.post("/auth/logout", base_url="https://localhost")
        assert any(h.startswith("__Host-remember=;") for h in logout.headers.getlist("Set-Cookie"))
        db.session.remove()
        db.engine.dispose()


def test_over_plain_http_the_cookies_keep_their_names(app):
    assert app.config["SESSION_COOKIE_NAME"] == "session"
    assert app.config["SESSION_REMEMBER_COOKIE"] == "remember"


def test_an_open_board_goes_to_the_login_page_when_its_session_ends(client, login):
    user = login("advisor")
    row = latest_row(user)
    row.last_seen_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    response = client.get("/board/changes?token=x", htmx=True,
                          headers={"HX-Current-URL": "http://localhost/board?mine=1"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/auth/login?next=/board?mine%3D1"
    assert "HX-Request" in response.headers["Vary"]
    # A plain request still gets the usual redirect, with where it was going.
    response = client.get("/board?mine=1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_guessing_the_current_password_is_throttled(client, auth, holder, security_events):
    auth.login(holder)
    wrong = {"current": "not it at all, sorry", "password": NEW_PASSWORD,
             "confirm": NEW_PASSWORD}
    responses = [client.post("/account/password", data=wrong) for _ in range(6)]
    assert [r.status_code for r in responses] == [422] * 5 + [429]
    assert 1 <= int(responses[-1].headers["Retry-After"]) <= 60
    assert not any("Retry-After" in r.headers or "X-RateLimit-Limit" in r.headers
                   for r in responses[:5])
    [event] = security_events.of("rate_limit.exceeded")
    assert event["scope"] == "password" and event["user_id"] == holder.id


def test_sessions_over_for_a_month_are_deleted_at_the_next_login(client, auth, holder):
    auth.login(holder)
    auth.logout()
    auth.login(holder)  # left open, then forgotten
    old_ended, old_lapsed = rows_of(holder)
    long_ago = utcnow() - timedelta(days=31)
    old_ended.ended_at = long_ago
    old_lapsed.expires_at = long_ago
    db.session.commit()
    client.delete_cookie("session")
    auth.login(holder)
    rows = rows_of(holder)
    assert len(rows) == 1 and rows[0].ended_at is None
    assert utcnow() - rows[0].created_at < timedelta(minutes=1)
