"""The account page (/account, issue 14): identity, e-mail change by a link to the new
address, language, e-mail notifications, sessions and password links, and the closure
requests (the person's and the managers' list)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.models import (
    ClosureRequest,
    EmailChange,
    Notification,
    OutgoingMail,
    PasswordToken,
    User,
    utcnow,
)

from . import factories


class Sent:
    """A mail the application sent (tests read them from ``app.extensions["outbox"]``)."""

    def __init__(self, message):
        self.to = message["To"]
        self.subject = message["Subject"]
        self.body = message.get_content()


def _mails_to(address: str) -> list[Sent]:
    return [Sent(m) for m in current_app.extensions.get("outbox", []) if m["To"] == address]


def _link(mail: Sent) -> str:
    found = re.search(r"https?://\S+/account/email/confirm/(\S+)", mail.body)
    assert found, mail.body
    return found.group(1)


def _asked_change(client, address: str) -> str:
    """The logged-in user asks to change their address to ``address``: the token of the
    confirmation link mailed there."""
    client.post("/account/email", data={"email": address, "current": factories.PASSWORD})
    return _link(_mails_to(address)[0])


# The page


@pytest.mark.parametrize("role", ["holder", "mentor", "advisor", "manager"])
def test_every_role_has_an_account_page_reachable_from_the_user_menu(client, login, role):
    user = login(role)
    page = client.get("/account")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for section in ("account-identity", "account-email", "account-language",
                    "account-notifications", "account-security", "account-closure"):
        assert f'id="{section}"' in html
    assert user.email in html
    home = client.get("/account/sessions").get_data(as_text=True)
    assert 'href="/account"' in home  # the user menu's first entry and the sub-navigation


def test_the_account_page_needs_a_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_the_account_page_is_in_french_for_a_french_reader(client, login):
    login("holder")
    html = client.get("/account", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Mon compte" in html
    assert "Fermer mon compte" in html


# Identity


def test_a_user_renames_themself_with_a_plain_form(client, login):
    user = login("holder", name="Anne Briand")
    response = client.post("/account/name", data={"name": "  Anne Le Briand ", "version": 1})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account#account-identity")
    db.session.refresh(user)
    assert user.name == "Anne Le Briand"
    assert user.version == 2
    assert "Your name is saved." in client.get("/account").get_data(as_text=True)


def test_a_rename_with_htmx_answers_the_section_and_the_menu_name(client, login):
    user = login("advisor")
    response = client.post("/account/name", data={"name": "Yann Le Goff", "version": 1},
                           htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<section id=\"account-identity\"") or \
        'id="account-identity"' in html
    assert 'id="user-name"' in html and 'hx-swap-oob="true"' in html
    assert "Yann Le Goff" in html
    assert "HX-Request" in response.headers.get("Vary", "")
    db.session.refresh(user)
    assert user.name == "Yann Le Goff"


def test_a_rename_from_an_old_version_is_refused_with_the_input_kept(client, login):
    user = login("holder", name="Anne Briand")
    assert client.post("/account/name", data={"name": "Anne B.", "version": 1}).status_code == 303
    for htmx in (False, True):
        response = client.post("/account/name", data={"name": "Anne Typed", "version": 1},
                               htmx=htmx)
        assert response.status_code == 409
        html = response.get_data(as_text=True)
        assert 'value="Anne Typed"' in html
        assert "Anne B." in html  # the current value beside it
        assert 'name="version" type="hidden" value="2"' in html or 'value="2"' in html
    db.session.refresh(user)
    assert user.name == "Anne B."


def test_a_rename_without_its_version_is_refused(client, login):
    user = login("holder", name="Anne Briand")
    assert client.post("/account/name", data={"name": "Other"}).status_code == 409
    db.session.refresh(user)
    assert user.name == "Anne Briand"


@pytest.mark.parametrize("name", ["", "   ", "x" * 121, "Anne\nBriand",
                                  # Only direction marks or invisible characters: a blank name.
                                  "\u200f\u200f", "\u200e \u061c", "\u200b\u200f"])
def test_a_bad_name_is_refused_with_a_message(client, login, name):
    user = login("holder", name="Anne Briand")
    for htmx in (False, True):
        response = client.post("/account/name", data={"name": name, "version": 1}, htmx=htmx)
        assert response.status_code == 422
        assert "problem" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.name == "Anne Briand"


def test_a_name_written_right_to_left_keeps_its_direction_marks(client, login):
    user = login("holder", name="Anne Briand")
    page = client.get("/account").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    name = "\u0633\u0627\u0631\u0629 (\u200fRedon\u200f)"
    assert client.post("/account/name", data={"name": name, "version": version}
                       ).status_code == 303
    db.session.refresh(user)
    assert user.name == name


def test_account_changes_need_the_csrf_token(client, login):
    user = login("holder", name="Anne Briand")
    for url, data in (("/account/name", {"name": "X", "version": 1}),
                      ("/account/language", {"locale": "en"}),
                      ("/account/notifications", {}),
                      ("/account/email", {"email": "new@example.org", "current": "x"}),
                      ("/account/email/cancel", {}),
                      ("/account/closure", {"confirm": "y"}),
                      ("/account/closure/cancel", {})):
        assert client.post(url, data=data, csrf=False).status_code == 400, url
    db.session.refresh(user)
    assert user.name == "Anne Briand" and user.email_notifications
    assert db.session.scalar(select(func.count()).select_from(ClosureRequest)) == 0


# Language and notifications


def test_the_language_is_saved_on_the_account_and_applied_at_once(client, login):
    user = login("holder")
    response = client.post("/account/language", data={"locale": "fr"})
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.locale == "fr"
    # Applied at once, even for a browser asking for English.
    html = client.get("/account").get_data(as_text=True)
    assert "Mon compte" in html
    assert "Vos pages et e-mails sont maintenant en français." in html


def test_the_language_with_htmx_reloads_the_page(client, login):
    user = login("holder")
    response = client.post("/account/language", data={"locale": "en"}, htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].endswith("/account")
    db.session.refresh(user)
    assert user.locale == "en"


def test_an_unknown_language_is_refused(client, login):
    user = login("holder")
    for htmx in (False, True):
        response = client.post("/account/language", data={"locale": "de"}, htmx=htmx)
        assert response.status_code == 422
    db.session.refresh(user)
    assert user.locale is None


def test_email_notifications_are_turned_off_and_on(client, login):
    user = login("mentor")
    response = client.post("/account/notifications", data={})
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.email_notifications is False
    response = client.post("/account/notifications", data={"email_notifications": "y"},
                           htmx=True)
    assert response.status_code == 200
    assert 'id="account-notifications"' in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email_notifications is True


# E-mail change


def test_an_email_change_sends_a_link_to_the_new_address_and_a_notice_to_the_old(
        client, login, security_events):
    user = login("holder", email="anne@example.org")
    response = client.post("/account/email", data={"email": " Anne.New@Example.org ",
                                                   "current": factories.PASSWORD})
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.email == "anne@example.org"  # not before the link is opened
    link_mail, = _mails_to("anne.new@example.org")
    assert link_mail.body.count("http://localhost/account/email/confirm/") == 1
    notice, = _mails_to("anne@example.org")
    assert "/account/email/confirm/" not in notice.body
    assert "anne.new@example.org" in notice.body
    change = db.session.scalar(select(EmailChange))
    token = _link(link_mail)
    assert token not in change.token_hash and len(change.token_hash) == 64
    # A secret mail: its row (and the live link) is gone once sent.
    assert not any(token in m.body for m in db.session.scalars(select(OutgoingMail)))
    event, = security_events.of("email.change_requested")
    assert event["user_id"] == user.id
    assert "anne.new@example.org" not in str(event) and token not in str(event)
    html = client.get("/account").get_data(as_text=True)
    assert "anne.new@example.org" in html and "Cancel the change" in html


def test_email_links_are_built_on_the_configured_base_url(app, client, login):
    login("holder")
    client.post("/account/email", data={"email": "new@example.org",
                                        "current": factories.PASSWORD})
    mail, = _mails_to("new@example.org")
    base = app.config["BASE_URL"].rstrip("/")
    assert f"{base}/account/email/confirm/" in mail.body


def test_opening_the_link_logged_in_asks_then_changes_the_address(client, login,
                                                                 security_events):
    user = login("advisor", email="yann@example.org")
    reset = PasswordToken(user_id=user.id, kind="reset", token_hash="f" * 64,
                          expires_at=utcnow() + timedelta(hours=1))
    db.session.add(reset)
    db.session.commit()
    client.post("/account/email", data={"email": "yann@cades.example",
                                        "current": factories.PASSWORD})
    token = _link(_mails_to("yann@cades.example")[0])
    page = client.get(f"/account/email/confirm/{token}")
    assert page.status_code == 200
    assert "yann@cades.example" in page.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email == "yann@example.org"  # a GET changes nothing
    response = client.post(f"/account/email/confirm/{token}")
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.email == "yann@cades.example"
    assert db.session.get(PasswordToken, reset.id).used_at is not None
    assert security_events.kinds().count("email.changed") == 1
    # The link works once.
    again = client.post(f"/account/email/confirm/{token}")
    assert again.status_code == 410
    assert "already used" in again.get_data(as_text=True)
    # The new address logs in.
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"email": "yann@cades.example",
                                            "password": factories.PASSWORD}).status_code == 303


def test_the_link_needs_a_login_and_works_after_it(client, auth, login):
    user = login("holder", email="anne@example.org")
    token = _asked_change(client, "anne2@example.org")
    auth.logout()
    response = client.get(f"/account/email/confirm/{token}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    auth.login(user)
    assert client.post(f"/account/email/confirm/{token}").status_code == 303
    db.session.refresh(user)
    assert user.email == "anne2@example.org"


def test_another_users_link_answers_like_an_unknown_one(client, auth, login):
    anne = login("holder", email="anne@example.org")
    token = _asked_change(client, "anne2@example.org")
    auth.logout()
    other = login("holder", email="other@example.org")
    for method in ("get", "post"):
        response = getattr(client, method)(f"/account/email/confirm/{token}")
        assert response.status_code == 404
        assert "not valid for the account" in response.get_data(as_text=True)
    assert client.get("/account/email/confirm/made-up").status_code == 404
    assert client.get("/account/email/confirm/" + "x" * 300).status_code == 404
    db.session.refresh(anne)
    db.session.refresh(other)
    assert (anne.email, other.email) == ("anne@example.org", "other@example.org")


def test_an_expired_link_is_refused(client, login):
    user = login("holder", email="anne@example.org")
    token = _asked_change(client, "anne2@example.org")
    change = db.session.scalar(select(EmailChange))
    change.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    for method in ("get", "post"):
        response = getattr(client, method)(f"/account/email/confirm/{token}")
        assert response.status_code == 410
        assert "expired" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email == "anne@example.org"


def test_a_new_request_kills_the_earlier_link_and_cancel_kills_the_last(client, login,
                                                                        security_events):
    user = login("holder", email="anne@example.org")
    client.post("/account/email", data={"email": "first@example.org",
                                        "current": factories.PASSWORD})
    client.post("/account/email", data={"email": "second@example.org",
                                        "current": factories.PASSWORD})
    first = _link(_mails_to("first@example.org")[0])
    second = _link(_mails_to("second@example.org")[0])
    assert client.post(f"/account/email/confirm/{first}").status_code == 410
    response = client.post("/account/email/cancel", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="account-email"' in html and "second@example.org" not in html
    assert security_events.kinds().count("email.change_cancelled") == 1
    assert client.post(f"/account/email/confirm/{second}").status_code == 410
    assert client.post("/account/email/cancel").status_code == 303  # nothing pending: fine
    db.session.refresh(user)
    assert user.email == "anne@example.org"


def test_an_email_change_sent_twice_mails_one_link_that_works(client, login):
    """A double click without JavaScript: the second request would cancel the link the first
    just mailed; it leads back to the page instead, and the one link mailed works."""
    login("holder", email="anne@exemple.fr")
    page = client.get("/account").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"',
                      page[page.index('id="account-email"'):]).group(1)
    data = {"email": "anne.new@exemple.fr", "current": factories.PASSWORD, "form_token": token}

    first = client.post("/account/email", data=data)
    second = client.post("/account/email", data=data, htmx=True)

    assert first.status_code == 303
    assert second.status_code == 204 and second.headers["HX-Redirect"].endswith(
        "/account#account-email")
    assert db.session.scalar(select(func.count()).select_from(EmailChange)) == 1
    links = _mails_to("anne.new@exemple.fr")
    assert len(links) == 1
    assert client.post(f"/account/email/confirm/{_link(links[0])}").status_code == 303
    assert "anne.new@exemple.fr" in client.get("/account").get_data(as_text=True)


def test_a_refused_email_change_keeps_its_token_usable(client, login):
    login("holder", email="anne@exemple.fr")
    page = client.get("/account").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"',
                      page[page.index('id="account-email"'):]).group(1)

    taken = client.post("/account/email", data={"email": "anne@exemple.fr",
                                                 "current": factories.PASSWORD,
                                                 "form_token": token})
    fixed = client.post("/account/email", data={"email": "anne.new@exemple.fr",
                                                 "current": factories.PASSWORD,
                                                 "form_token": token})

    assert taken.status_code == 422 and fixed.status_code == 303
    assert len(_mails_to("anne.new@exemple.fr")) == 1


def test_an_email_change_needs_the_password(client, login, security_events):
    login("holder", email="anne@example.org")
    for htmx in (False, True):
        response = client.post("/account/email", data={"email": "new@example.org",
                                                       "current": "not my password"},
                               htmx=htmx)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "This is not your password." in html
        assert 'value="new@example.org"' in html
        assert "not my password" not in html
    assert _mails_to("new@example.org") == []
    assert db.session.scalar(select(func.count()).select_from(EmailChange)) == 0


def test_an_address_of_another_account_is_refused_as_registration_says(client, login):
    factories.user(email="taken@example.org")
    db.session.commit()
    login("holder", email="anne@example.org")
    response = client.post("/account/email", data={"email": "TAKEN@example.org",
                                                   "current": factories.PASSWORD})
    assert response.status_code == 422
    assert "Another account already uses this e-mail address." in \
        response.get_data(as_text=True)
    assert _mails_to("taken@example.org") == []
    same = client.post("/account/email", data={"email": "anne@example.org",
                                               "current": factories.PASSWORD})
    assert same.status_code == 422
    assert "already your address" in same.get_data(as_text=True)


def test_an_address_taken_between_request_and_link_is_refused(client, login):
    user = login("holder", email="anne@example.org")
    client.post("/account/email", data={"email": "late@example.org",
                                        "current": factories.PASSWORD})
    token = _link(_mails_to("late@example.org")[0])
    factories.user(email="late@example.org")
    db.session.commit()
    response = client.post(f"/account/email/confirm/{token}")
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.email == "anne@example.org"
    assert db.session.scalar(select(EmailChange)).cancelled_at is not None


def test_email_change_requests_are_rate_limited(app, client, login):
    app.config["RATELIMIT_ENABLED"] = True
    login("holder")
    statuses = [client.post("/account/email", data={"email": f"n{i}@example.org",
                                                    "current": "wrong"}).status_code
                for i in range(7)]
    assert statuses[:5] == [422] * 5
    assert 429 in statuses[5:]


# Closure requests


def test_a_holder_asks_to_close_their_account_and_managers_are_told(client, login,
                                                                   security_events):
    manager = factories.user("manager", name="Claire Rouxel")
    db.session.commit()
    holder = login("holder", name="Anne Briand")
    page = client.get("/account").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"',
                      page[page.index('id="account-closure"'):]).group(1)
    response = client.post("/account/closure", data={"reason": "Je déménage.", "confirm": "y",
                                                      "form_token": token})
    assert response.status_code == 303
    closure = db.session.scalar(select(ClosureRequest))
    assert (closure.user_id, closure.status, closure.reason) == \
        (holder.id, "pending", "Je déménage.")
    notification = db.session.scalar(select(Notification).where(
        Notification.user_id == manager.id))
    assert notification.kind == "closure_requested"
    mail, = _mails_to(manager.email)
    assert "/admin/closure-requests" in mail.body
    assert "Je déménage." not in mail.body
    assert security_events.of("account.closure_requested")[0]["user_id"] == holder.id
    # The same rendered form sent again creates nothing.
    again = client.post("/account/closure", data={"reason": "again", "confirm": "y",
                                                  "form_token": token})
    assert again.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(ClosureRequest)) == 1
    html = client.get("/account").get_data(as_text=True)
    assert "Cancel my request" in html


def test_a_closure_request_needs_the_box_ticked(client, login):
    login("advisor")
    for htmx in (False, True):
        response = client.post("/account/closure", data={"reason": "x"}, htmx=htmx)
        assert response.status_code == 422
        assert "Tick the box" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ClosureRequest)) == 0


def test_a_second_request_while_one_waits_is_refused(client, login):
    login("mentor")
    assert client.post("/account/closure", data={"confirm": "y"}).status_code == 303
    response = client.post("/account/closure", data={"confirm": "y"}, htmx=True)
    assert response.status_code == 409
    assert "Cancel my request" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ClosureRequest)) == 1


def test_the_requester_cancels_a_pending_request(client, login, security_events):
    login("holder")
    client.post("/account/closure", data={"confirm": "y"})
    response = client.post("/account/closure/cancel", htmx=True)
    assert response.status_code == 200
    assert 'id="account-closure"' in response.get_data(as_text=True)
    assert db.session.scalar(select(ClosureRequest)).status == "cancelled"
    assert security_events.kinds().count("account.closure_cancelled") == 1
    assert client.post("/account/closure/cancel").status_code == 303


def _pending_request(client, auth, login, **kwargs) -> tuple[User, ClosureRequest, User]:
    holder = login("holder", name="Anne Briand", **kwargs)
    client.post("/account/closure", data={"reason": "Plus besoin", "confirm": "y"})
    auth.logout()
    manager = login("manager", name="Claire Rouxel")
    return holder, db.session.scalar(select(ClosureRequest)), manager


def test_managers_see_the_requests_and_decline_one_with_a_message(client, auth, login,
                                                                 security_events):
    holder, closure, manager = _pending_request(client, auth, login)
    users = client.get("/admin/users").get_data(as_text=True)
    assert "/admin/closure-requests" in users and "1 waiting" in users
    page = client.get("/admin/closure-requests")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Anne Briand" in html and "Plus besoin" in html
    prefix = f"closure{closure.id}-"
    refused = client.post(f"/admin/closure-requests/{closure.id}/answer",
                          data={prefix + "status": "declined", prefix + "version": 1},
                          htmx=True)
    assert refused.status_code == 422
    assert "Say why" in refused.get_data(as_text=True)
    response = client.post(f"/admin/closure-requests/{closure.id}/answer",
                           data={prefix + "status": "declined", prefix + "version": 1,
                                 prefix + "message": "Votre projet est encore suivi."},
                           htmx=True)
    assert response.status_code == 200
    assert f'id="closure-request-{closure.id}"' in response.get_data(as_text=True)
    db.session.refresh(closure)
    assert (closure.status, closure.answered_by_id) == ("declined", manager.id)
    mail = _mails_to(holder.email)[-1]
    assert "Votre projet est encore suivi." in mail.body
    assert security_events.of("account.closure_answered")[0]["status"] == "declined"
    auth.logout()
    auth.login(holder)
    assert "Votre projet est encore suivi." in client.get("/account").get_data(as_text=True)


def test_an_answer_from_an_old_version_or_to_a_cancelled_request_is_refused(client, auth,
                                                                           login):
    holder, closure, manager = _pending_request(client, auth, login)
    prefix = f"closure{closure.id}-"
    closure.version = 2  # someone else touched it meanwhile
    db.session.commit()
    response = client.post(f"/admin/closure-requests/{closure.id}/answer",
                           data={prefix + "status": "handled", prefix + "version": 1,
                                 prefix + "message": "Fait."})
    assert response.status_code == 409
    assert "Fait." in response.get_data(as_text=True)
    db.session.refresh(closure)
    assert closure.status == "pending"
    closure.status = "cancelled"
    db.session.commit()
    response = client.post(f"/admin/closure-requests/{closure.id}/answer",
                           data={prefix + "status": "handled", prefix + "version": 2},
                           htmx=True)
    assert response.status_code == 409
    assert "answered or cancelled meanwhile" in response.get_data(as_text=True)


def test_a_manager_marks_a_request_handled_with_a_plain_form(client, auth, login):
    holder, closure, manager = _pending_request(client, auth, login)
    prefix = f"closure{closure.id}-"
    response = client.post(f"/admin/closure-requests/{closure.id}/answer",
                           data={prefix + "status": "handled", prefix + "version": 1})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#closure-request-{closure.id}")
    db.session.refresh(closure)
    assert closure.status == "handled"


@pytest.mark.parametrize("role", ["holder", "mentor", "advisor"])
def test_only_managers_see_and_answer_closure_requests(client, auth, login, role):
    holder, closure, manager = _pending_request(client, auth, login)
    auth.logout()
    login(role)
    assert client.get("/admin/closure-requests").status_code == 403
    prefix = f"closure{closure.id}-"
    assert client.post(f"/admin/closure-requests/{closure.id}/answer",
                       data={prefix + "status": "handled",
                             prefix + "version": 1}).status_code == 403
    db.session.refresh(closure)
    assert closure.status == "pending"


def test_a_manager_does_not_answer_their_own_request(client, auth, login):
    """A manager's own closure request is answered by another manager: no form beside it,
    and a hand-made answer is refused (403), the request still pending."""
    manager = login("manager")
    assert client.post("/account/closure", data={"confirm": "y", "reason": "Je pars"}
                       ).status_code == 303
    closure = db.session.scalar(select(ClosureRequest).where(
        ClosureRequest.user_id == manager.id))

    page = client.get("/admin/closure-requests").get_data(as_text=True)
    answer = client.post(f"/admin/closure-requests/{closure.id}/answer",
                         data={f"closure{closure.id}-status": "handled",
                               f"closure{closure.id}-version": closure.version})

    assert f"closure{closure.id}-status" not in page
    assert "Another manager answers your own request." in page
    assert answer.status_code == 403
    db.session.refresh(closure)
    assert closure.status == "pending"
    auth.logout()
    login("manager")
    assert f"closure{closure.id}-status" in client.get("/admin/closure-requests").get_data(
        as_text=True)


def test_answering_a_missing_request_is_not_found(client, login):
    login("manager")
    assert client.post("/admin/closure-requests/999/answer", data={}).status_code == 404
    assert client.post("/admin/closure-requests/99999999999/answer", data={}).status_code == 404


def test_the_managers_notification_leads_to_the_list_of_requests(client, auth, login):
    manager = factories.user("manager")
    db.session.commit()
    login("holder", name="Anne Briand")
    client.post("/account/closure", data={"confirm": "y"})
    auth.logout()
    auth.login(manager)
    html = client.get("/notifications").get_data(as_text=True)
    assert "Anne Briand asks that their account be closed." in html
    notification = db.session.scalar(select(Notification).where(
        Notification.user_id == manager.id))
    response = client.post(f"/notifications/{notification.id}/open", htmx=True)
    assert response.headers["HX-Redirect"] == "/admin/closure-requests"


def test_a_staff_member_may_ask_too_and_is_not_told_of_their_own_request(client, login):
    manager = login("manager")
    assert client.post("/account/closure", data={"confirm": "y"}).status_code == 303
    assert db.session.scalar(select(ClosureRequest)).user_id == manager.id
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
