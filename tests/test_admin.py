"""User administration: list, invitations, role changes, deactivation (managers only)."""

from __future__ import annotations

import re

from sqlalchemy import select

from incubator.extensions import db
from incubator.models import User

from . import factories


def test_only_managers_reach_the_user_list(client, login):
    login("advisor")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users/invite", data={"name": "X", "email": "x@example.org",
                                                    "role": "advisor"}).status_code == 403
    assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_the_user_list_shows_everyone_with_their_role(client, login):
    manager = login("manager", name="Claire Rouxel")
    holder = factories.user(role="holder", name="Maëlle Guillou")
    db.session.commit()
    html = client.get("/admin/users").get_data(as_text=True)
    assert f'id="user-{manager.id}"' in html and f'id="user-{holder.id}"' in html
    assert "Maëlle Guillou" in html and "Project holder" in html
    html = client.get("/admin/users?role=holder").get_data(as_text=True)
    assert f'id="user-{holder.id}"' in html and f'id="user-{manager.id}"' not in html


def test_a_manager_invites_an_advisor_who_sets_a_password(app, client, login, auth):
    login("manager")
    response = client.post("/admin/users/invite", data={
        "name": "Sophie Maillard", "email": "Sophie@Cades.example", "role": "advisor"})
    assert response.status_code == 303
    invited = db.session.scalar(select(User).where(User.email == "sophie@cades.example"))
    assert invited.role == "advisor" and invited.password_hash is None
    assert invited.invited_by_id is not None
    message = app.extensions["outbox"][-1]
    assert message["To"] == "sophie@cades.example"
    link = re.search(r"http://localhost(/auth/password/\S+)", message.get_content()).group(1)
    auth.logout()
    # No password yet: cannot log in.
    assert auth.login("sophie@cades.example", "anything at all here").status_code == 401
    page = client.get(link)
    assert page.status_code == 200 and "Sophie Maillard" in page.get_data(as_text=True)
    password = "le bocage de redon en hiver"
    response = client.post(link, data={"password": password, "confirm": password})
    assert response.status_code == 303 and response.headers["Location"] == "/board"


def test_inviting_a_taken_address_is_refused(client, login):
    login("manager")
    factories.user(email="taken@example.org")
    db.session.commit()
    response = client.post("/admin/users/invite", data={
        "name": "Someone", "email": "taken@example.org", "role": "mentor"})
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_inviting_a_holder_or_an_unknown_role_is_refused(client, login):
    login("manager")
    for role in ("holder", "admin"):
        response = client.post("/admin/users/invite", data={
            "name": "Someone", "email": f"{role}@example.org", "role": role})
        assert response.status_code == 422
    assert db.session.scalar(select(User).where(User.email.like("%@example.org"),
                                                User.name == "Someone")) is None


def test_a_manager_changes_a_role(client, login):
    login("manager")
    person = factories.user(role="holder")
    db.session.commit()
    response = client.post(f"/admin/users/{person.id}/role", data={"role": "mentor"})
    assert response.status_code == 303
    assert db.session.get(User, person.id).role == "mentor"


def test_the_last_manager_cannot_be_demoted_or_deactivated(client, login):
    manager = login("manager")
    client.post(f"/admin/users/{manager.id}/role", data={"role": "advisor"})
    assert db.session.get(User, manager.id).role == "manager"
    client.post(f"/admin/users/{manager.id}/active", data={"confirm": "1", "active": "0"})
    assert db.session.get(User, manager.id).active
    other = factories.user(role="manager")
    db.session.commit()
    client.post(f"/admin/users/{other.id}/role", data={"role": "advisor"})
    assert db.session.get(User, other.id).role == "advisor"


def test_a_deactivated_account_cannot_log_in_and_can_be_reactivated(client, login, auth):
    login("manager")
    person = factories.user(role="advisor")
    db.session.commit()
    client.post(f"/admin/users/{person.id}/active", data={"confirm": "1", "active": "0"})
    assert not db.session.get(User, person.id).active
    client.post(f"/admin/users/{person.id}/active", data={"confirm": "1", "active": "1"})
    assert db.session.get(User, person.id).active


def test_the_account_buttons_state_their_result(client, login):
    login("manager")
    active = factories.user(role="advisor", name="Active Person")
    inactive = factories.user(role="advisor", name="Inactive Person", active=False)
    db.session.commit()
    html = client.get("/admin/users").get_data(as_text=True)
    row = html.split(f'id="user-{active.id}"')[1].split("</tr>")[0]
    assert 'name="active" value="0"' in row and "Deactivate" in row
    row = html.split(f'id="user-{inactive.id}"')[1].split("</tr>")[0]
    assert 'name="active" value="1"' in row and "Reactivate" in row


def test_deactivating_twice_leaves_the_account_deactivated(client, login, security_events):
    login("manager")
    person = factories.user(role="advisor", name="Deux Fois")
    db.session.commit()
    for _ in range(2):  # a stale tab, or a second manager, presses the same button
        response = client.post(f"/admin/users/{person.id}/active", data={"confirm": "1", "active": "0"},
                               follow_redirects=True)
        assert response.status_code == 200
        assert not db.session.get(User, person.id).active
    assert "The account of Deux Fois is already deactivated." in response.get_data(as_text=True)
    assert len(security_events.of("user.deactivated")) == 1
    assert security_events.of("user.reactivated") == []


def test_reactivating_twice_leaves_the_account_active(client, login, security_events):
    login("manager")
    person = factories.user(role="advisor", name="Deux Fois", active=False)
    db.session.commit()
    for _ in range(2):
        response = client.post(f"/admin/users/{person.id}/active", data={"confirm": "1", "active": "1"},
                               follow_redirects=True)
        assert db.session.get(User, person.id).active
    assert "The account of Deux Fois is already active." in response.get_data(as_text=True)
    assert len(security_events.of("user.reactivated")) == 1


def test_an_account_change_without_its_intended_state_is_refused(client, login):
    login("manager")
    person = factories.user(role="advisor")
    db.session.commit()
    for data in ({}, {"active": ""}, {"active": "2"}, {"active": "yes"}):
        assert client.post(f"/admin/users/{person.id}/active", data=data).status_code == 400
    assert db.session.get(User, person.id).active


def test_choosing_the_current_role_again_says_nothing_changed(client, login, security_events):
    login("manager")
    person = factories.user(role="mentor", name="Même Rôle")
    db.session.commit()
    response = client.post(f"/admin/users/{person.id}/role", data={"role": "mentor"},
                           follow_redirects=True)
    assert "Même Rôle already has this role" in response.get_data(as_text=True)
    assert security_events.of("user.role_changed") == []


def test_no_invitation_is_sent_to_a_deactivated_account(app, client, login):
    login("manager")
    person = factories.user(role="advisor", name="Sans Compte", active=False, password=None)
    db.session.commit()
    response = client.post(f"/admin/users/{person.id}/invitation", data={"link": "0"})
    assert response.status_code == 409
    assert "The account of Sans Compte is deactivated" in response.get_data(as_text=True)
    assert app.extensions.get("outbox", []) == []


def test_unknown_user_ids_are_404(client, login):
    login("manager")
    assert client.post("/admin/users/99999/role", data={"role": "mentor"}).status_code == 404
    assert client.post("/admin/users/99999/active", data={"confirm": "1", "active": "0"}).status_code == 404


def test_the_user_list_is_paginated(client, login):
    login("manager")
    for _ in range(55):
        factories.user(role="holder")
    db.session.commit()
    html = client.get("/admin/users?role=holder").get_data(as_text=True)
    assert "Page 1 of 2" in html and 'href="/admin/users?page=2&amp;role=holder"' in html
    second = client.get("/admin/users?page=2&role=holder").get_data(as_text=True)
    assert "Page 2 of 2" in second and "Previous" in second
