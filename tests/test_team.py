"""The team page (/admin/users completed): pending invitations with resend and revoke,
invitation links that expire and work once, last login, and the hand-over of a departing
advisor's projects and open next steps (managers only; every change recorded)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from incubator.extensions import db
from incubator.models import NextStep, PasswordToken, Project, ProjectEvent, User, utcnow
from incubator.tokens import make_password_token

from . import factories

LINK = re.compile(r"http://localhost(/auth/password/\S+)")


def _invite(client, app, name="Sophie Maillard", email="sophie@cades.example"):
    client.post("/admin/users/invite", data={"name": name, "email": email, "role": "advisor"})
    user = db.session.scalar(select(User).where(User.email == email))
    path = LINK.search(app.extensions["outbox"][-1].get_content()).group(1)
    return user, path


def _link_id(html: str, user: User) -> str:
    row = html[html.index(f'id="invitation-user-{user.id}"'):]
    return re.search(r'name="link" value="(\d+)"', row).group(1)


# Pending invitations

def test_pending_invitations_show_who_invited_whom_when_and_until_when(app, client, login):
    manager = login("manager", name="Claire Rouxel")
    invited, _path = _invite(client, app)
    html = client.get("/admin/users").get_data(as_text=True)
    section = html[html.index('id="invitations"'):html.index('id="login-delays"')]
    assert f'id="invitation-user-{invited.id}"' in section
    assert "Sophie Maillard" in section and "sophie@cades.example" in section
    assert f"by {manager.name}" in section and "Valid until" in section
    assert "sent again" not in section
    token = db.session.scalar(select(PasswordToken).where(PasswordToken.user_id == invited.id))
    lifetime = token.expires_at - token.created_at
    assert timedelta(days=7) - timedelta(seconds=5) < lifetime <= timedelta(days=7)


def test_an_expired_invitation_is_shown_as_expired(app, client, login):
    login("manager")
    invited, _path = _invite(client, app)
    token = db.session.scalar(select(PasswordToken).where(PasswordToken.user_id == invited.id))
    token.expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Expired on" in html[html.index('id="invitations"'):]


def test_accounts_with_a_password_are_not_pending(client, login):
    login("manager")
    factories.user(role="advisor", name="Déjà Inscrite")
    db.session.commit()
    html = client.get("/admin/users").get_data(as_text=True)
    assert 'id="invitations-none"' in html


@pytest.mark.parametrize("htmx", [False, True])
def test_sending_again_gives_a_new_link_and_kills_the_old_one(app, client, login, htmx,
                                                             security_events):
    login("manager")
    invited, old_path = _invite(client, app)
    link = _link_id(client.get("/admin/users").get_data(as_text=True), invited)
    response = client.post(f"/admin/users/{invited.id}/invitation", data={"link": link},
                           htmx=htmx)
    if htmx:
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and html.startswith('<section id="invitations"')
        assert "A new invitation was sent to sophie@cades.example" in html
        assert "HX-Request" in response.headers["Vary"]
    else:
        assert response.status_code == 303
    new_path = LINK.search(app.extensions["outbox"][-1].get_content()).group(1)
    assert new_path != old_path
    assert "sent again on" in client.get("/admin/users").get_data(as_text=True)
    dead = client.get(old_path)
    assert dead.status_code == 410 and "A newer invitation was sent" in dead.get_data(as_text=True)
    assert client.get(new_path).status_code == 200
    assert [e.get("again") for e in security_events.of("user.invited")] == [None, True]


@pytest.mark.parametrize("htmx", [False, True])
def test_a_resend_from_a_stale_page_is_refused(app, client, login, htmx):
    login("manager")
    invited, _path = _invite(client, app)
    link = _link_id(client.get("/admin/users").get_data(as_text=True), invited)
    client.post(f"/admin/users/{invited.id}/invitation", data={"link": link})  # another tab
    sent = len(app.extensions["outbox"])
    response = client.post(f"/admin/users/{invited.id}/invitation", data={"link": link},
                           htmx=htmx)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "changed since the page was loaded" in html and 'id="invitations"' in html
    assert len(app.extensions["outbox"]) == sent


def test_revoking_asks_first(app, client, login):
    login("manager")
    invited, path = _invite(client, app)
    link = _link_id(client.get("/admin/users").get_data(as_text=True), invited)
    response = client.post(f"/admin/users/{invited.id}/invitation/revoke", data={"link": link})
    assert response.status_code == 200 and "Revoke the invitation of Sophie Maillard?" in (
        response.get_data(as_text=True))
    assert db.session.get(User, invited.id).active
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("htmx", [False, True])
def test_revoking_kills_the_link_and_deactivates_the_account(app, client, login, htmx,
                                                             security_events):
    manager = login("manager")
    invited, path = _invite(client, app)
    link = _link_id(client.get("/admin/users").get_data(as_text=True), invited)
    response = client.post(f"/admin/users/{invited.id}/invitation/revoke",
                           data={"link": link, "confirm": "1"}, htmx=htmx)
    if htmx:
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and 'id="invitations-none"' in html
        assert "The invitation of Sophie Maillard is revoked" in html
    else:
        assert response.status_code == 303
    account = db.session.get(User, invited.id)
    assert account is not None and not account.active  # kept: history and links survive
    assert account.invited_by_id == manager.id
    dead = client.get(path)
    assert dead.status_code == 410 and "This invitation was withdrawn" in dead.get_data(as_text=True)
    [event] = security_events.of("user.invitation_revoked")
    assert event["target_id"] == invited.id and event["by_id"] == manager.id
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Invitation withdrawn" in html


def test_revoking_an_accepted_invitation_changes_nothing(client, login):
    login("manager")
    person = factories.user(role="advisor")
    db.session.commit()
    response = client.post(f"/admin/users/{person.id}/invitation/revoke",
                           data={"link": "0", "confirm": "1"})
    assert response.status_code == 409 and "already accepted" in response.get_data(as_text=True)
    assert db.session.get(User, person.id).active


def test_invitation_actions_are_for_managers_only(app, client, login, auth):
    login("manager")
    invited, path = _invite(client, app)
    auth.logout()
    login("advisor")
    for url in (f"/admin/users/{invited.id}/invitation",
                f"/admin/users/{invited.id}/invitation/revoke"):
        assert client.post(url, data={"link": "1", "confirm": "1"}).status_code == 403
    assert db.session.get(User, invited.id).active
    assert client.get(path).status_code == 200


def test_invitation_actions_need_the_csrf_token_and_the_link(app, client, login):
    login("manager")
    invited, _path = _invite(client, app)
    url = f"/admin/users/{invited.id}/invitation"
    assert client.post(url, data={"link": "1"}, csrf=False).status_code == 400
    assert client.post(url).status_code == 400
    assert client.post(f"/admin/users/{invited.id}/invitation/revoke",
                       data={"confirm": "1"}).status_code == 400
    assert client.post("/admin/users/99999/invitation", data={"link": "1"}).status_code == 404


# The links

def test_an_expired_invitation_link_says_so_and_whom_to_ask(app, client, login, auth):
    login("manager")
    invited, path = _invite(client, app)
    token = db.session.scalar(select(PasswordToken).where(PasswordToken.user_id == invited.id))
    token.expires_at = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    db.session.commit()
    auth.logout()
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 410
    # In the pole's time zone (Paris): already 1 December.
    assert "This invitation expired on 1 December 2026, 00:30" in html
    assert "Ask the person who invited you for a new invitation" in html
    assert client.post(path, data={"password": "x" * 20, "confirm": "x" * 20}).status_code == 410
    assert db.session.get(User, invited.id).password_hash is None


def test_an_invitation_link_works_once(app, client, login, auth):
    login("manager")
    invited, path = _invite(client, app)
    auth.logout()
    password = "le bocage de redon en hiver"
    assert client.post(path, data={"password": password, "confirm": password}).status_code == 303
    auth.logout()
    again = client.get(path)
    assert again.status_code == 410 and "already used" in again.get_data(as_text=True)


def test_the_invitation_lifetime_is_configurable(app):
    app.config["INVITATION_HOURS"] = 48
    user = factories.user(password=None)
    make_password_token(user, "invite")
    token = db.session.scalar(select(PasswordToken).where(PasswordToken.user_id == user.id))
    lifetime = token.expires_at - token.created_at
    assert timedelta(hours=48) - timedelta(seconds=5) < lifetime <= timedelta(hours=48)


def test_an_unknown_link_still_sends_to_the_reset_page(client):
    response = client.get("/auth/password/not-a-real-token")
    assert response.status_code == 303 and response.headers["Location"].endswith("/auth/reset")


# Last login

def test_last_login_is_shown_in_the_poles_time_zone_in_french(client, login):
    login("manager")
    person = factories.user(role="advisor", name="Erwan Le Bihan")
    person.last_login_at = datetime(2026, 7, 14, 21, 5, tzinfo=UTC)
    db.session.commit()
    html = client.get("/admin/users", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    row = html[html.index(f'id="user-{person.id}"'):]
    assert "14 juil. 2026, 23:05" in row[:row.index("</tr>")]


# Hand-over

@pytest.fixture
def departure(app):
    """Yann (advisor, leaving) follows two running projects and a closed one, has two open
    next steps (one on another advisor's project) and a done one; Nolwenn receives."""
    leaving = factories.user(role="advisor", name="Yann Le Goff")
    receiving = factories.user(role="advisor", name="Nolwenn Tanguy")
    other = factories.user(role="advisor", name="Gaël Morvan")
    first = factories.project(advisor=leaving, title="Épicerie vrac")
    second = factories.project(advisor=leaving, title="Recyclerie", status="paused")
    closed = factories.project(advisor=leaving, title="Café associatif", status="closed")
    elsewhere = factories.project(advisor=other, title="Jardin partagé")
    steps = [NextStep(project_id=first.id, title="Appeler la mairie", due_on=date(2027, 1, 5),
                      assignee_id=leaving.id),
             NextStep(project_id=elsewhere.id, title="Relire le budget",
                      due_on=date(2027, 1, 9), assignee_id=leaving.id),
             NextStep(project_id=first.id, title="Visiter le local", due_on=date(2026, 10, 1),
                      assignee_id=leaving.id, done_at=utcnow())]
    db.session.add_all(steps)
    db.session.commit()
    return {"leaving": leaving, "receiving": receiving, "first": first, "second": second,
            "closed": closed, "elsewhere": elsewhere, "steps": steps}


def _preview(client, d, htmx=False):
    return client.post("/admin/users/handover", htmx=htmx, data={
        "from_id": d["leaving"].id, "to_id": d["receiving"].id})


def _fingerprint(html: str) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]+)"', html).group(1)


def test_the_hand_over_page_offers_staff_and_active_staff(client, login, departure):
    login("manager")
    gone = factories.user(role="advisor", name="Parti Ailleurs", active=False)
    holder = factories.user(name="Porteuse Simple")
    db.session.commit()
    for htmx in (False, True):
        response = client.get("/admin/users/handover", htmx=htmx)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
        assert html.startswith('<section id="handover"') == htmx
        to_select = html[html.index('name="to_id"'):]
        to_select = to_select[:to_select.index("</select>")]
        assert "Nolwenn Tanguy" in to_select and "Parti Ailleurs" not in to_select
        assert "Parti Ailleurs (deactivated)" in html and "Porteuse Simple" not in html
    assert gone.id and holder.id


@pytest.mark.parametrize("htmx", [False, True])
def test_the_preview_counts_what_moves_and_changes_nothing(client, login, departure, htmx):
    login("manager")
    response = _preview(client, departure, htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 projects followed" in html and "2 open next steps" in html
    assert "Café associatif" not in html and "Recyclerie" in html
    assert 'id="handover-confirm"' in html and html.startswith('<section id="handover"') == htmx
    assert db.session.get(Project, departure["first"].id).advisor_id == departure["leaving"].id


@pytest.mark.parametrize("htmx", [False, True])
def test_a_confirmed_hand_over_moves_projects_and_open_steps_in_one_go(
        client, login, departure, htmx, security_events):
    manager = login("manager")
    d = departure
    versions = {p: db.session.get(Project, d[p].id).version for p in ("first", "second")}
    fingerprint = _fingerprint(_preview(client, d).get_data(as_text=True))
    response = client.post("/admin/users/handover", htmx=htmx, data={
        "from_id": d["leaving"].id, "to_id": d["receiving"].id, "fingerprint": fingerprint,
        "confirm": "1"})
    if htmx:
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and html.startswith('<section id="handover"')
        assert "Hand-over done: Nolwenn Tanguy replaces Yann Le Goff on 2 projects and 2 open next steps." in html
    else:
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/admin/users/handover")
    for name in ("first", "second"):
        project = db.session.get(Project, d[name].id)
        assert project.advisor_id == d["receiving"].id
        assert project.version == versions[name] + 1
    # What is not open work keeps its name.
    assert db.session.get(Project, d["closed"].id).advisor_id == d["leaving"].id
    assert db.session.get(Project, d["elsewhere"].id).advisor_id != d["receiving"].id
    open_step, other_step, done_step = (db.session.get(NextStep, s.id) for s in d["steps"])
    assert open_step.assignee_id == other_step.assignee_id == d["receiving"].id
    assert done_step.assignee_id == d["leaving"].id
    assert db.session.get(User, d["leaving"].id).active
    # Each project touched says so on its timeline: who, from, to, what.
    events = {e.project_id: e for e in db.session.scalars(
        select(ProjectEvent).where(ProjectEvent.kind == "advisor_handed_over"))}
    assert set(events) == {d["first"].id, d["second"].id, d["elsewhere"].id}
    first = events[d["first"].id]
    assert first.actor_id == manager.id and first.subject_id == d["receiving"].id
    assert first.detail == {"from": "Yann Le Goff", "to": "Nolwenn Tanguy", "advisor": True,
                            "steps": 1}
    assert events[d["elsewhere"].id].detail["advisor"] is False
    history = client.get(f"/projects/{d['first'].id}/history", htmx=True).get_data(as_text=True)
    assert ("Hand-over: Nolwenn Tanguy replaces Yann Le Goff as advisor and on 1 open next step"
            in history)
    [event] = security_events.of("team.handed_over")
    assert event["projects"] == 2 and event["steps"] == 2


@pytest.mark.parametrize("htmx", [False, True])
def test_a_hand_over_from_a_stale_preview_is_refused_with_the_choices_kept(
        client, login, departure, htmx):
    login("manager")
    d = departure
    fingerprint = _fingerprint(_preview(client, d).get_data(as_text=True))
    # Meanwhile the leaving advisor takes one more project.
    factories.project(advisor=d["leaving"], title="Atelier vélo")
    db.session.commit()
    response = client.post("/admin/users/handover", htmx=htmx, data={
        "from_id": d["leaving"].id, "to_id": d["receiving"].id, "fingerprint": fingerprint,
        "confirm": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'id="handover-stale"' in html and "3 projects followed" in html
    assert re.search(rf'<option selected value="{d["receiving"].id}"', html)
    assert _fingerprint(html) != fingerprint
    assert db.session.get(Project, d["first"].id).advisor_id == d["leaving"].id
    assert db.session.scalar(select(ProjectEvent).where(
        ProjectEvent.kind == "advisor_handed_over")) is None


def _refused(client, data, htmx=False):
    response = client.post("/admin/users/handover", data=data, htmx=htmx)
    assert response.status_code == 422, response.status_code
    return response.get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_hand_over_refusals_say_why_and_change_nothing(client, login, departure, htmx):
    login("manager")
    d = departure
    leaving = d["leaving"].id
    inactive = factories.user(role="advisor", name="Partie Déjà", active=False)
    holder = factories.user(name="Porteuse")
    pending = factories.user(role="advisor", name="Pas Encore", password=None)
    db.session.commit()
    cases = [
        ({"from_id": leaving, "to_id": leaving}, "Choose two different people"),
        ({"from_id": leaving, "to_id": inactive.id}, "is deactivated: choose an active"),
        ({"from_id": leaving, "to_id": holder.id}, "only staff can receive projects"),
        ({"from_id": holder.id, "to_id": d["receiving"].id}, "choose whose work"),
        ({"from_id": leaving, "to_id": pending.id}, "has not accepted their invitation"),
        ({"from_id": leaving, "to_id": 999999}, "Choose one of the people offered"),
        ({"from_id": "abc", "to_id": d["receiving"].id}, "Choose one of the people offered"),
        ({"from_id": leaving}, "Choose who receives the work"),
    ]
    for data, message in cases:
        html = _refused(client, {**data, "confirm": "1", "fingerprint": "x"}, htmx)
        assert message in html, (data, message)
        assert html.startswith('<section id="handover"') == htmx
    assert db.session.get(Project, d["first"].id).advisor_id == leaving
    assert db.session.scalar(select(ProjectEvent).where(
        ProjectEvent.kind == "advisor_handed_over")) is None


def test_only_managers_hand_over(client, login, departure):
    login("advisor")
    d = departure
    assert client.get("/admin/users/handover").status_code == 403
    response = client.post("/admin/users/handover", data={
        "from_id": d["leaving"].id, "to_id": d["receiving"].id, "confirm": "1",
        "fingerprint": "x"})
    assert response.status_code == 403
    assert db.session.get(Project, d["first"].id).advisor_id == d["leaving"].id


def test_the_hand_over_needs_the_csrf_token(client, login, departure):
    login("manager")
    d = departure
    response = client.post("/admin/users/handover", csrf=False, data={
        "from_id": d["leaving"].id, "to_id": d["receiving"].id})
    assert response.status_code == 400


def test_nothing_to_hand_over_says_so(client, login, departure):
    login("manager")
    response = client.post("/admin/users/handover", data={
        "from_id": departure["receiving"].id, "to_id": departure["leaving"].id})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="handover-nothing"' in html
    assert 'id="handover-confirm"' not in html


# Fixed cost whatever the size

def _invite_many(manager, count, first=0):
    from incubator.auth.services import create_user, send_invitation
    from incubator.models import Role

    for n in range(first, first + count):
        user = create_user(f"invite{n}@example.org", f"Invité {n}", Role.MENTOR,
                           None, invited_by=manager)
        send_invitation(user, manager)
    db.session.commit()


def test_the_users_page_costs_the_same_with_more_pending_invitations(client, login):
    from .helpers import count_statements

    manager = login("manager")
    _invite_many(manager, 1)
    client.get("/admin/users")
    with count_statements() as few:
        client.get("/admin/users")
    _invite_many(manager, 15, first=1)
    with count_statements() as many:
        html = client.get("/admin/users").get_data(as_text=True)
    assert html.count('id="invitation-user-') == 16
    assert len(many) == len(few)


def test_a_hand_over_costs_the_same_whatever_the_number_of_projects(client, login):
    from .helpers import count_statements

    login("manager")
    counts = []
    for size in (1, 8):
        leaving = factories.user(role="advisor")
        receiving = factories.user(role="advisor")
        for n in range(size):
            project = factories.project(advisor=leaving)
            db.session.add(NextStep(project_id=project.id, title=f"Étape {n}",
                                    due_on=date(2027, 1, 5), assignee_id=leaving.id))
        db.session.commit()
        data = {"from_id": leaving.id, "to_id": receiving.id}
        html = client.post("/admin/users/handover", data=data).get_data(as_text=True)
        with count_statements() as statements:
            response = client.post("/admin/users/handover", data={
                **data, "confirm": "1", "fingerprint": _fingerprint(html)})
        assert response.status_code == 303
        counts.append(len(statements))
    assert counts[0] == counts[1], "\n".join(s[:90] for s in statements)


def test_the_users_table_answers_alone_to_htmx_and_reloads_after_a_revoke(app, client, login):
    login("manager")
    invited, _path = _invite(client, app)
    page = client.get("/admin/users?role=advisor")
    html = page.get_data(as_text=True)
    assert 'hx-trigger="users-changed from:body"' in html and "<h1>" in html
    fragment = client.get("/admin/users?role=advisor", htmx=True)
    table = fragment.get_data(as_text=True)
    assert table.startswith('<div id="users-table"') and "<h1>" not in table
    assert "HX-Request" in fragment.headers["Vary"]
    assert f'id="user-{invited.id}"' in table and "Invitation pending" in table
    link = _link_id(html, invited)
    response = client.post(f"/admin/users/{invited.id}/invitation/revoke",
                           data={"link": link, "confirm": "1"}, htmx=True)
    assert "users-changed" in response.headers["HX-Trigger"]
    table = client.get("/admin/users?role=advisor", htmx=True).get_data(as_text=True)
    assert "Invitation withdrawn" in table


def test_the_second_manager_confirming_the_same_hand_over_gets_409(client, login, auth,
                                                                   departure):
    d = departure
    login("manager")
    data = {"from_id": d["leaving"].id, "to_id": d["receiving"].id}
    fingerprint = _fingerprint(client.post("/admin/users/handover", data=data)
                               .get_data(as_text=True))
    confirm = {**data, "confirm": "1", "fingerprint": fingerprint}
    assert client.post("/admin/users/handover", data=confirm).status_code == 303
    auth.logout()
    login("manager")  # a colleague who previewed the same hand-over before
    response = client.post("/admin/users/handover", data=confirm)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and 'id="handover-nothing"' in html
    events = db.session.scalars(select(ProjectEvent.project_id).where(
        ProjectEvent.kind == "advisor_handed_over")).all()
    assert len(events) == 3  # the first hand-over's only


def test_a_step_done_since_the_preview_makes_the_confirmation_stale(client, login, departure):
    d = departure
    login("manager")
    data = {"from_id": d["leaving"].id, "to_id": d["receiving"].id}
    fingerprint = _fingerprint(client.post("/admin/users/handover", data=data)
                               .get_data(as_text=True))
    db.session.get(NextStep, d["steps"][1].id).done_at = utcnow()
    db.session.commit()
    response = client.post("/admin/users/handover",
                           data={**data, "confirm": "1", "fingerprint": fingerprint})
    assert response.status_code == 409 and "1 open next step" in response.get_data(as_text=True)
    assert db.session.get(NextStep, d["steps"][0].id).assignee_id == d["leaving"].id


def test_the_receiving_advisor_is_told_once(client, login, auth, departure):
    from incubator.models import Notification

    d = departure
    login("manager", name="Claire Rouxel")
    data = {"from_id": d["leaving"].id, "to_id": d["receiving"].id}
    fingerprint = _fingerprint(client.post("/admin/users/handover", data=data)
                               .get_data(as_text=True))
    client.post("/admin/users/handover", data={**data, "confirm": "1", "fingerprint": fingerprint})
    [notification] = db.session.scalars(select(Notification).where(
        Notification.user_id == d["receiving"].id)).all()
    assert notification.kind == "handed_over" and notification.project_id is None
    auth.logout()
    auth.login(d["receiving"])
    html = client.get("/notifications").get_data(as_text=True)
    assert ("You replace Yann Le Goff: 2 projects and 2 open next steps are now yours "
            "(hand-over by Claire Rouxel).") in html
