"""Mentor accounts (issue 10): a contact person of the directory invited as a mentor from
the member page, and what a mentor sees and may do: only the projects they mentor now, and
inside them the description, their mentorship, the shared notes and those of the project's
mentors, their own next steps, the shared documents; they write notes and tick their steps.
Ending the mentorship ends the access. Mentorships are written directly with the models
here (the mentoring feature's routes write them in production)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from incubator.extensions import db
from incubator.members.services import create_organisation
from incubator.models import (
    MentoringHours,
    Mentorship,
    NextStep,
    Note,
    Notification,
    Organisation,
    OrganisationContact,
    OutgoingMail,
    User,
)
from incubator.notifications import services as notify

from . import factories
from .test_documents import document
from .test_next_steps import step
from .test_notes import _note


def organisation(name: str = "Coop Bois Bocage", *contacts: dict) -> Organisation:
    contacts = contacts or ({"name": "Gaëlle Rouxel", "role": "Co-gérante",
                             "email": "g.rouxel@example.org"},)
    item = create_organisation(None, name=name, family="cooperative", contacts=contacts)
    db.session.commit()
    return item


def contact_of(item: Organisation) -> OrganisationContact:
    return db.session.scalars(select(OrganisationContact).where(
        OrganisationContact.organisation_id == item.id).order_by(OrganisationContact.id)).first()


def mentor_of(project, *, name: str = "Gaëlle Rouxel", email: str | None = None,
              started_days_ago: int = 30, role: str = "sponsor") -> tuple[User, Mentorship]:
    """A contact person of a new organisation with an active mentor account, mentoring
    ``project`` now."""
    email = email or f"mentor{project.id}.{name.split()[0].lower()}@example.org"
    item = organisation(f"Structure de {name}", {"name": name, "email": email})
    contact = contact_of(item)
    account = factories.user(role="mentor", email=email, name=name)
    contact.user_id = account.id
    mentorship = Mentorship(project_id=project.id, organisation_id=item.id, contact_id=contact.id,
                            role=role, started_on=date.today() - timedelta(days=started_days_ago))
    db.session.add(mentorship)
    db.session.commit()
    return account, mentorship


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _form_token(html: str, action: str) -> str:
    form = html.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    return re.search(r'name="form_token" value="([^"]+)"', form).group(1)


# The invitation, on the member page --------------------------------------------------------


def _invite_url(item: Organisation, contact: OrganisationContact) -> str:
    return f"/members/{item.id}/contacts/{contact.id}/mentor-account"


def test_staff_see_a_create_account_button_for_a_contact_with_an_e_mail_only(client, login):
    login("advisor")
    item = organisation("Coop Bois Bocage", {"name": "Gaëlle Rouxel", "email": "g@example.org"},
                        {"name": "Jean Sans Mail"})
    page = client.get(f"/members/{item.id}").get_data(as_text=True)
    first, second = db.session.scalars(select(OrganisationContact).order_by(
        OrganisationContact.id)).all()
    assert f'action="{_invite_url(item, first)}"' in page
    assert "Create a mentor account for Gaëlle Rouxel" in page
    assert _invite_url(item, second) not in page
    assert "no e-mail address: no mentor account possible" in page


def test_a_mentor_reads_the_member_page_without_contacts_nor_accounts(client, login):
    item = organisation()
    login("mentor")
    page = client.get(f"/members/{item.id}").get_data(as_text=True)
    assert "Gaëlle Rouxel" not in page and "mentor-account" not in page


def test_creating_a_mentor_account_asks_first_then_invites_by_e_mail(app, client, login, auth):
    advisor = login("advisor", name="Yann Le Goff")
    item = organisation()
    contact = contact_of(item)
    url = _invite_url(item, contact)

    question = client.post(url)
    assert question.status_code == 200
    assert "Create a mentor account for Gaëlle Rouxel?" in question.get_data(as_text=True)
    assert _count(User, User.role == "mentor") == 0

    token = _form_token(client.get(f"/members/{item.id}").get_data(as_text=True), url)
    response = client.post(url, data={"confirm": "1", "form_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/members/{item.id}#organisation-contact-{contact.id}"
    account = db.session.scalar(select(User).where(User.email == "g.rouxel@example.org"))
    assert account.role == "mentor" and account.name == "Gaëlle Rouxel"
    assert account.password_hash is None and account.invited_by_id == advisor.id
    db.session.refresh(contact)
    assert contact.user_id == account.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Gaëlle Rouxel is invited as a mentor: we sent the link to g.rouxel@example.org." in page
    assert "account invited" in page and url not in page

    # The same form again (a double click, a second tab): nothing more.
    again = client.post(url, data={"confirm": "1", "form_token": token})
    assert again.status_code == 303
    assert "already created" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert _count(User, User.role == "mentor") == 1

    # The link goes to the person only; it sets the password and the account is active.
    [message] = [m for m in app.extensions["outbox"] if m["To"] == "g.rouxel@example.org"]
    link = re.search(r"http://localhost(/auth/password/\S+)", message.get_content()).group(1)
    assert link not in page
    auth.logout()
    password = "le bocage de redon en hiver"
    response = client.post(link, data={"password": password, "confirm": password})
    assert response.status_code == 303 and response.headers["Location"] == "/my-mentorships"
    auth.logout()
    auth.login(advisor)
    assert "account active" in client.get(f"/members/{item.id}").get_data(as_text=True)


def test_creating_a_mentor_account_with_htmx_redirects_with_hx_redirect(client, login):
    login("manager")
    item = organisation()
    contact = contact_of(item)
    response = client.post(_invite_url(item, contact), data={"confirm": "1"}, htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/members/{item.id}#organisation-contact-{contact.id}"
    assert _count(User, User.role == "mentor") == 1
    # htmx asking without confirmation gets the question in the page.
    other = contact_of(organisation("Autre", {"name": "Paul Hamon", "email": "p@example.org"}))
    question = client.post(_invite_url(db.session.get(Organisation, other.organisation_id),
                                       other), htmx=True)
    assert question.status_code == 200 and "<html" not in question.get_data(as_text=True)
    assert "Create a mentor account for Paul Hamon?" in question.get_data(as_text=True)


@pytest.mark.parametrize("role, kind", [("holder", "Project holder"), ("advisor", "Advisor"),
                                        ("mentor", "Mentor")])
def test_an_address_already_used_by_an_account_is_refused_saying_which_kind(
        client, login, role, kind):
    login("manager")
    factories.user(role=role, email="g.rouxel@example.org")
    item = organisation()
    contact = contact_of(item)
    mails = _count(OutgoingMail)
    response = client.post(_invite_url(item, contact), data={"confirm": "1"})
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "already belongs to an account" in text and f"({kind})" in text
    db.session.refresh(contact)
    assert contact.user_id is None and _count(OutgoingMail) == mails
    assert _count(User, User.email == "g.rouxel@example.org") == 1


def test_a_contact_without_an_e_mail_gets_no_account(client, login):
    login("advisor")
    item = organisation("Coop", {"name": "Jean Sans Mail"})
    response = client.post(_invite_url(item, contact_of(item)), data={"confirm": "1"})
    assert response.status_code == 422
    assert "has no e-mail address" in response.get_data(as_text=True)
    assert _count(User, User.role == "mentor") == 0


def test_a_contact_who_has_an_account_gets_no_second_one(client, login):
    login("advisor")
    item = organisation()
    contact = contact_of(item)
    assert client.post(_invite_url(item, contact), data={"confirm": "1"}).status_code == 303
    response = client.post(_invite_url(item, contact), data={"confirm": "1"},
                           follow_redirects=True)
    assert "Gaëlle Rouxel already has a mentor account." in response.get_data(as_text=True)
    assert _count(User, User.role == "mentor") == 1


@pytest.mark.parametrize("role", ["holder", "mentor"])
def test_only_staff_create_mentor_accounts(client, login, role):
    login(role)
    item = organisation()
    response = client.post(_invite_url(item, contact_of(item)), data={"confirm": "1"})
    assert response.status_code == 403
    assert _count(User, User.email == "g.rouxel@example.org") == 0


def test_a_contact_of_another_organisation_is_not_found(client, login):
    login("advisor")
    item = organisation()
    other = organisation("Autre", {"name": "Paul Hamon", "email": "p@example.org"})
    response = client.post(_invite_url(other, contact_of(item)), data={"confirm": "1"})
    assert response.status_code == 404


def test_the_users_list_shows_mentors_with_their_organisation_and_deactivates_them(
        client, login, team):
    login("manager")
    account, _ = mentor_of(team.project)
    page = client.get("/admin/users?role=mentor").get_data(as_text=True)
    assert f'id="user-{account.id}"' in page
    assert "Mentor for Structure de Gaëlle Rouxel" in page
    response = client.post(f"/admin/users/{account.id}/active",
                           data={"active": "0", "confirm": "1"})
    assert response.status_code == 303
    db.session.refresh(account)
    assert not account.active


# What a mentor sees ----------------------------------------------------------------------


def test_a_mentor_sees_the_project_they_mentor_and_only_it(client, auth, team):
    account, mentorship = mentor_of(team.project)
    other = factories.project(title="Garage solidaire")
    db.session.commit()
    response = auth.login(account)
    assert response.status_code == 303 and response.headers["Location"] == "/my-mentorships"
    home = client.get("/my-mentorships").get_data(as_text=True)
    assert "Épicerie vrac" in home and "Garage solidaire" not in home
    assert "Sponsor for Structure de Gaëlle Rouxel since" in home
    assert "Advisor: Yann Le Goff" in home
    page = client.get(f"/projects/{team.project.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Your mentorship" in html and "Structure de Gaëlle Rouxel" in html
    assert "Yann Le Goff" in html and "Anne Briand" in html
    assert team.holder.email not in html  # holders' addresses are staff's
    assert "/move" not in html and "Write a note" in html
    assert 'name="document-file"' not in html  # mentors do not upload
    assert client.get(f"/projects/{other.id}").status_code == 404
    assert client.get("/board").status_code == 403
    assert client.get(f"/projects/{team.project.id}/edit").status_code == 403
    # Their list of projects (the holders' page) shows the same single project.
    mine = client.get("/projects/mine").get_data(as_text=True)
    assert "Épicerie vrac" in mine and "Garage solidaire" not in mine


def test_ending_the_mentorship_ends_the_access_at_once(client, auth, team):
    account, mentorship = mentor_of(team.project)
    auth.login(account)
    assert client.get(f"/projects/{team.project.id}").status_code == 200
    mentorship.ended_on = date.today()
    db.session.commit()
    assert client.get(f"/projects/{team.project.id}").status_code == 404
    assert client.get(f"/projects/{team.project.id}/notes", htmx=True).status_code == 404
    home = client.get("/my-mentorships").get_data(as_text=True)
    assert "You mentor no project at the moment." in home
    assert "Épicerie vrac" not in home


def test_a_mentor_with_no_mentorship_sees_an_empty_list_with_a_sentence(client, login):
    login("mentor")
    home = client.get("/my-mentorships")
    assert home.status_code == 200
    assert "You mentor no project at the moment." in home.get_data(as_text=True)


@pytest.mark.parametrize("role", ["holder", "advisor", "manager"])
def test_my_mentorships_is_the_mentors_page_only(client, login, role):
    login(role)
    assert client.get("/my-mentorships").status_code == 403


def test_the_mentor_of_another_contact_of_the_same_organisation_sees_nothing(client, auth,
                                                                             team):
    """The access follows the mentorship's contact person, not the organisation."""
    item = organisation("Coop Bois", {"name": "Gaëlle Rouxel", "email": "g@example.org"},
                        {"name": "Paul Hamon", "email": "p@example.org"})
    first, second = db.session.scalars(select(OrganisationContact).where(
        OrganisationContact.organisation_id == item.id).order_by(OrganisationContact.id)).all()
    paul = factories.user(role="mentor", email="p@example.org")
    second.user_id = paul.id
    db.session.add(Mentorship(project_id=team.project.id, organisation_id=item.id,
                              contact_id=first.id, role="expert", started_on=date.today()))
    db.session.commit()
    auth.login(paul)
    assert client.get(f"/projects/{team.project.id}").status_code == 404


def test_a_mentor_reads_shared_notes_and_mentors_notes_not_staffs_internal_ones(client, auth,
                                                                              team):
    account, _ = mentor_of(team.project)
    colleague, _ = mentor_of(team.project, name="Paul Hamon")
    _note(team.project, team.advisor, body="Note partagée du conseiller.", visibility="shared")
    _note(team.project, team.advisor, body="Note interne du conseiller.")
    _note(team.project, colleague, body="Note interne de Paul.")
    auth.login(account)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "Note partagée du conseiller." in html and "Note interne de Paul." in html
    assert "Note interne du conseiller." not in html
    fragment = client.get(f"/projects/{team.project.id}/notes", htmx=True)
    assert fragment.status_code == 200 and "HX-Request" in fragment.vary
    text = fragment.get_data(as_text=True)
    assert "Note interne de Paul." in text and "Note interne du conseiller." not in text
    staff_note = db.session.scalar(select(Note).where(Note.body == "Note interne du conseiller."))
    assert client.get(f"/projects/{team.project.id}/notes/{staff_note.id}",
                      htmx=True).status_code == 404
    # The holder reads neither internal note; staff read both.
    auth.logout()
    auth.login(team.holder)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "Note interne de Paul." not in html and "Note partagée du conseiller." in html
    auth.logout()
    auth.login(team.advisor)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "Note interne de Paul." in html and "Note interne du conseiller." in html


def test_a_mentor_still_reads_the_notes_of_a_former_mentor(client, auth, team):
    account, _ = mentor_of(team.project)
    former, old = mentor_of(team.project, name="Paul Hamon")
    _note(team.project, former, body="Bilan de Paul.")
    old.ended_on = date.today()
    db.session.commit()
    auth.login(account)
    assert "Bilan de Paul." in client.get(f"/projects/{team.project.id}").get_data(as_text=True)


# Notes a mentor writes -------------------------------------------------------------------


def _note_data(**overrides) -> dict:
    data = {"kind": "meeting", "happened_on": date.today().isoformat(),
            "body": "Rencontre au local : le plan de financement avance.",
            "visibility": "internal"}
    data.update(overrides)
    return data


def test_a_mentor_is_offered_internal_to_the_team_and_mentors_or_shared(client, auth, team):
    account, _ = mentor_of(team.project)
    auth.login(account)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "Internal (the pole's team and the project's mentors)" in html
    assert "Internal (staff only)" not in html


@pytest.mark.parametrize("htmx", [False, True])
def test_a_mentors_note_is_saved_and_notifies_the_advisor(app, client, auth, team, htmx):
    account, _ = mentor_of(team.project)
    auth.login(account)
    response = client.post(f"/projects/{team.project.id}/notes", data=_note_data(), htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    note = db.session.scalar(select(Note).where(Note.author_id == account.id))
    assert note.visibility == "internal" and note.project_id == team.project.id
    if htmx:
        assert "Rencontre au local" in response.get_data(as_text=True)
    [notice] = db.session.scalars(select(Notification).where(
        Notification.kind == notify.MENTOR_NOTE)).all()
    assert notice.user_id == team.advisor.id and notice.actor_id == account.id
    with app.test_request_context():
        assert notify.message(notice) == ("Gaëlle Rouxel (parrain / marraine) a écrit une note "
                                          "sur «\u202fÉpicerie vrac\u202f».")
    # An internal note: the holder is told nothing.
    assert _count(Notification, Notification.user_id == team.holder.id) == 0


def test_a_shared_mentor_note_tells_the_holders_too(client, auth, team):
    account, _ = mentor_of(team.project)
    auth.login(account)
    response = client.post(f"/projects/{team.project.id}/notes",
                           data=_note_data(visibility="shared"))
    assert response.status_code == 303
    kinds = {(n.user_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert kinds == {(team.advisor.id, notify.MENTOR_NOTE), (team.holder.id, notify.NOTE_SHARED)}


def test_a_mentors_bad_note_comes_back_with_its_errors(client, auth, team):
    account, _ = mentor_of(team.project)
    auth.login(account)
    response = client.post(f"/projects/{team.project.id}/notes", data=_note_data(body=""),
                           htmx=True)
    assert response.status_code == 422 and "Write the note." in response.get_data(as_text=True)
    assert _count(Note) == 0


def test_a_mentor_edits_and_deletes_their_own_note_not_others(client, auth, team):
    account, _ = mentor_of(team.project)
    colleague, _ = mentor_of(team.project, name="Paul Hamon")
    own = _note(team.project, account, body="Ma note.")
    theirs = _note(team.project, colleague, body="Note de Paul.")
    shared = _note(team.project, team.advisor, body="Note partagée.", visibility="shared")
    auth.login(account)
    base = f"/projects/{team.project.id}/notes"
    assert client.get(f"{base}/{own.id}/edit").status_code == 200
    response = client.post(f"{base}/{own.id}", data=_note_data(body="Ma note corrigée.",
                                                               version=own.version), htmx=True)
    assert response.status_code == 200 and "Ma note corrigée." in response.get_data(as_text=True)
    for other in (theirs, shared):
        assert client.get(f"{base}/{other.id}/edit").status_code == 403
        assert client.post(f"{base}/{other.id}", data=_note_data(
            version=other.version)).status_code == 403
        assert client.post(f"{base}/{other.id}/delete", data={
            "version": other.version, "confirm": "1"}).status_code == 403
    db.session.expire_all()
    response = client.post(f"{base}/{own.id}/delete",
                           data={"version": db.session.get(Note, own.id).version, "confirm": "1"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Note, own.id).deleted_at is not None
    assert db.session.get(Note, theirs.id).deleted_at is None


def test_a_former_mentor_can_no_longer_write(client, auth, team):
    account, mentorship = mentor_of(team.project)
    own = _note(team.project, account, body="Ma note.")
    mentorship.ended_on = date.today()
    db.session.commit()
    auth.login(account)
    assert client.post(f"/projects/{team.project.id}/notes",
                       data=_note_data()).status_code == 404
    assert client.post(f"/projects/{team.project.id}/notes/{own.id}/delete",
                       data={"version": own.version, "confirm": "1"}).status_code == 404
    assert _count(Note) == 1


# Next steps ------------------------------------------------------------------------------


def test_the_assignee_picker_offers_the_projects_current_mentors_with_an_account(client, login,
                                                                                 team):
    advisor = team.advisor
    account, _ = mentor_of(team.project)
    former, old = mentor_of(team.project, name="Paul Hamon")
    old.ended_on = date.today()
    pending, _ = mentor_of(team.project, name="Léa Invitée")
    pending.password_hash = None
    elsewhere, _ = mentor_of(factories.project(title="Ailleurs"), name="Marc Ailleurs")
    db.session.commit()
    client.post("/auth/login", data={"email": advisor.email, "password": factories.PASSWORD})
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert f'<option value="{account.id}">Gaëlle Rouxel (mentor)</option>' in html
    for absent in (former, pending, elsewhere):
        assert f'value="{absent.id}"' not in html
    response = client.post(f"/projects/{team.project.id}/next-steps", data={
        "title": "Relire le budget", "due_on": (date.today() + timedelta(days=5)).isoformat(),
        "assignee_id": str(account.id)})
    assert response.status_code == 303
    assert db.session.scalar(select(NextStep.assignee_id)) == account.id
    notice = db.session.scalar(select(Notification).where(Notification.user_id == account.id))
    assert notice.kind == notify.NEXT_STEP_ASSIGNED
    # A former mentor is not accepted as assignee.
    response = client.post(f"/projects/{team.project.id}/next-steps", data={
        "title": "Relire", "due_on": date.today().isoformat(), "assignee_id": str(former.id)})
    assert response.status_code == 422


@pytest.mark.parametrize("htmx", [False, True])
def test_a_mentor_sees_and_ticks_only_their_own_next_steps(client, auth, team, htmx):
    account, _ = mentor_of(team.project)
    theirs = step(team.project, account, title="Relire le budget prévisionnel")
    others = step(team.project, team.holder, title="Trouver un local")
    db.session.commit()
    auth.login(account)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "Relire le budget prévisionnel" in html and "Trouver un local" not in html
    assert "1 open next step" in html
    mine = client.get("/next-steps").get_data(as_text=True)
    assert "Relire le budget prévisionnel" in mine and "Trouver un local" not in mine
    base = f"/projects/{team.project.id}/next-steps"
    assert client.post(f"{base}/{others.id}/done", htmx=htmx).status_code == 403
    response = client.post(f"{base}/{theirs.id}/done", htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    db.session.expire_all()
    assert db.session.get(NextStep, theirs.id).done_by_id == account.id
    assert db.session.get(NextStep, others.id).done_at is None
    if htmx:
        assert "0 open next steps" in response.get_data(as_text=True)  # theirs only
    # A mentor adds no step.
    assert client.post(base, data={"title": "X", "due_on": date.today().isoformat(),
                                   "assignee_id": str(account.id)}).status_code == 403


# Documents -------------------------------------------------------------------------------


def test_a_mentor_downloads_shared_documents_only_and_uploads_none(client, auth, team):
    account, _ = mentor_of(team.project)
    shared = document(team.project, uploader=team.advisor, name="budget.pdf")
    internal = document(team.project, uploader=team.advisor, name="compte-rendu.pdf",
                        visibility="internal")
    db.session.commit()
    auth.login(account)
    html = client.get(f"/projects/{team.project.id}").get_data(as_text=True)
    assert "budget.pdf" in html and "compte-rendu.pdf" not in html
    base = f"/projects/{team.project.id}/documents"
    assert client.get(f"{base}/{shared.id}").status_code == 200
    assert client.get(f"{base}/{internal.id}").status_code == 404
    assert client.post(f"{base}/{shared.id}/delete", data={"confirm": "1"}).status_code == 403
    assert client.post(base, data={}).status_code == 403


# Statements: a mentor's project page costs a fixed number ------------------------------------


def test_a_mentors_project_page_costs_the_same_whatever_the_number_of_notes(client, auth, team):
    from sqlalchemy import event

    account, _ = mentor_of(team.project)
    auth.login(account)

    def statements() -> int:
        count = 0

        def seen(*args):
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            assert client.get(f"/projects/{team.project.id}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        return count

    _note(team.project, account, body="Une.")
    first = statements()
    for n in range(5):
        _note(team.project, account, body=f"Note {n}.")
        _note(team.project, team.advisor, body=f"Partagée {n}.", visibility="shared")
    assert statements() == first


def test_a_mentor_reaches_no_other_mentorship_nor_contact_and_loses_all_with_their_contact(
        client, auth, team):
    """Intruder checks: on the project they mentor, another organisation's mentorship (its
    hours, end, change, its contact person) stays out of reach, as does their own ended
    mentorship of another project addressed through this one; removing their contact person
    ends their access."""
    account, mine = mentor_of(team.project)
    other = organisation("Autre Coop", {"name": "Yvon Kerhervé", "email": "yvon@example.org",
                                        "phone": "06 01 02 03 04"})
    theirs = Mentorship(project_id=team.project.id, organisation_id=other.id,
                        contact_id=contact_of(other).id, role="expert",
                        started_on=date.today() - timedelta(days=10))
    elsewhere_project = factories.project(title="Garage solidaire")
    db.session.commit()
    elsewhere = Mentorship(project_id=elsewhere_project.id, organisation_id=mine.organisation_id,
                           contact_id=mine.contact_id, role="sponsor",
                           started_on=date.today() - timedelta(days=100),
                           ended_on=date.today() - timedelta(days=5))
    db.session.add_all([theirs, elsewhere])
    db.session.commit()
    auth.login(account)
    today = date.today().isoformat()
    for htmx in (False, True):
        page = client.get(f"/projects/{team.project.id}", htmx=htmx).get_data(as_text=True)
        member = client.get(f"/members/{other.id}", htmx=htmx).get_data(as_text=True)
        for html in (page, member):
            assert "Yvon Kerhervé" not in html and "yvon@example.org" not in html
            assert "06 01 02 03 04" not in html
        for url in (f"/projects/{team.project.id}/mentors/{theirs.id}/hours",
                    f"/projects/{team.project.id}/mentors/{elsewhere.id}/hours",
                    f"/projects/{elsewhere_project.id}/mentors/{elsewhere.id}/hours"):
            assert client.post(url, data={"worked_on": today, "hours": "1"},
                               htmx=htmx).status_code == 404
        assert client.post(f"/projects/{team.project.id}/mentors/{theirs.id}/end",
                           data={"ended_on": today, "version": "1"},
                           htmx=htmx).status_code == 403
        assert client.get(f"/projects/{team.project.id}/mentors/{mine.id}/edit",
                          htmx=htmx).status_code == 403
    assert _count(MentoringHours) == 0
    db.session.delete(db.session.get(OrganisationContact, mine.contact_id))
    db.session.commit()
    assert client.get(f"/projects/{team.project.id}").status_code == 404
    assert client.post(f"/projects/{team.project.id}/mentors/{mine.id}/hours",
                       data={"worked_on": today, "hours": "1"}).status_code == 404
