"""The personal data export (issue 14, GDPR access and portability; docs/privacy-export.md):
the archive of each kind of person compared with the database, nothing of anyone else in
it, staff-only notes and documents never in a holder's, who may export whom, the
confirmation, the security log, and the ZIP streamed as it is written."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from incubator.extensions import db
from incubator.i18n import pole_today
from incubator.models import (
    AccompanimentTime,
    CommitteeSeat,
    CommitteeSitting,
    Document,
    GroupMeeting,
    MeetingAttendance,
    MentoringHours,
    Mentorship,
    NextStep,
    Note,
    Notification,
    Organisation,
    OrganisationContact,
    OutgoingMail,
    Partner,
    PartnerContact,
    ProjectHolder,
    UserSession,
    WorkingGroup,
)

from . import factories

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _note(project, author, body, visibility="shared"):
    note = Note(project_id=project.id, author_id=author.id, happened_on=date(2026, 11, 2),
                body=body, visibility=visibility)
    db.session.add(note)
    return note


def _document(project, author, filename, content, visibility="shared"):
    document = Document(project_id=project.id, uploaded_by_id=author.id, filename=filename,
                        content_type="application/pdf", size=len(content),
                        sha256=hashlib.sha256(content).hexdigest(), visibility=visibility,
                        content=content)
    db.session.add(document)
    return document


def _step(project, assignee, title):
    step = NextStep(project_id=project.id, title=title, due_on=date(2026, 12, 15),
                    assignee_id=assignee.id, created_by_id=assignee.id)
    db.session.add(step)
    return step


@pytest.fixture
def world(team):
    """Anne Briand (holder) and Yann Le Goff (advisor) on "Épicerie vrac", with shared and
    internal notes and documents; Bruno Quéré holds another project with his own notes,
    documents, steps and notifications, written by another advisor. Nothing of Bruno's may
    ever reach Anne's or Yann's archive."""
    other_advisor = factories.user("advisor", name="Odile Marchand")
    bruno = factories.user(name="Bruno Quéré", email="bruno.quere@example.org")
    secret = factories.project(holders=[bruno], advisor=other_advisor,
                               title="Ressourcerie BRUNO-PROJECT")
    world = {
        "shared": _note(team.project, team.advisor, "Compte rendu partagé ANNE-SHARED"),
        "internal": _note(team.project, team.advisor, "Avis interne STAFF-ONLY", "internal"),
        "anne_doc": _document(team.project, team.holder, "budget.pdf", b"%PDF ANNE-BUDGET"),
        "staff_doc": _document(team.project, team.advisor, "interne.pdf", b"%PDF STAFF-DOC",
                               "internal"),
        "advisor_shared_doc": _document(team.project, team.advisor, "guide.pdf",
                                        b"%PDF GUIDE-SHARED"),
        "anne_step": _step(team.project, team.holder, "Appeler la mairie ANNE-STEP"),
        "yann_step": _step(team.project, team.advisor, "Relancer France Active YANN-STEP"),
        "bruno_note": _note(secret, other_advisor, "Note de Bruno BRUNO-NOTE"),
        "bruno_internal": _note(secret, other_advisor, "Interne BRUNO-INTERNAL", "internal"),
        "bruno_doc": _document(secret, bruno, "bruno.pdf", b"%PDF BRUNO-DOC"),
        "bruno_step": _step(secret, bruno, "Étape BRUNO-STEP"),
        "secret": secret, "bruno": bruno, "other_advisor": other_advisor,
    }
    db.session.add_all([
        Notification(user_id=team.holder.id, kind="note_shared", project_id=team.project.id,
                     detail={"title": team.project.title}),
        Notification(user_id=bruno.id, kind="note_shared", project_id=secret.id,
                     detail={"title": "BRUNO-NOTIFICATION"}),
        OutgoingMail(to=team.holder.email, subject="Votre projet avance", body="ANNE-MAIL"),
        OutgoingMail(to=team.holder.email, subject="Mot de passe", body="LIVE-LINK-SECRET",
                     secret=True),
        OutgoingMail(to=bruno.email, subject="BRUNO-MAIL", body="BRUNO-MAIL"),
        AccompanimentTime(project_id=team.project.id, advisor_id=team.advisor.id,
                          spent_on=date(2026, 11, 3), minutes=90, note="YANN-TIME"),
        AccompanimentTime(project_id=secret.id, advisor_id=other_advisor.id,
                          spent_on=date(2026, 11, 3), minutes=30, note="ODILE-TIME"),
    ])
    db.session.commit()
    return world


def _archive(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def _json(archive: zipfile.ZipFile, name: str):
    return json.loads(archive.read(name).decode("utf-8"))


def _everything(archive: zipfile.ZipFile) -> str:
    """Every file of the archive as text (names included), to look for what must not be."""
    return "\n".join([*archive.namelist(), *(archive.read(name).decode("utf-8", "replace")
                                             for name in archive.namelist())])


def _mine(client):
    return client.post("/account/data")


# -- The holder ---------------------------------------------------------------------------

def test_a_holder_downloads_a_zip_of_json_files_with_a_french_readme(client, auth, team,
                                                                     world):
    auth.login(team.holder)
    response = client.post("/account/data", headers={"Accept-Language": "fr"})
    archive = _archive(response)
    assert archive.testzip() is None
    names = archive.namelist()
    assert names[0] == "README.txt"
    for name in ("profile.json", "consents.json", "account_security.json", "projects.json",
                 "notes.json", "next_steps.json", "documents.json", "notifications.json",
                 "emails.json", "mentorships.json", "meetings.json", "committees.json"):
        assert name in names
        assert f"- {name}: " in archive.read("README.txt").decode("utf-8")
    readme = archive.read("README.txt").decode("utf-8")
    assert "Vos données personnelles dans Incubateur" in readme
    assert "documents/" in readme
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="mes-donnees-{pole_today().isoformat()}.zip"'
    assert response.headers["Cache-Control"] == "no-store"


def test_a_holders_archive_matches_the_database(client, auth, team, world):
    holder = team.holder
    auth.login(holder)
    archive = _archive(_mine(client))

    profile = _json(archive, "profile.json")
    assert (profile["id"], profile["name"], profile["email"], profile["role"]) == (
        holder.id, "Anne Briand", holder.email, "holder")
    datetime.fromisoformat(profile["created_at"])  # ISO 8601
    assert _json(archive, "consents.json")["email_notifications"] is True

    [project] = _json(archive, "projects.json")
    assert (project["id"], project["title"], project["advisor"]) == (
        team.project.id, "Épicerie vrac", "Yann Le Goff")
    assert project["holders"] == ["Anne Briand"]
    kinds = [entry["kind"] for entry in project["history"]]
    assert "move" in kinds and "note" in kinds and "document" in kinds
    # The shared note and the two shared documents; never the internal ones.
    assert (kinds.count("note"), kinds.count("document")) == (1, 2)
    assert not [e for e in project["history"] if "interne" in e["text"].lower()
                or "internal" in e["text"].lower()]
    assert all(datetime.fromisoformat(entry["at"]) for entry in project["history"])

    notes = _json(archive, "notes.json")
    assert [n["id"] for n in notes["shared_with_me"]] == [world["shared"].id]
    assert notes["shared_with_me"][0]["body"] == "Compte rendu partagé ANNE-SHARED"
    assert notes["written_by_me"] == []

    assert [s["id"] for s in _json(archive, "next_steps.json")] == [world["anne_step"].id]

    documents = _json(archive, "documents.json")
    assert {d["id"]: d["uploaded_by_me"] for d in documents} == {
        world["anne_doc"].id: True, world["advisor_shared_doc"].id: False}
    for document in documents:
        stored = db.session.get(Document, document["id"])
        assert archive.read(document["file_in_archive"]) == stored.content
        assert document["sha256"] == stored.sha256
        assert document["file_in_archive"].startswith("documents/")

    notifications = _json(archive, "notifications.json")
    expected = db.session.scalars(select(Notification.id).where(
        Notification.user_id == holder.id)).all()
    assert [n["id"] for n in notifications] == expected and expected
    assert "Épicerie vrac" in notifications[0]["text"]

    emails = _json(archive, "emails.json")
    assert [(m["subject"], m["body"]) for m in emails] == [
        ("Votre projet avance", "ANNE-MAIL"), ("Mot de passe", None)]


def test_a_holders_archive_holds_nothing_staff_only_nor_anyone_elses(client, auth, team,
                                                                     world):
    auth.login(team.holder)
    text = _everything(_archive(_mine(client)))
    for foreign in ("STAFF-ONLY", "STAFF-DOC", "interne.pdf", "YANN-STEP", "YANN-TIME",
                    "LIVE-LINK-SECRET", "BRUNO", "Bruno", "bruno", "Odile", "Ressourcerie"):
        assert foreign not in text, foreign
    assert world["bruno"].email not in text
    # Nor any of Bruno's ids where an id is named.
    archive = _archive(_mine(client))
    ids = {world[k].id for k in ("bruno_note", "bruno_internal")}
    assert not ids & {n["id"] for n in _json(archive, "notes.json")["shared_with_me"]}
    assert world["bruno_doc"].id not in {d["id"] for d in _json(archive, "documents.json")}
    assert world["bruno_step"].id not in {s["id"] for s in _json(archive, "next_steps.json")}
    assert world["secret"].id not in {p["id"] for p in _json(archive, "projects.json")}


def test_no_secret_of_the_account_is_in_the_archive(client, auth, team, world):
    auth.login(team.holder)
    text = _everything(_archive(_mine(client)))
    assert team.holder.password_hash not in text
    for session in db.session.scalars(select(UserSession)):
        assert session.secret_hash not in text
    security = _json(_archive(_mine(client)), "account_security.json")
    assert len(security["sessions"]) == 1 and security["sessions"][0]["ended_at"] is None


def test_a_document_the_holder_uploaded_then_deleted_is_still_given(client, auth, team,
                                                                    world):
    document = world["anne_doc"]
    document.deleted_at, document.deleted_by_id = NOW, team.holder.id
    db.session.commit()
    auth.login(team.holder)
    archive = _archive(_mine(client))
    [listed] = [d for d in _json(archive, "documents.json") if d["id"] == document.id]
    assert listed["deleted_at"] is not None
    assert archive.read(listed["file_in_archive"]) == b"%PDF ANNE-BUDGET"


def test_a_project_the_person_no_longer_holds_is_not_in_their_archive(client, auth, team,
                                                                      world):
    db.session.delete(db.session.get(ProjectHolder, (team.project.id, team.holder.id)))
    db.session.commit()
    auth.login(team.holder)
    archive = _archive(_mine(client))
    assert _json(archive, "projects.json") == []
    assert _json(archive, "notes.json")["shared_with_me"] == []
    assert [d["id"] for d in _json(archive, "documents.json")] == [world["anne_doc"].id]


# -- Staff and mentors -----------------------------------------------------------------------

def test_an_advisors_archive_holds_their_work_records_and_nothing_of_others(client, auth,
                                                                           team, world):
    auth.login(team.advisor)
    archive = _archive(_mine(client))
    assert _json(archive, "profile.json")["role"] == "advisor"
    assert _json(archive, "projects.json") == []
    written = _json(archive, "notes.json")["written_by_me"]
    assert {n["id"] for n in written} == {world["shared"].id, world["internal"].id}
    assert [s["id"] for s in _json(archive, "next_steps.json")] == [world["yann_step"].id]
    [time] = _json(archive, "accompaniment_time.json")
    assert (time["minutes"], time["note"], time["project_id"]) == (90, "YANN-TIME",
                                                                   team.project.id)
    # The documents they uploaded, internal included (they are theirs).
    assert {d["id"] for d in _json(archive, "documents.json")} == {
        world["staff_doc"].id, world["advisor_shared_doc"].id}
    text = _everything(archive)
    for foreign in ("BRUNO", "ODILE-TIME", "ANNE-STEP", "ANNE-MAIL", "ANNE-BUDGET"):
        assert foreign not in text, foreign


@pytest.fixture
def network(team):
    """Les Jardins du Don (member) mentors "Épicerie vrac" through Claire Morvan, its
    contact person, who has a mentor account; Paul Guillou, another contact without an
    account, went to a working group's meeting and sat on a committee; the same meeting
    and committee list other people too."""
    organisation = Organisation(name="Les Jardins du Don", is_member=True)
    db.session.add(organisation)
    db.session.flush()
    mentor = factories.user("mentor", name="Claire Morvan", email="claire@jardins.example")
    claire = OrganisationContact(organisation_id=organisation.id, name="Claire Morvan",
                                 email=mentor.email, user_id=mentor.id)
    paul = OrganisationContact(organisation_id=organisation.id, name="Paul Guillou",
                               role="Trésorier", email="paul@jardins.example",
                               phone="02 99 00 00 00")
    other = OrganisationContact(organisation_id=organisation.id, name="Léa Autre",
                                email="lea@jardins.example")
    db.session.add_all([claire, paul, other])
    db.session.flush()
    mentorship = Mentorship(project_id=team.project.id, organisation_id=organisation.id,
                            contact_id=claire.id, started_on=date(2026, 10, 1))
    other_mentorship = Mentorship(project_id=team.project.id, organisation_id=organisation.id,
                                  contact_id=other.id, started_on=date(2025, 1, 1),
                                  ended_on=date(2025, 6, 1))
    db.session.add_all([mentorship, other_mentorship])
    db.session.flush()
    db.session.add_all([
        MentoringHours(mentorship_id=mentorship.id, worked_on=date(2026, 10, 8),
                       hours=Decimal("1.50"), note="Plan de trésorerie CLAIRE-HOURS"),
        MentoringHours(mentorship_id=other_mentorship.id, worked_on=date(2025, 2, 1),
                       hours=Decimal("2"), note="LEA-HOURS"),
    ])
    group = WorkingGroup(name="Éco-construction")
    db.session.add(group)
    db.session.flush()
    meeting = GroupMeeting(group_id=group.id, uid="meeting-1@test",
                           starts_at=datetime(2026, 10, 20, 16, tzinfo=UTC), place="Redon")
    db.session.add(meeting)
    db.session.flush()
    db.session.add_all([
        MeetingAttendance(meeting_id=meeting.id, name="paul GUILLOU",
                          organisation_id=organisation.id),
        MeetingAttendance(meeting_id=meeting.id, name="Léa Autre",
                          organisation_id=organisation.id, status="excused"),
        MeetingAttendance(meeting_id=meeting.id, name="Claire Morvan", user_id=mentor.id),
    ])
    partner = Partner(name="Redon Agglomération", kind="intercommunalite")
    db.session.add(partner)
    db.session.flush()
    elus = PartnerContact(partner_id=partner.id, name="Martine Élue", email="m@agglo.example")
    db.session.add(elus)
    sitting = CommitteeSitting(name="Comité de sélection", held_on=date(2026, 11, 5))
    db.session.add(sitting)
    db.session.flush()
    db.session.add_all([
        CommitteeSeat(sitting_id=sitting.id, name="Paul Guillou",
                      organisation_id=organisation.id, organisation_contact_id=paul.id),
        CommitteeSeat(sitting_id=sitting.id, name="Martine Élue", partner_id=partner.id,
                      partner_contact_id=elus.id),
        CommitteeSeat(sitting_id=sitting.id, name="Léa Autre",
                      organisation_id=organisation.id, organisation_contact_id=other.id),
    ])
    db.session.commit()
    return {"organisation": organisation, "mentor": mentor, "claire": claire, "paul": paul,
            "other": other, "mentorship": mentorship, "partner": partner, "elue": elus}


def test_a_mentors_archive_holds_their_mentorships_and_hours(client, auth, team, world,
                                                            network):
    auth.login(network["mentor"])
    archive = _archive(_mine(client))
    [record] = _json(archive, "contact_records.json")
    assert (record["id"], record["organisation"], record["has_account"]) == (
        network["claire"].id, "Les Jardins du Don", True)
    [mentorship] = _json(archive, "mentorships.json")
    assert (mentorship["id"], mentorship["project"]) == (network["mentorship"].id,
                                                         "Épicerie vrac")
    assert mentorship["hours"][0]["hours"] == "1.50"
    assert mentorship["total_hours"] == "1.50"
    assert mentorship["hours"][0]["note"] == "Plan de trésorerie CLAIRE-HOURS"
    [meeting] = _json(archive, "meetings.json")
    assert (meeting["group"], meeting["name_on_the_list"]) == ("Éco-construction",
                                                               "Claire Morvan")
    text = _everything(archive)
    for foreign in ("LEA-HOURS", "Léa", "Paul", "BRUNO", "STAFF-ONLY"):
        assert foreign not in text, foreign


# -- A manager, for someone else ----------------------------------------------------------------

def _person_url(kind: str, person_id: int) -> str:
    return f"/privacy/people/{kind}/{person_id}/export"


def test_a_manager_exports_a_contact_without_an_account(client, login, team, world, network,
                                                        security_events):
    manager = login("manager")
    paul = network["paul"]
    page = client.get(_person_url("organisation-contact", paul.id))
    assert page.status_code == 200
    assert "Paul Guillou" in page.text and "contact_records.json" in page.text
    response = client.post(_person_url("organisation-contact", paul.id), data={"confirm": "1"})
    archive = _archive(response)
    [record] = _json(archive, "contact_records.json")
    assert (record["name"], record["role"], record["email"], record["phone"]) == (
        "Paul Guillou", "Trésorier", "paul@jardins.example", "02 99 00 00 00")
    assert _json(archive, "mentorships.json") == []
    [meeting] = _json(archive, "meetings.json")
    assert meeting["name_on_the_list"] == "paul GUILLOU"  # named as typed, found all the same
    [seat] = _json(archive, "committees.json")
    assert (seat["committee"], seat["held_on"]) == ("Comité de sélection", "2026-11-05")
    assert "profile.json" not in archive.namelist()
    text = _everything(archive)
    for foreign in ("Léa", "Claire", "Martine", "Anne", "BRUNO"):
        assert foreign not in text, foreign
    [event] = security_events.of("personal_data.exported")
    assert event["subject"] == "organisation_contact" and event["subject_id"] == paul.id
    assert event["by_id"] == manager.id and event["own"] is False
    assert "Paul" not in json.dumps(event)


def test_a_manager_exports_a_partners_contact(client, login, network):
    login("manager")
    elue = network["elue"]
    archive = _archive(client.post(_person_url("partner-contact", elue.id),
                                   data={"confirm": "1"}))
    [record] = _json(archive, "contact_records.json")
    assert (record["name"], record["partner"]) == ("Martine Élue", "Redon Agglomération")
    assert [s["name_on_the_list"] for s in _json(archive, "committees.json")] == [
        "Martine Élue"]


def test_a_manager_exports_a_holders_account_as_the_holder_sees_it(client, auth, login, team,
                                                                  world, security_events):
    auth.login(team.holder)
    own = _archive(_mine(client))
    auth.logout()
    login("manager")
    theirs = _archive(client.post(_person_url("user", team.holder.id), data={"confirm": "1"}))
    for name in ("profile.json", "projects.json", "notes.json", "documents.json",
                 "next_steps.json", "notifications.json"):
        assert _json(theirs, name) == _json(own, name), name
    assert "STAFF-ONLY" not in _everything(theirs)
    assert [e["own"] for e in security_events.of("personal_data.exported")] == [True, False]


def test_the_managers_page_says_what_the_archive_will_hold(client, login, team, world):
    login("manager")
    page = client.get(_person_url("user", team.holder.id), headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert "Exporter les données personnelles d’Anne Briand" in page.text
    assert 'name="confirm" value="1"' in page.text
    assert "2 fichiers" in page.text  # the two documents
    assert "1 élément" in page.text  # one next step, one shared note…


def test_an_export_posted_without_the_confirmation_asks_first(client, login, team):
    login("manager")
    url = _person_url("user", team.holder.id)
    plain = client.post(url)
    assert plain.status_code == 200 and plain.mimetype == "text/html"
    assert 'name="confirm" value="1"' in plain.text and "Anne Briand" in plain.text
    htmx = client.post(url, htmx=True)
    assert htmx.status_code == 200 and htmx.headers["HX-Retarget"] == "#main"
    assert "<html" not in htmx.text and "Anne Briand" in htmx.text


@pytest.mark.parametrize("role", ["holder", "mentor", "advisor"])
def test_only_managers_export_someone_elses_data(client, login, team, role, security_events):
    login(role)
    url = _person_url("user", team.holder.id)
    assert client.get(url).status_code == 403
    assert client.post(url, data={"confirm": "1"}).status_code == 403
    assert security_events.of("personal_data.exported") == []


def test_unknown_people_and_kinds_are_not_found(client, login, team, network):
    login("manager")
    assert client.get(_person_url("user", 999_999)).status_code == 404
    assert client.get(_person_url("organisation-contact", 999_999)).status_code == 404
    assert client.get(_person_url("partner-contact", network["paul"].id + 999)).status_code \
        == 404
    assert client.get(_person_url("member", team.holder.id)).status_code == 404
    assert client.post(_person_url("users", team.holder.id),
                       data={"confirm": "1"}).status_code == 404


def test_a_holder_can_only_download_their_own_data(client, auth, team, world):
    """The self-export takes no id: whatever a holder posts, the archive is theirs."""
    auth.login(team.holder)
    archive = _archive(client.post("/account/data", data={"user_id": world["bruno"].id}))
    assert _json(archive, "profile.json")["id"] == team.holder.id


# -- The pages, CSRF, the log, the stream ----------------------------------------------------------

def test_the_my_data_page_explains_the_archive_and_posts_with_csrf(client, auth, team):
    auth.login(team.holder)
    page = client.get("/account/data", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert "Télécharger mes données" in page.text
    for name in ("profile.json", "projects.json", "documents.json", "README.txt"):
        assert name in page.text
    assert 'method="post"' in page.text and 'name="csrf_token"' in page.text
    htmx = client.get("/account/data", htmx=True)
    assert htmx.status_code == 200 and "Download my data" in htmx.text


def test_a_download_without_the_csrf_token_is_refused(client, auth, login, team,
                                                      security_events):
    auth.login(team.holder)
    assert client.post("/account/data", csrf=False).status_code == 400
    auth.logout()
    login("manager")
    assert client.post(_person_url("user", team.holder.id), data={"confirm": "1"},
                       csrf=False).status_code == 400
    assert security_events.of("personal_data.exported") == []


def test_a_visitor_is_sent_to_the_login_page(client):
    response = client.get("/account/data")
    assert response.status_code in (302, 303)
    assert "/auth/login" in response.headers["Location"]
    assert client.post("/account/data").status_code in (302, 303, 401)


def test_the_self_export_is_recorded_in_the_security_log(client, auth, team, world,
                                                         security_events):
    auth.login(team.holder)
    _archive(_mine(client))
    [event] = security_events.of("personal_data.exported")
    assert (event["subject"], event["subject_id"], event["by_id"], event["own"]) == (
        "user", team.holder.id, team.holder.id, True)
    assert event["documents"] == 2
    assert team.holder.email not in json.dumps(event)


def test_the_zip_is_streamed_not_built_in_memory(app, client, auth, team, world):
    auth.login(team.holder)
    response = client.post("/account/data", buffered=False)
    try:
        assert response.is_streamed
        assert "Content-Length" not in response.headers
        chunks = response.response
        first = next(iter(chunks))
        assert first.startswith(b"PK\x03\x04")  # the archive starts before it is finished
        body = first + b"".join(chunks)
    finally:
        response.close()
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    assert "documents.json" in archive.namelist()


def test_the_account_section_links_to_the_export(app, team):
    from flask import render_template
    from flask_login import login_user

    with app.test_request_context("/account"):
        login_user(team.holder)
        html = render_template("account/_your_data.html")
    assert 'id="account-data"' in html and 'href="/account/data"' in html


def test_managers_find_the_export_beside_users_and_contact_people(client, login, team,
                                                                  network):
    login("manager")
    users = client.get("/admin/users")
    assert _person_url("user", team.holder.id) in users.text
    organisation = client.get(f"/members/{network['organisation'].id}")
    assert _person_url("organisation-contact", network["paul"].id) in organisation.text
    partner = client.get(f"/partners/{network['partner'].id}")
    assert _person_url("partner-contact", network["elue"].id) in partner.text
    project = client.get(f"/projects/{team.project.id}")
    assert _person_url("user", team.holder.id) in project.text


def test_advisors_see_no_export_link(client, login, team, network):
    login("advisor")
    organisation = client.get(f"/members/{network['organisation'].id}")
    assert organisation.status_code == 200 and "/privacy/people/" not in organisation.text
    project = client.get(f"/projects/{team.project.id}")
    assert project.status_code == 200 and "/privacy/people/" not in project.text


def test_exports_are_limited_per_account(app, client, auth, team, security_events):
    app.config["DATA_EXPORT_LIMIT"] = "2 per hour"
    auth.login(team.holder)
    assert [client.post("/account/data").status_code for _ in range(3)] == [200, 200, 429]
    [breach] = security_events.of("rate_limit.exceeded")
    assert breach["scope"] == "data-export"
    assert len(security_events.of("personal_data.exported")) == 2
