"""The right to erasure (docs/erasure.md): a manager erases a person on request; no trace
of the identity stays in any text column, figures and history counts stay the same, the
erasure is replayed after a backup restore."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import JSON, String, Text, func, select
from sqlalchemy.orm import selectinload

from incubator.committees.services import add_seat, create_sitting
from incubator.documents.services import Upload, add_document
from incubator.extensions import db
from incubator.groups.services import create_group, create_meeting, record_attendance
from incubator.mentoring.services import link_mentor, log_hours
from incubator.models import (
    AppendOnlyError,
    CommitteeSeat,
    Document,
    Erasure,
    LoginFailure,
    MeetingAttendance,
    Note,
    Notification,
    Organisation,
    OrganisationContact,
    OutgoingMail,
    Project,
    ProjectEvent,
    ProjectHolder,
    StageMove,
    StatusChange,
    User,
    UserSession,
    utcnow,
)
from incubator.models.pipeline import _append_only_models, erasing
from incubator.next_steps.services import add_step
from incubator.notes.services import create_note
from incubator.outbox import queue_mail
from incubator.privacy import erasure
from incubator.projects.services import add_holder
from incubator.text import search_key

from . import factories

NAME = "Aurélie Kerjean-Tessier"
EMAIL = "aurelie.kerjean@exemple.fr"
MENTOR_NAME = "Gwenaëlle Le Bihan"
MENTOR_EMAIL = "gwen.lebihan@asso-redon.fr"
CONTACT_NAME = "Théo Marchand"
CONTACT_EMAIL = "theo.marchand@coop-vilaine.fr"


@pytest.fixture(autouse=True)
def erasure_log(app, tmp_path):
    app.config["ERASURE_LOG"] = str(tmp_path / "erasures.jsonl")
    return tmp_path / "erasures.jsonl"


def traces(*needles: str) -> list[tuple[str, str, object]]:
    """Every (table, column, row key) whose text holds one of ``needles`` (case and accents
    ignored): every String, Text and JSON column of every table, from the metadata."""
    wanted = [search_key(n) for n in needles] + [n.lower() for n in needles]
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if not columns:
            continue
        key = list(table.primary_key.columns)[0]
        for row in db.session.execute(select(key, *columns)):
            for column, value in zip(columns, row[1:], strict=True):
                if value is None:
                    continue
                text = (json.dumps(value, ensure_ascii=False)
                        if isinstance(column.type, JSON) else str(value))
                lowered = text.lower()
                if any(w in lowered or w in search_key(text) for w in wanted):
                    found.append((table.name, column.name, row[0]))
    return found


def figures() -> dict:
    """What must not change: each history table's row count, every project's figures, the
    stage moves and status changes as rows."""
    counts = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
              for model in _append_only_models()}
    for model in (Project, Note, Document, MeetingAttendance):
        counts[model.__tablename__] = db.session.scalar(select(func.count()).select_from(model))
    projects = db.session.execute(select(
        Project.id, Project.status, Project.stage_id, Project.outcome, Project.jobs_envisaged,
        Project.funding_need_cents, Project.closed_at, Project.advisor_id)
        .order_by(Project.id)).all()
    moves = db.session.execute(select(StageMove.id, StageMove.project_id, StageMove.to_stage_id,
                                      StageMove.moved_by_id, StageMove.moved_at)
                               .order_by(StageMove.id)).all()
    statuses = db.session.execute(select(StatusChange.id, StatusChange.to_status,
                                         StatusChange.outcome).order_by(StatusChange.id)).all()
    return {"counts": counts, "projects": projects, "moves": moves, "statuses": statuses}


def loaded(project: Project) -> Project:
    """``project`` with its holders loaded (services read them)."""
    return db.session.scalar(
        select(Project).options(selectinload(Project.holder_links).selectinload(
            ProjectHolder.user)).where(Project.id == project.id)
        .execution_options(populate_existing=True))


def build_rich_holder(client, auth):
    """A holder with two projects (one closed), a third they were added to, notes shared
    with them, a next step, documents, notifications by and to them, queued mail, a failed
    login, an open session, a meeting attendance. Returns (manager, advisor, holder)."""
    manager = factories.user("manager", name="Claire Rouxel")
    advisor = factories.user("advisor", name="Yann Le Goff")
    holder = factories.user("holder", name=NAME, email=EMAIL)
    project = loaded(factories.project(holders=[holder], advisor=advisor, title="Épicerie vrac",
                                       stage_position=2, funding_need_cents=2_500_000))
    factories.project(holders=[holder], advisor=advisor, title="Recyclerie", status="closed")
    third = factories.project(advisor=advisor, title="Tiers-lieu du port")
    with client.application.test_request_context():
        add_holder(third, EMAIL, NAME, advisor)
    create_note(project, advisor, kind="meeting", happened_on=date.today(),
                body="Visite du local avec la porteuse.", visibility="shared")
    add_step(project, advisor, title="Envoyer le budget prévisionnel",
             due_on=date.today() + timedelta(days=7), assignee=holder)
    add_document(project, holder, Upload("budget.pdf", "application/pdf", b"%PDF-1.4 budget"),
                 "shared")
    add_document(project, holder, Upload("statuts.pdf", "application/pdf", b"%PDF-1.4 statuts"),
                 "shared")
    queue_mail(EMAIL, "Votre projet", f"Bonjour {NAME},\n\nÀ bientôt.")
    db.session.add(LoginFailure(email=EMAIL, failures=2))
    group = create_group(advisor, name="Éco-construction", kind="working_group")
    meeting = create_meeting(advisor, group, starts_at=utcnow())
    record_attendance(meeting, name=NAME, status="present", user_id=holder.id,
                      project_id=project.id)
    db.session.commit()
    # An open session of the holder (a security log line too), in another browser.
    elsewhere = client.application.test_client()
    assert elsewhere.post("/auth/login", data={"email": EMAIL, "password": factories.PASSWORD}
                          ).status_code == 303
    assert auth.login(manager).status_code == 303
    return manager, advisor, holder


def confirmation(html: str, name: str, **fields) -> dict:
    """The erasure's confirmation as its preview page asks it: the typed ``name``, the
    box ticked, the page's fingerprint and one-time token, plus ``fields``."""
    return {"name": name, "confirm": "1", **fields,
            "fingerprint": re.search(r'name="fingerprint" type="hidden" value="([^"]+)"',
                                     html).group(1),
            "form_token": re.search(r'name="form_token" value="([^"]+)"', html).group(1)}


def erase_user_through_pages(client, user, name=NAME, keep=()):
    """Preview, then confirm with the page's fingerprint and one-time token."""
    page = client.post(f"/admin/users/{user.id}/erase")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    data = confirmation(html, name, keep=[str(k) for k in keep])
    return client.post(f"/admin/users/{user.id}/erase", data=data)


def test_erasing_a_holder_leaves_no_trace_of_them_in_any_text_column(app, client, auth,
                                                                      security_events):
    manager, advisor, holder = build_rich_holder(client, auth)
    assert traces(NAME, EMAIL)  # the person is everywhere before
    before = figures()
    assert db.session.scalar(select(func.count()).select_from(UserSession)
                             .where(UserSession.user_id == holder.id))

    response = erase_user_through_pages(client, holder)

    assert response.status_code == 303
    number = db.session.scalar(select(Erasure.id))
    assert response.headers["Location"].endswith(f"/admin/erasures/{number}")
    db.session.expire_all()
    assert traces(NAME, EMAIL) == []
    assert figures() == before
    shell = db.session.get(User, holder.id)
    assert shell.name == f"Personne supprimée n°\u00a0{number}"
    assert not shell.active and shell.password_hash is None and shell.privacy_accepted_at is None
    assert db.session.scalar(select(func.count()).select_from(UserSession)
                             .where(UserSession.user_id == holder.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == holder.id)) == 0
    # Their documents are removed (none kept): no content, neutral name, marked deleted.
    documents = db.session.scalars(select(Document).where(Document.uploaded_by_id == holder.id))
    assert all(d.deleted_at is not None and d.content == b"" for d in documents)
    # The timelines name the pseudonym where the name was copied.
    details = [json.dumps(e.detail, ensure_ascii=False) for e in db.session.scalars(
        select(ProjectEvent).where(ProjectEvent.kind == "holder_added"))]
    assert any(shell.name in d for d in details)
    # The record knows who erased and when, never whom by name.
    record = db.session.get(Erasure, number)
    assert record.erased_by_id == manager.id and record.user_id == holder.id
    erased_events = security_events.of("person.erased")
    assert erased_events and erased_events[0]["number"] == number
    assert NAME not in json.dumps(erased_events[0], ensure_ascii=False)
    # The erased person cannot log in.
    client.post("/auth/logout")
    login = auth.login(EMAIL)
    assert login.status_code != 303


def test_the_preview_shows_what_goes_and_what_stays_and_writes_nothing(app, client, auth):
    _manager, _advisor, holder = build_rich_holder(client, auth)
    before = traces(NAME, EMAIL)

    intro = client.get(f"/admin/users/{holder.id}/erase")
    page = client.post(f"/admin/users/{holder.id}/erase")

    assert intro.status_code == 200 and 'id="erasure-start"' in intro.get_data(as_text=True)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "budget.pdf" in html and "statuts.pdf" in html  # the documents to decide on
    assert 'id="erasure-kept"' in html and "3 projects held" in html
    assert 'id="erasure-removed"' in html
    db.session.expire_all()
    assert traces(NAME, EMAIL) == before
    assert db.session.scalar(select(func.count()).select_from(Erasure)) == 0


def test_the_manager_decides_which_documents_the_pole_keeps(app, client, auth):
    _manager, _advisor, holder = build_rich_holder(client, auth)
    budget = db.session.scalar(select(Document).where(Document.filename == "budget.pdf"))

    response = erase_user_through_pages(client, holder, keep=[budget.id])

    assert response.status_code == 303
    db.session.expire_all()
    kept = db.session.get(Document, budget.id)
    assert kept.deleted_at is None and kept.content == b"%PDF-1.4 budget"
    other = db.session.scalar(select(Document).where(Document.id != budget.id,
                                                     Document.uploaded_by_id == holder.id))
    assert other.deleted_at is not None and other.content == b""
    assert db.session.scalar(select(Erasure.kept_document_ids)) == [budget.id]


def test_free_text_by_others_is_listed_not_rewritten(app, client, auth):
    _manager, advisor, holder = build_rich_holder(client, auth)
    project = loaded(db.session.scalar(select(Project).where(Project.title == "Épicerie vrac")))
    note = create_note(project, advisor, kind="call", happened_on=date.today(),
                       body=f"Appel avec {NAME} : le local est trouvé.", visibility="internal")
    db.session.commit()

    page = client.post(f"/admin/users/{holder.id}/erase")
    assert f"/projects/{project.id}" in page.get_data(as_text=True)
    assert 'id="erasure-mentions"' in page.get_data(as_text=True)
    response = erase_user_through_pages(client, holder)

    assert response.status_code == 303
    db.session.expire_all()
    assert NAME in db.session.get(Note, note.id).body  # not rewritten
    assert traces(NAME, EMAIL) == [("notes", "body", note.id)]
    record = db.session.scalar(select(Erasure))
    assert ["notes", "body", note.id] in record.mentions
    shown = client.get(f"/admin/erasures/{record.id}").get_data(as_text=True)
    assert "Note" in shown and f"/projects/{project.id}" in shown and NAME not in shown


def test_the_name_must_be_typed_again(app, client, auth):
    _manager, _advisor, holder = build_rich_holder(client, auth)

    response = erase_user_through_pages(client, holder, name="Quelqu'un d'autre")

    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Erasure)) == 0
    assert db.session.get(User, holder.id).name == NAME


def test_the_name_is_compared_ignoring_case_and_accents(app, client, auth):
    _manager, _advisor, holder = build_rich_holder(client, auth)

    response = erase_user_through_pages(client, holder, name="  aurelie KERJEAN-tessier ")

    assert response.status_code == 303


def test_a_preview_no_longer_true_is_shown_again_with_409(app, client, auth):
    _manager, _advisor, holder = build_rich_holder(client, auth)
    page = client.post(f"/admin/users/{holder.id}/erase").get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint" type="hidden" value="([^"]+)"', page).group(1)
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    project = loaded(db.session.scalar(select(Project).where(Project.title == "Épicerie vrac")))
    add_document(project, db.session.get(User, holder.id),
                 Upload("cv.pdf", "application/pdf", b"%PDF-1.4 cv"), "shared")
    db.session.commit()

    response = client.post(f"/admin/users/{holder.id}/erase",
                           data={"name": NAME, "fingerprint": fingerprint, "form_token": token,
                                 "confirm": "1"})

    assert response.status_code == 409
    assert "cv.pdf" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Erasure)) == 0


@pytest.mark.parametrize("fingerprint", ["0" * 32, ""])
def test_a_confirmation_without_the_previews_fingerprint_erases_nothing(app, client, login,
                                                                        fingerprint):
    """A confirmation posted by hand, without the form's one-time token, with a wrong or no
    fingerprint: 409 and the preview, and nothing written (the erasure record included: on
    SQLite a released savepoint would commit it, leaving a person marked erased who is not,
    and the next page a 500)."""
    login("manager")
    holder = factories.user("holder", name=NAME, email=EMAIL)
    db.session.commit()

    response = client.post(f"/admin/users/{holder.id}/erase",
                           data={"name": NAME, "confirm": "1", "fingerprint": fingerprint})

    assert response.status_code == 409
    assert re.search(r'name="fingerprint" type="hidden" value="[0-9a-f]{32}"',
                     response.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(Erasure)) == 0
    assert db.session.get(User, holder.id).name == NAME
    assert client.post(f"/admin/users/{holder.id}/erase").status_code == 200


def test_an_erased_account_cannot_be_reactivated_nor_given_a_role(app, client, login):
    """The erased shell keeps the history's links only: reactivating it, making it a manager
    or inviting it again would put a pseudonymous "person" back among the usable accounts."""
    login("manager")
    advisor = factories.user("advisor", name=NAME, email=EMAIL)
    db.session.commit()
    assert erase_user_through_pages(client, advisor).status_code == 303

    reactivated = client.post(f"/admin/users/{advisor.id}/active",
                              data={"active": "1", "confirm": "1"})
    promoted = client.post(f"/admin/users/{advisor.id}/role", data={"role": "manager"})
    invited = client.post(f"/admin/users/{advisor.id}/invitation", data={"link": "1"})

    assert reactivated.status_code == promoted.status_code == invited.status_code == 409
    assert "This account was erased" in reactivated.get_data(as_text=True)
    shell = db.session.get(User, advisor.id)
    assert not shell.active and shell.role == "advisor" and shell.password_hash is None
    # The users table offers none of those actions for the shell, plain or htmx.
    for htmx in (False, True):
        page = client.get("/admin/users", htmx=htmx).get_data(as_text=True)
        row = page[page.index(f'id="user-{advisor.id}"'):]
        row = row[:row.index("</tr>")]
        assert "Erased on request" in row
        for action in ("/active", "/role", f"/admin/users/{advisor.id}/erase", "Export"):
            assert action not in row, action


def test_the_same_confirmation_sent_twice_erases_once(app, client, auth):
    _manager, _advisor, holder = build_rich_holder(client, auth)
    page = client.post(f"/admin/users/{holder.id}/erase").get_data(as_text=True)
    data = confirmation(page, NAME)

    first = client.post(f"/admin/users/{holder.id}/erase", data=data)
    second = client.post(f"/admin/users/{holder.id}/erase", data=data)

    assert first.status_code == 303 and second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Erasure)) == 1


def test_an_erased_account_cannot_be_erased_again(app, client, auth):
    _manager, _advisor, holder = build_rich_holder(client, auth)
    erase_user_through_pages(client, holder)

    assert client.get(f"/admin/users/{holder.id}/erase").status_code == 409


@pytest.mark.parametrize("role", ["advisor", "mentor", "holder"])
def test_only_managers_erase(app, client, login, role):
    someone = factories.user("holder", name=NAME, email=EMAIL)
    db.session.commit()
    login(role)

    assert client.get(f"/admin/users/{someone.id}/erase").status_code == 403
    assert client.post(f"/admin/users/{someone.id}/erase").status_code == 403
    assert client.post(f"/admin/users/{someone.id}/erase",
                       data={"name": NAME, "confirm": "1"}).status_code == 403
    assert client.get("/admin/erasures").status_code == 403
    assert db.session.get(User, someone.id).name == NAME


def test_a_manager_cannot_erase_themselves(app, client, login):
    manager = login("manager")

    assert client.get(f"/admin/users/{manager.id}/erase").status_code == 403
    response = client.post(f"/admin/users/{manager.id}/erase",
                           data={"name": manager.name, "confirm": "1"})
    assert response.status_code == 403
    assert db.session.get(User, manager.id).active


def test_another_manager_can_erase_a_manager(app, client, login):
    other = factories.user("manager", name=NAME, email=EMAIL)
    db.session.commit()
    login("manager")

    assert erase_user_through_pages(client, other).status_code == 303


def test_unknown_people_are_404(app, client, login):
    login("manager")

    assert client.get("/admin/users/999999/erase").status_code == 404
    assert client.get("/admin/contacts/999999/erase").status_code == 404
    assert client.get("/admin/erasures/999999").status_code == 404


def build_mentor_and_contact(advisor):
    """A mentor account (a contact person of a member organisation) mentoring a project
    with hours logged and a committee seat; a contact without an account on a seat."""
    organisation = Organisation(name="Les Amis du Canal", commune="Redon")
    db.session.add(organisation)
    db.session.flush()
    mentor = factories.user("mentor", name=MENTOR_NAME, email=MENTOR_EMAIL)
    mentor_contact = OrganisationContact(organisation_id=organisation.id, name=MENTOR_NAME,
                                         email=MENTOR_EMAIL, phone="02 99 00 00 00",
                                         user_id=mentor.id)
    contact = OrganisationContact(organisation_id=organisation.id, name=CONTACT_NAME,
                                  email=CONTACT_EMAIL, role="Trésorier")
    db.session.add_all([mentor_contact, contact])
    db.session.flush()
    project = factories.project(advisor=advisor, title="Atelier vélo")
    mentorship = link_mentor(advisor, project, organisation, role="sponsor",
                             contact=mentor_contact, started_on=date.today() - timedelta(days=30))
    log_hours(mentor, mentorship, date.today(), Decimal("2.5"), "Aide au budget")
    sitting = create_sitting(advisor, name="Comité d'appui", held_on=date.today())
    add_seat(sitting, organisation=organisation, organisation_contact=mentor_contact)
    add_seat(sitting, organisation=organisation, organisation_contact=contact)
    db.session.commit()
    return organisation, mentor, contact, project


def test_erasing_a_mentor_keeps_their_hours_and_removes_their_contact(app, client, login):
    manager = login("manager")
    advisor = factories.user("advisor", name="Yann Le Goff")
    _organisation, mentor, _contact, _project = build_mentor_and_contact(advisor)
    before = figures()
    hours = db.session.scalar(select(func.count()).select_from(
        __import__("incubator.models", fromlist=["MentoringHours"]).MentoringHours))

    response = erase_user_through_pages(client, mentor, name=MENTOR_NAME)

    assert response.status_code == 303
    db.session.expire_all()
    assert traces(MENTOR_NAME, MENTOR_EMAIL, "02 99 00 00 00") == []
    assert figures() == before
    from incubator.models import MentoringHours
    assert db.session.scalar(select(func.count()).select_from(MentoringHours)) == hours
    assert db.session.scalar(select(func.count()).select_from(OrganisationContact)) == 1
    assert manager.id != mentor.id


def test_erasing_a_contact_without_an_account(app, client, login):
    login("manager")
    advisor = factories.user("advisor", name="Yann Le Goff")
    organisation, _mentor, contact, _project = build_mentor_and_contact(advisor)
    contact_id = contact.id
    page = client.post(f"/admin/contacts/{contact_id}/erase")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    data = confirmation(html, CONTACT_NAME)

    response = client.post(f"/admin/contacts/{contact_id}/erase", data=data)

    assert response.status_code == 303
    db.session.expire_all()
    assert traces(CONTACT_NAME, CONTACT_EMAIL) == []
    record = db.session.scalar(select(Erasure))
    assert record.kind == "contact" and record.contact_id == contact_id
    seat_names = db.session.scalars(select(CommitteeSeat.name)).all()
    assert f"Personne supprimée n°\u00a0{record.id}" in seat_names
    assert MENTOR_NAME in seat_names  # someone else's seat is untouched
    assert db.session.get(Organisation, organisation.id) is not None


def test_a_contact_with_an_account_is_erased_through_the_account(app, client, login):
    login("manager")
    advisor = factories.user("advisor", name="Yann Le Goff")
    _organisation, mentor, _contact, _project = build_mentor_and_contact(advisor)
    contact = db.session.scalar(select(OrganisationContact)
                                .where(OrganisationContact.user_id == mentor.id))

    response = client.post(f"/admin/contacts/{contact.id}/erase")

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/users/{mentor.id}/erase")


def test_replay_is_idempotent_and_erases_a_restored_person_again(app, client, auth,
                                                                  erasure_log):
    _manager, _advisor, holder = build_rich_holder(client, auth)
    erase_user_through_pages(client, holder)
    db.session.expire_all()
    number = db.session.scalar(select(Erasure.id))
    assert json.loads(erasure_log.read_text().splitlines()[0]) == {
        "number": number, "kind": "user", "user_id": holder.id, "contact_id": None,
        "partner_contact_id": None, "kept_document_ids": [], "erased_at": json.loads(
            erasure_log.read_text().splitlines()[0])["erased_at"]}
    assert NAME not in erasure_log.read_text() and EMAIL not in erasure_log.read_text()

    # A backup older than the erasure is restored: the row is back, the record gone.
    shell = db.session.get(User, holder.id)
    shell.name, shell.email, shell.active = NAME, EMAIL, True
    db.session.add(OutgoingMail(to=EMAIL, subject="Relance", body=f"Bonjour {NAME}"))
    db.session.execute(Erasure.__table__.delete())
    db.session.commit()

    first = erasure.replay()
    db.session.commit()
    second = erasure.replay()
    db.session.commit()

    assert first.restored == [number] and first.erased_again == [number]
    assert second.restored == [] and second.erased_again == []
    db.session.expire_all()
    assert traces(NAME, EMAIL) == []
    assert db.session.get(User, holder.id).name == f"Personne supprimée n°\u00a0{number}"
    # The next erasure takes the next number, after the one restored.
    other = factories.user("holder", name="Jean Dupont", email="jean.dupont@exemple.fr")
    db.session.commit()
    erase_user_through_pages(client, other, name="Jean Dupont")
    assert db.session.scalar(select(func.max(Erasure.id))) == number + 1


def test_the_replay_command_prints_what_it_did(app, erasure_log):
    holder = factories.user("holder", name=NAME, email=EMAIL)
    db.session.commit()
    erasure_log.write_text(json.dumps({"number": 7, "kind": "user", "user_id": holder.id,
                                       "contact_id": None, "kept_document_ids": [],
                                       "erased_at": "2026-11-30T10:00:00+00:00"}) + "\n")

    result = app.test_cli_runner().invoke(args=["erasures", "replay"])

    assert result.exit_code == 0, result.output
    assert "restored from the log file: 1" in result.output
    assert "people erased again: 1 (n° 7)" in result.output
    db.session.expire_all()
    assert db.session.get(User, holder.id).name == "Personne supprimée n°\u00a07"
    again = app.test_cli_runner().invoke(args=["erasures", "replay"])
    assert "people erased again: 0" in again.output


def test_a_broken_erasure_log_is_refused_plainly(app, erasure_log):
    erasure_log.write_text("not json\n")

    result = app.test_cli_runner().invoke(args=["erasures", "replay"])

    assert result.exit_code != 0 and "not an erasure entry" in result.output


def test_the_security_log_file_is_redacted(app, client, auth, tmp_path):
    log = tmp_path / "security.log"
    app.config["SECURITY_LOG_FILE"] = str(log)
    _manager, _advisor, holder = build_rich_holder(client, auth)
    log.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in (
        {"event": "login.failed", "email": EMAIL, "user_id": None},
        {"event": "user.invited", "target_id": holder.id, "email": EMAIL},
        {"event": "login.succeeded", "user_id": 1},
    )) + "\n")

    erase_user_through_pages(client, holder)

    text = log.read_text()
    assert EMAIL not in text and "login.succeeded" in text
    assert len(text.splitlines()) == 3


def test_the_redact_log_command_uses_the_ids_only(app, tmp_path):
    holder = factories.user("holder", name=NAME, email=EMAIL)
    db.session.add(Erasure(kind="user", user_id=holder.id))
    db.session.commit()
    log = tmp_path / "security.log"
    log.write_text(json.dumps({"event": "user.invited", "target_id": holder.id,
                               "email": EMAIL}) + "\nplain line\n")

    result = app.test_cli_runner().invoke(args=["erasures", "redact-log", str(log)])

    assert result.exit_code == 0 and "1 line(s)" in result.output
    assert EMAIL not in log.read_text() and "plain line" in log.read_text()


def test_the_append_only_guard_allows_only_the_erasure_of_copied_names(app):
    advisor = factories.user("advisor")
    project = factories.project(advisor=advisor)
    event = ProjectEvent(project_id=project.id, kind="holder_added", detail={"name": NAME})
    db.session.add(event)
    db.session.commit()

    event.detail = {"name": "X"}
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()

    with erasing(db.session):
        event.kind = "other"
        with pytest.raises(AppendOnlyError):
            db.session.flush()
    db.session.rollback()

    with erasing(db.session):
        db.session.delete(event)
        with pytest.raises(AppendOnlyError):
            db.session.flush()
    db.session.rollback()

    with erasing(db.session):
        event.detail = {"name": "Personne supprimée n°\u00a01"}
        db.session.flush()
    db.session.commit()
    assert db.session.get(ProjectEvent, event.id).detail["name"].startswith("Personne")


def test_the_erasures_pages_list_records_without_identity(app, client, auth):
    _manager, _advisor, holder = build_rich_holder(client, auth)
    erase_user_through_pages(client, holder)

    listing = client.get("/admin/erasures")

    html = listing.get_data(as_text=True)
    assert listing.status_code == 200
    assert "Personne supprimée n°" in html and "Claire Rouxel" in html
    assert NAME not in html and EMAIL not in html
    users = client.get("/admin/users").get_data(as_text=True)
    assert "/admin/erasures" in users


def test_the_users_page_offers_erasure_but_not_of_oneself(app, client, login):
    manager = login("manager")
    other = factories.user("holder", name=NAME)
    db.session.commit()

    html = client.get("/admin/users").get_data(as_text=True)

    assert f"/admin/users/{other.id}/erase" in html
    assert f"/admin/users/{manager.id}/erase" not in html


def test_a_short_name_is_replaced_as_a_whole_word_only(app, client, login):
    login("manager")
    advisor = factories.user("advisor")
    short = factories.user("holder", name="Li", email="li@exemple.fr")
    project = factories.project(advisor=advisor, title="Livraison à vélo")
    db.session.add(ProjectEvent(project_id=project.id, kind="holder_added",
                                detail={"name": "Li", "title": "Livraison à vélo"}))
    queue_mail("autre@exemple.fr", "Livraisons", "Les livraisons de lundi.")
    db.session.commit()

    assert erase_user_through_pages(client, short, name="Li").status_code == 303

    db.session.expire_all()
    details = [e.detail for e in db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind == "holder_added", ProjectEvent.project_id == project.id))]
    assert {"name": "Personne supprimée n°\u00a01", "title": "Livraison à vélo"} in details
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 1
    assert db.session.get(Project, project.id).title == "Livraison à vélo"


def test_only_whole_copies_of_the_name_are_rewritten_in_the_history(app, client, login):
    """Anyone may call themself anything on /account: a holder named like a partner must not
    rewrite, when erased, every project's history that names that partner."""
    login("manager")
    advisor = factories.user("advisor")
    holder = factories.user("holder", name="France Active", email="fa@exemple.fr")
    theirs = factories.project(advisor=advisor, holders=[holder], title="Épicerie")
    other = factories.project(advisor=advisor, title="Recyclerie")
    db.session.add_all([
        ProjectEvent(project_id=theirs.id, kind="holder_added", detail={"name": "France Active"}),
        ProjectEvent(project_id=other.id, kind="support_added",
                     detail={"partner": "France Active Bretagne", "kind": "loan"}),
        Notification(user_id=advisor.id, kind="support_changed", project_id=other.id,
                     detail={"partner": "France Active Bretagne"}),
        Notification(user_id=advisor.id, kind="holder_added", project_id=theirs.id,
                     detail={"name": "France Active"}),
    ])
    db.session.commit()

    assert erase_user_through_pages(client, holder, name="France Active").status_code == 303

    db.session.expire_all()
    events = {e.kind: e.detail for e in db.session.scalars(select(ProjectEvent).where(
        ProjectEvent.kind.in_(["holder_added", "support_added"])))}
    assert events["holder_added"] == {"name": "Personne supprimée n°\u00a01"}
    assert events["support_added"] == {"partner": "France Active Bretagne", "kind": "loan"}
    # Nor are the notifications about that partner deleted, only those naming the person.
    kinds = set(db.session.scalars(select(Notification.kind)))
    assert kinds == {"support_changed"}
    # Left for the manager to review, as other people's text is.
    record = db.session.scalar(select(Erasure))
    assert ["project_events", "detail"] in [m[:2] for m in record.mentions]


def test_erasing_a_partner_contact(app, client, login):
    from incubator.models import Partner, PartnerContact

    login("manager")
    advisor = factories.user("advisor")
    partner = Partner(name="Région Bretagne", kind="region")
    db.session.add(partner)
    db.session.flush()
    contact = PartnerContact(partner_id=partner.id, name=CONTACT_NAME, email=CONTACT_EMAIL,
                             phone="02 99 11 22 33", role="Chargée de mission")
    db.session.add(contact)
    db.session.flush()
    sitting = create_sitting(advisor, name="Comité d'engagement", held_on=date.today())
    add_seat(sitting, partner=partner, partner_contact=contact)
    db.session.commit()
    contact_id = contact.id
    assert f"/admin/partner-contacts/{contact_id}/erase" in client.get(
        f"/partners/{partner.id}").get_data(as_text=True)
    html = client.post(f"/admin/partner-contacts/{contact_id}/erase").get_data(as_text=True)
    data = confirmation(html, CONTACT_NAME)

    response = client.post(f"/admin/partner-contacts/{contact_id}/erase", data=data)

    assert response.status_code == 303
    db.session.expire_all()
    assert traces(CONTACT_NAME, CONTACT_EMAIL, "02 99 11 22 33") == []
    record = db.session.scalar(select(Erasure))
    assert record.kind == "partner_contact" and record.partner_contact_id == contact_id
    assert db.session.scalars(select(CommitteeSeat.name)).all() == [
        f"Personne supprimée n°\u00a0{record.id}"]
    assert client.get(f"/admin/partner-contacts/{contact_id}/erase").status_code == 404
