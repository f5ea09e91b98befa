"""The project page's header and people: advisor in place, holders, description in place."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.models import NextStep, Project, ProjectEvent, ProjectHolder, User

from . import factories

# The version of a project the factory just submitted (written, then submitted).
V = factories.SUBMITTED_VERSION


def _events(project) -> list[str]:
    return list(db.session.scalars(select(ProjectEvent.kind).where(
        ProjectEvent.project_id == project.id).order_by(ProjectEvent.id)))


def test_staff_assign_the_advisor_in_place(client, login):
    login("manager")
    advisor = factories.user(role="advisor", name="Sophie Maillard")
    project = factories.project()
    db.session.commit()
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert 'name="advisor_id"' in page
    response = client.post(f"/projects/{project.id}/advisor", htmx=True,
                           data={"advisor_id": advisor.id, "version": V})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<div class="advisor-field" id="advisor-project-{project.id}"')
    assert "HX-Request" in response.headers["Vary"]
    assert db.session.get(Project, project.id).advisor_id == advisor.id
    assert _events(project) == ["advisor_changed"]
    timeline = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Advisor: Sophie Maillard" in timeline


def test_advisor_change_with_a_stale_version_is_refused(client, login):
    login("advisor")
    other = factories.user(role="advisor")
    project = factories.project()
    db.session.commit()
    client.post(f"/projects/{project.id}/advisor", data={"advisor_id": other.id, "version": V})
    response = client.post(f"/projects/{project.id}/advisor", htmx=True,
                           data={"advisor_id": "", "version": V})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone changed this since you opened it." in html
    assert f"Advisor now: {other.name}" in html  # the current value, shown
    assert '<option value="" selected>' in html  # the user's choice, kept
    assert f'name="version" value="{V + 1}"' in html  # saving again is now deliberate
    assert db.session.get(Project, project.id).advisor_id == other.id


def test_only_staff_can_be_assigned_and_only_staff_assign(client, login):
    holder = login("holder")
    project = factories.project(holders=[holder])
    db.session.commit()
    assert client.post(f"/projects/{project.id}/advisor",
                       data={"advisor_id": holder.id, "version": V}).status_code == 403
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert 'name="advisor_id"' not in page and "Add a holder" not in page


def test_assigning_a_holder_as_advisor_is_refused(client, login):
    login("advisor")
    holder = factories.user(role="holder")
    project = factories.project()
    db.session.commit()
    response = client.post(f"/projects/{project.id}/advisor", htmx=True,
                           data={"advisor_id": holder.id, "version": V})
    assert response.status_code == 422
    assert db.session.get(Project, project.id).advisor_id is None


def test_the_advisor_picker_saves_only_on_submit(client, login):
    login("advisor")
    project = factories.project()
    db.session.commit()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    picker = html[html.index(f'id="advisor-project-{project.id}"'):].split("</form>")[0]
    assert "hx-trigger" not in picker  # htmx posts a form on submit only: no "change"
    assert 'type="submit"' in picker


def _pending_staff():
    """A colleague invited by a manager who has not chosen a password yet."""
    return factories.user(role="advisor", name="Invitée Enattente", password=None)


def test_staff_whose_invitation_is_pending_are_offered_nowhere(client, login):
    login("manager")
    _pending_staff()
    factories.user(role="advisor", name="Sophie Maillard")
    pending_holder = factories.user(name="Porteur Invité", password=None)
    project = factories.project(holders=[pending_holder])
    db.session.commit()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    picker = html[html.index(f'id="advisor-select-project-{project.id}"'):].split("</select>")[0]
    assert "Sophie Maillard" in picker and "Invitée Enattente" not in picker
    steps = html[html.index('id="next-step-assignee"'):].split("</select>")[0]
    assert "Sophie Maillard" in steps
    assert "Invitée Enattente" not in steps and "Porteur Invité" not in steps
    board_filter = client.get("/board").get_data(as_text=True)
    board_filter = board_filter[board_filter.index('name="advisor"'):].split("</select>")[0]
    assert "Sophie Maillard" in board_filter and "Invitée Enattente" not in board_filter


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_crafted_post_naming_a_pending_colleague_is_refused(client, login, htmx):
    login("advisor")
    pending = _pending_staff()
    project = factories.project()
    db.session.commit()
    response = client.post(f"/projects/{project.id}/advisor", htmx=htmx,
                           data={"advisor_id": pending.id, "version": V})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Invitée Enattente has not accepted their invitation yet" in html
    assert ("<html" in html) is not htmx
    assert f'id="advisor-project-{project.id}"' in html  # the picker, to choose again
    assert db.session.get(Project, project.id).advisor_id is None
    assert _events(project) == []


def test_a_step_cannot_be_given_to_a_pending_colleague(client, login):
    login("advisor")
    pending = _pending_staff()
    project = factories.project()
    db.session.commit()
    response = client.post(f"/projects/{project.id}/next-steps", htmx=True, data={
        "title": "Relancer la mairie", "due_on": "2030-01-15", "assignee_id": pending.id})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(NextStep)) == 0


def test_staff_link_an_existing_holder_account(client, login):
    login("advisor")
    existing = factories.user(role="holder", email="anne@exemple.fr", name="Anne Briand")
    project = factories.project(holders=[])
    db.session.commit()
    response = client.post(f"/projects/{project.id}/holders", htmx=True,
                           data={"email": "Anne@Exemple.fr", "name": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Anne Briand is now a holder" in html
    assert db.session.get(ProjectHolder, (project.id, existing.id)) is not None
    again = client.post(f"/projects/{project.id}/holders", htmx=True,
                        data={"email": "anne@exemple.fr"})
    assert again.status_code == 422 and "already a holder" in again.get_data(as_text=True)


def test_a_new_holder_is_invited_by_email(app, client, login, auth):
    login("advisor")
    project = factories.project(holders=[], title="Habitat partagé")
    db.session.commit()
    response = client.post(f"/projects/{project.id}/holders",
                           data={"email": "nouveau@exemple.fr", "name": "Léa Jouan"})
    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.email == "nouveau@exemple.fr"))
    assert user.role == "holder" and user.password_hash is None
    message = app.extensions["outbox"][-1]
    assert "Habitat partagé" in message["Subject"]
    link = re.search(r"http://localhost(/auth/password/\S+)", message.get_content()).group(1)
    auth.logout()
    password = "une maison pour six familles"
    assert client.post(link, data={"password": password, "confirm": password}).status_code == 303
    assert client.get(f"/projects/{project.id}").status_code == 200


def test_inviting_a_co_holder_is_a_security_event(client, login, security_events):
    advisor = login("advisor")
    existing = factories.user(role="holder", email="anne@exemple.fr")
    project = factories.project(holders=[])
    db.session.commit()
    client.post(f"/projects/{project.id}/holders", data={"email": existing.email})
    assert security_events.of("user.invited") == []  # an existing account is only linked
    client.post(f"/projects/{project.id}/holders", htmx=True,
                data={"email": "nouveau@exemple.fr", "name": "Léa Jouan"})
    user = db.session.scalar(select(User).where(User.email == "nouveau@exemple.fr"))
    [event] = security_events.of("user.invited")
    assert event["target_id"] == user.id and event["email"] == "nouveau@exemple.fr"
    assert event["role"] == "holder" and event["user_id"] == advisor.id
    assert event["invited_by_id"] == advisor.id


def test_staff_accounts_cannot_become_holders(client, login):
    login("advisor")
    factories.user(role="mentor", email="mentor@exemple.fr")
    project = factories.project(holders=[])
    db.session.commit()
    response = client.post(f"/projects/{project.id}/holders", htmx=True,
                           data={"email": "mentor@exemple.fr"})
    assert response.status_code == 422
    assert db.session.scalar(select(ProjectHolder)) is None


def test_staff_remove_a_holder_who_then_loses_access(client, login, auth):
    login("advisor")
    holder = factories.user(role="holder")
    project = factories.project(holders=[holder])
    db.session.commit()
    response = client.post(f"/projects/{project.id}/holders/{holder.id}/remove", htmx=True,
                           data={"confirm": "1", "version": project.version})
    assert response.status_code == 200
    assert "is no longer a holder" in response.get_data(as_text=True)
    assert _events(project) == ["holder_removed"]
    assert client.post(f"/projects/{project.id}/holders/{holder.id}/remove",
                       data={"confirm": "1", "version": project.version}).status_code == 404
    auth.logout()
    auth.login(holder)
    assert client.get(f"/projects/{project.id}").status_code == 404


def test_holders_cannot_manage_holders(client, login):
    holder = login("holder")
    project = factories.project(holders=[holder])
    db.session.commit()
    assert client.post(f"/projects/{project.id}/holders",
                       data={"email": "x@exemple.fr"}).status_code == 403
    assert client.post(f"/projects/{project.id}/holders/{holder.id}/remove").status_code == 403


def test_the_description_is_edited_in_place(client, login):
    login("advisor")
    project = factories.project(title="Ferme", stage_position=3)
    db.session.commit()
    form = client.get(f"/projects/{project.id}/edit", htmx=True)
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<div class="description-block editing" id="description-project-{project.id}"')
    response = client.post(f"/projects/{project.id}/edit", htmx=True,
                           data=factories.complete_idea(title="Ferme pédagogique", save_draft="y",
                                                        version=project.version))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Changes saved." in html
    assert 'class="description-block" id=' in html
    assert f'<h1 id="title-project-{project.id}" hx-swap-oob="true">Ferme pédagogique</h1>' in html
    assert db.session.get(Project, project.id).title == "Ferme pédagogique"
    assert _events(project) == ["description_edited"]
    bad = client.post(f"/projects/{project.id}/edit", htmx=True,
                      data=factories.complete_idea(title="", save_draft="y", version=2))
    assert bad.status_code == 422 and 'id="title-error"' in bad.get_data(as_text=True)
    cancel = client.get(f"/projects/{project.id}/description", htmx=True)
    assert cancel.status_code == 200 and "Une épicerie à prix solidaires" in cancel.get_data(
        as_text=True)
    assert client.get(f"/projects/{project.id}/description").status_code == 303


def test_holders_edit_in_place_only_in_the_first_stages(client, login):
    holder = login("holder")
    early = factories.project(holders=[holder], stage_position=1)
    late = factories.project(holders=[holder], stage_position=4)
    db.session.commit()
    assert "Edit the description" in client.get(f"/projects/{early.id}").get_data(as_text=True)
    assert "Edit the description" not in client.get(f"/projects/{late.id}").get_data(as_text=True)
    assert client.get(f"/projects/{late.id}/edit", htmx=True).status_code == 403
    assert client.post(f"/projects/{late.id}/edit", htmx=True,
                       data=factories.complete_idea(save_draft="y")).status_code == 403


def test_people_routes_check_project_access(client, login):
    login("advisor")
    db.session.commit()
    for url in ("/projects/999/advisor", "/projects/999/holders", "/projects/999/holders/1/remove"):
        assert client.post(url, data={"version": V, "email": "a@b.fr"}).status_code == 404


BAD_NAMES = {"une\nligne": "Write this on one line.",
             "nul\x00": "Remove the invisible control characters",
             "x" * 100_000: "Field cannot be longer than 120 characters."}


@pytest.mark.parametrize("name", list(BAD_NAMES), ids=["line-break", "nul", "long"])
def test_a_co_holder_with_a_bad_name_is_told_about_the_name_without_javascript(
        client, login, name):
    login("advisor")
    project = factories.project(holders=[])
    db.session.commit()
    response = client.post(f"/projects/{project.id}/holders",
                           data={"email": "nouveau@exemple.fr", "name": name})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in page
    assert BAD_NAMES[name] in page and f'id="holder-name-project-{project.id}-error"' in page
    assert 'value="nouveau@exemple.fr"' in page  # what was typed, kept
    assert "valid e-mail" not in page
    assert db.session.scalar(select(User).where(User.email == "nouveau@exemple.fr")) is None


@pytest.mark.parametrize("name", list(BAD_NAMES), ids=["line-break", "nul", "long"])
def test_a_co_holder_with_a_bad_name_is_told_about_the_name_with_htmx(client, login, name):
    login("advisor")
    project = factories.project(holders=[])
    db.session.commit()
    response = client.post(f"/projects/{project.id}/holders", htmx=True,
                           data={"email": "nouveau@exemple.fr", "name": name})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert BAD_NAMES[name] in html and "valid e-mail" not in html
    assert f'id="holder-name-project-{project.id}-error"' in html


def test_a_co_holder_with_a_bad_address_is_told_about_the_address_in_french(client, login):
    login("advisor")
    project = factories.project(holders=[])
    db.session.commit()
    client.post("/language", data={"locale": "fr"})
    response = client.post(f"/projects/{project.id}/holders",
                           data={"email": "pas-une-adresse", "name": "Léa"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="pas-une-adresse"' in page and 'value="Léa"' in page
    assert f'id="holder-email-project-{project.id}-error" class="field-error">Saisissez une ' \
        "adresse e-mail valide" in page


@pytest.mark.parametrize("htmx", [False, True])
def test_a_co_holder_form_without_its_csrf_token_says_so(client, login, htmx):
    login("advisor")
    project = factories.project(holders=[])
    db.session.commit()
    response = client.post(f"/projects/{project.id}/holders", csrf=False, htmx=htmx,
                           data={"email": "nouveau@exemple.fr", "name": "Léa"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    if htmx:  # the page is still there with the input: a fresh token and "send again"
        assert "What you typed is kept: send it again." in text and "data-resend" in text
        assert "csrf-token" in response.headers["HX-Trigger"]
    else:
        assert "session has expired or the form is out of date" in text
    assert db.session.scalar(select(User).where(User.email == "nouveau@exemple.fr")) is None


def test_error_messages_name_each_failing_field_and_a_csrf_failure(app):
    from werkzeug.datastructures import MultiDict

    from incubator.forms import error_messages
    from incubator.projects.forms import HolderForm

    with app.test_request_context(headers={"Accept-Language": "en"}):
        form = HolderForm(formdata=MultiDict({"email": "x", "name": "a\nb",
                                              "csrf_token": "forged"}))
        assert not form.validate()
        messages = error_messages(form)
    assert messages[0].startswith("Your session has expired or the form is out of date")
    assert any(m.startswith("Holder's e-mail address: ") for m in messages)
    assert "Name (for a new person): Write this on one line." in messages
