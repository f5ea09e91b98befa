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
    client.post(f"/admin/users/{manager.id}/active")
    assert db.session.get(User, manager.id).active
    other = factories.user(role="manager")
    db.session.commit()
    client.post(f"/admin/users/{other.id}/role", data={"role": "advisor"})
    assert db.session.get(User, other.id).role == "advisor"


def test_a_deactivated_account_cannot_log_in_and_can_be_reactivated(client, login, auth):
    login("manager")
    person = factories.user(role="advisor")
    db.session.commit()
    client.post(f"/admin/users/{person.id}/active")
    assert not db.session.get(User, person.id).active
    client.post(f"/admin/users/{person.id}/active")
    assert db.session.get(User, person.id).active


def test_unknown_user_ids_are_404(client, login):
    login("manager")
    assert client.post("/admin/users/99999/role", data={"role": "mentor"}).status_code == 404
    assert client.post("/admin/users/99999/active").status_code == 404


def test_the_user_list_is_paginated(client, login):
    login("manager")
    for _ in range(55):
        factories.user(role="holder")
    db.session.commit()
    html = client.get("/admin/users?role=holder").get_data(as_text=True)
    assert "Page 1 of 2" in html and 'href="/admin/users?page=2&amp;role=holder"' in html
    second = client.get("/admin/users?page=2&role=holder").get_data(as_text=True)
    assert "Page 2 of 2" in second and "Previous" in second
