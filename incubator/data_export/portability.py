"""The right of access and portability (GDPR articles 15 and 20): everything the pole holds
about one person, as a ZIP of JSON files (UTF-8, ISO 8601 dates) with the person's
documents under ``documents/`` and a README.txt that explains each file.

A person is an account (``User``) or a contact person without one (``OrganisationContact``
of the directory, ``PartnerContact`` of a partner body). What goes in, model by model, and
what stays out and why, is listed in docs/privacy-export.md; the rule is "data about the
person, as the person may see it in the tool": a holder's projects come with the history
their own project page shows (``project_page.queries.timeline`` for that holder, never the
staff-only notes, documents or comments), nothing of another person's projects, notes or
documents.

The archive is written while it is sent (``zipstream-ng``): the JSON files are small and
built first; each document's content is read from the database only when the writer
reaches it, one at a time, so memory stays flat whatever the documents weigh.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from flask import render_template
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload
from zipstream import ZIP_DEFLATED, ZipStream

from ..extensions import db
from ..i18n import localized
from ..labels import LABELS
from ..models import (
    AccompanimentTime,
    CommitteeSeat,
    CommitteeSitting,
    Document,
    GroupMeeting,
    LoginFailure,
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
    PasswordToken,
    Project,
    ProjectHolder,
    User,
    UserSession,
    Visibility,
    WorkingGroup,
)
from ..notifications import services as notifications
from ..permissions import visible_project
from ..project_page.queries import timeline
from ..text import search_key

# The kinds of person an export is for (URL segment → model).
USER = "user"
ORGANISATION_CONTACT = "organisation_contact"
PARTNER_CONTACT = "partner_contact"


# What each file of an archive holds: README.txt and the pages list them in this order.
FILE_DESCRIPTIONS = {
    "profile.json": _l("Your account: name, e-mail address, role, language, dates of creation "
                       "and of last login, who invited you."),
    "consents.json": _l("Your choices: when you accepted the privacy policy, whether your "
                        "notifications are also sent by e-mail."),
    "account_security.json": _l("Your sessions (device, IP address, dates), the password "
                                "links sent to you and the failed logins with your address. "
                                "No password or secret is included."),
    "projects.json": _l("The projects you hold: their description, stage, status, advisor and "
                        "holders, and their history as your project page shows it."),
    "notes.json": _l("The notes shared with you on your projects, and the notes you wrote."),
    "next_steps.json": _l("The next steps assigned to you."),
    "documents.json": _l("The documents you uploaded and those shared with you on your "
                         "projects; the files themselves are in the documents folder."),
    "notifications.json": _l("Your notifications in the application, read or not."),
    "emails.json": _l("The e-mails to your address that the application still keeps (without "
                      "the text of those carrying a password link)."),
    "contact_records.json": _l("Your record as a contact person of an organisation or a "
                               "partner: name, role, e-mail address, phone."),
    "mentorships.json": _l("The mentorships you are the contact person of, with the volunteer "
                           "hours given."),
    "meetings.json": _l("The working group meetings where you are on the attendance list."),
    "committees.json": _l("The committee sittings where you had a seat."),
    "accompaniment_time.json": _l("The accompaniment time logged in your name on projects."),
}


@dataclass
class Export:
    """What a person's archive holds: ``files`` (name → JSON-able data, written as
    ``name``), ``documents`` (the ``Document`` ids whose content goes under
    ``documents/``, with their name in the archive) and the README's file list."""

    subject: str
    subject_id: int
    files: dict[str, Any] = field(default_factory=dict)
    documents: list[tuple[int, str]] = field(default_factory=list)


# -- JSON ---------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    """JSON for the values the models hold: ISO 8601 dates and times (UTC, with their
    offset), exact decimals as strings ("1.50": hours, FTE), everything else as is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def to_json(data: Any) -> bytes:
    """``data`` as UTF-8 JSON (non-ASCII letters kept as they are, indented for people)."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=_plain).encode("utf-8")


# -- Project history: the text of the page's timeline ----------------------------------------

class _TimelineText(HTMLParser):
    """Reads the rendered ``projects/_timeline.html``: one entry per ``<li>``, its time
    (the ``datetime`` attribute) and its words on one line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.entries: list[dict[str, str]] = []
        self._current: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "li":
            kind = (dict(attrs).get("class") or "").removeprefix("timeline-")
            self._current = {"at": "", "kind": kind, "words": []}
        elif tag == "time" and self._current is not None and not self._current["at"]:
            self._current["at"] = dict(attrs).get("datetime") or ""
            self._current["in_time"] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "time" and self._current is not None:
            self._current.pop("in_time", None)
        elif tag == "li" and self._current is not None:
            text = " ".join(" ".join(self._current["words"]).split())
            self.entries.append({"at": self._current["at"], "kind": self._current["kind"],
                                 "text": text})
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current is not None and not self._current.get("in_time"):
            self._current["words"].append(data)


def project_history(person: User, project: Project) -> list[dict[str, str]]:
    """The history of ``project`` as ``person`` reads it on its page, newest first: the
    same entries (``project_page.queries.timeline`` for that person) drawn by the same
    template, as text. Each: ``at`` (ISO 8601), ``kind`` (move, status, note, document…),
    ``text``. Needs a request context (the templates)."""
    html = render_template("projects/_timeline.html", project=project,
                           history=timeline(person, project))
    reader = _TimelineText()
    reader.feed(html)
    reader.close()
    return reader.entries


# -- An account -------------------------------------------------------------------------------

def _name(user: User | None) -> str | None:
    return user.name if user is not None else None


def _profile(user: User) -> dict[str, Any]:
    invited_by = db.session.get(User, user.invited_by_id) if user.invited_by_id else None
    return {
        "id": user.id, "name": user.name, "email": user.email, "role": user.role,
        "role_label": str(LABELS["role"].get(user.role, user.role)), "active": user.active,
        "language": user.locale, "created_at": user.created_at,
        "last_login_at": user.last_login_at, "invited_at": user.invited_at,
        "invited_by": _name(invited_by),
    }


def _consents(user: User) -> dict[str, Any]:
    return {"privacy_policy_accepted_at": user.privacy_accepted_at,
            "email_notifications": user.email_notifications}


def _account_security(user: User) -> dict[str, Any]:
    sessions = db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id)
        .order_by(UserSession.created_at, UserSession.id))
    links = db.session.scalars(
        select(PasswordToken).where(PasswordToken.user_id == user.id)
        .order_by(PasswordToken.created_at, PasswordToken.id))
    failures = db.session.get(LoginFailure, user.email.strip().lower())
    return {
        # Secrets (the sessions' and links' hashes, the password's) are never exported.
        "sessions": [{"started_at": s.created_at, "last_seen_at": s.last_seen_at,
                      "expires_at": s.expires_at, "stay_logged_in": s.remember_hash is not None,
                      "device": s.user_agent, "ip_address": s.ip, "ended_at": s.ended_at,
                      "ended_reason": s.ended_reason} for s in sessions],
        "password_links": [{"kind": t.kind, "created_at": t.created_at,
                            "expires_at": t.expires_at, "used_at": t.used_at} for t in links],
        "failed_logins": None if failures is None else {
            "count": failures.failures, "last_at": failures.last_failure_at,
            "delayed_until": failures.delayed_until},
    }


def _held_projects(user: User) -> list[Project]:
    ids = db.session.scalars(
        select(ProjectHolder.project_id).where(ProjectHolder.user_id == user.id)
        .order_by(ProjectHolder.project_id))
    found = (visible_project(user, project_id) for project_id in ids)
    return [project for project in found if project is not None]


def _project(user: User, project: Project) -> dict[str, Any]:
    link = next(link for link in project.holder_links if link.user_id == user.id)
    return {
        "id": project.id, "title": project.title, "pitch": project.pitch,
        "need": project.need, "target_public": project.target_public,
        "planned_activity": project.planned_activity, "theme": localized(project.theme),
        "commune": project.commune, "kind": project.kind,
        "legal_form": localized(project.legal_form),
        "jobs_envisaged_fte": project.jobs_envisaged,
        "funding_need_cents": project.funding_need_cents,
        "status": project.status, "stage": localized(project.stage),
        "outcome": project.outcome, "outcome_reason": project.outcome_reason,
        "closed_at": project.closed_at, "created_at": project.created_at,
        "submitted_at": project.submitted_at,
        "advisor": _name(project.advisor),
        "holders": [holder.name for holder in project.holders],
        "holder_since": link.added_at,
        "history": project_history(user, project),
    }


def _note(note: Note, title: str) -> dict[str, Any]:
    return {"id": note.id, "project_id": note.project_id, "project": title,
            "happened_on": note.happened_on, "kind": note.kind, "visibility": note.visibility,
            "author": _name(note.author), "body": note.body, "created_at": note.created_at,
            "updated_at": note.updated_at, "deleted_at": note.deleted_at}


def _notes(user: User, projects: list[Project]) -> dict[str, Any]:
    titles = {project.id: project.title for project in projects}
    shared = db.session.scalars(
        select(Note).where(Note.project_id.in_(titles), Note.deleted_at.is_(None),
                           Note.visibility == Visibility.SHARED.value)
        .options(joinedload(Note.author)).order_by(Note.happened_on, Note.id)) if titles else []
    written = db.session.execute(
        select(Note, Project.title).join(Project, Project.id == Note.project_id)
        .where(Note.author_id == user.id)
        .options(joinedload(Note.author)).order_by(Note.happened_on, Note.id))
    return {"shared_with_me": [_note(note, titles[note.project_id]) for note in shared],
            "written_by_me": [_note(note, title) for note, title in written]}


def _next_steps(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(NextStep, Project.title).join(Project, Project.id == NextStep.project_id)
        .where(NextStep.assignee_id == user.id).order_by(NextStep.due_on, NextStep.id))
    return [{"id": step.id, "project_id": step.project_id, "project": title,
             "title": step.title, "due_on": step.due_on, "created_at": step.created_at,
             "done_at": step.done_at} for step, title in rows]


def _document_name(document_id: int, filename: str) -> str:
    # Stored names are already reduced to one safe path part (documents.services.safe_filename).
    return f"documents/{document_id}-{filename.replace('/', '_')}"


def _documents(user: User, projects: list[Project], export: Export) -> list[dict[str, Any]]:
    """The documents ``user`` uploaded (deleted ones too: the pole still holds their
    content) and the shared, current documents of the projects they hold."""
    held = [project.id for project in projects]
    shared_with_me = (Document.project_id.in_(held)
                      & (Document.visibility == Visibility.SHARED.value)
                      & Document.deleted_at.is_(None)) if held else None
    condition = Document.uploaded_by_id == user.id
    if shared_with_me is not None:
        condition = or_(condition, shared_with_me)
    rows = db.session.execute(
        select(Document.id, Document.project_id, Project.title, Document.filename,
               Document.content_type, Document.size, Document.sha256, Document.visibility,
               Document.uploaded_by_id, Document.created_at, Document.deleted_at)
        .join(Project, Project.id == Document.project_id)
        .where(condition).order_by(Document.created_at, Document.id))
    listed = []
    for row in rows:
        name = _document_name(row.id, row.filename)
        export.documents.append((row.id, name))
        listed.append({"id": row.id, "project_id": row.project_id, "project": row.title,
                       "filename": row.filename, "file_in_archive": name,
                       "content_type": row.content_type, "size_bytes": row.size,
                       "sha256": row.sha256, "visibility": row.visibility,
                       "uploaded_by_me": row.uploaded_by_id == user.id,
                       "uploaded_at": row.created_at, "deleted_at": row.deleted_at})
    return listed


def _notifications(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .options(joinedload(Notification.actor))
        .order_by(Notification.created_at, Notification.id))
    return [{"id": n.id, "kind": n.kind, "text": notifications.message(n),
             "project_id": n.project_id, "by": _name(n.actor), "created_at": n.created_at,
             "read_at": n.read_at} for n in rows]


def _emails(address: str) -> list[dict[str, Any]]:
    """The e-mails queued or sent to ``address`` that the outbox still keeps. A secret one
    (a live password link) is listed without its body."""
    if not address:
        return []
    rows = db.session.scalars(
        select(OutgoingMail).where(func.lower(OutgoingMail.to) == address.strip().lower())
        .order_by(OutgoingMail.created_at, OutgoingMail.id))
    return [{"to": mail.to, "subject": mail.subject,
             "body": None if mail.secret else mail.body, "queued_at": mail.created_at,
             "sent_at": mail.sent_at} for mail in rows]


def _accompaniment(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(AccompanimentTime, Project.title)
        .join(Project, Project.id == AccompanimentTime.project_id)
        .where(AccompanimentTime.advisor_id == user.id)
        .order_by(AccompanimentTime.spent_on, AccompanimentTime.id))
    return [{"project_id": time.project_id, "project": title, "spent_on": time.spent_on,
             "minutes": time.minutes, "kind": time.kind, "note": time.note}
            for time, title in rows]


# -- Contact people (with or without an account) --------------------------------------------

def _organisation_contact(contact: OrganisationContact, organisation: Organisation
                          ) -> dict[str, Any]:
    return {"id": contact.id, "organisation_id": organisation.id,
            "organisation": organisation.name, "name": contact.name, "role": contact.role,
            "email": contact.email, "phone": contact.phone,
            "has_account": contact.user_id is not None,
            "created_at": contact.created_at, "updated_at": contact.updated_at}


def _partner_contact(contact: PartnerContact, partner: Partner) -> dict[str, Any]:
    return {"id": contact.id, "partner_id": partner.id, "partner": partner.name,
            "name": contact.name, "role": contact.role, "email": contact.email,
            "phone": contact.phone, "created_at": contact.created_at,
            "updated_at": contact.updated_at}


def _mentorships(contact_ids: list[int]) -> list[dict[str, Any]]:
    if not contact_ids:
        return []
    rows = db.session.execute(
        select(Mentorship, Project.title, Organisation.name)
        .join(Project, Project.id == Mentorship.project_id)
        .join(Organisation, Organisation.id == Mentorship.organisation_id)
        .where(Mentorship.contact_id.in_(contact_ids))
        .order_by(Mentorship.started_on, Mentorship.id))
    found = [(mentorship, title, name) for mentorship, title, name in rows]
    hours: dict[int, list[MentoringHours]] = {}
    if found:
        for entry in db.session.scalars(
                select(MentoringHours)
                .where(MentoringHours.mentorship_id.in_([m.id for m, _t, _n in found]))
                .order_by(MentoringHours.worked_on, MentoringHours.id)):
            hours.setdefault(entry.mentorship_id, []).append(entry)
    return [{"id": m.id, "project_id": m.project_id, "project": title, "organisation": name,
             "role": m.role, "started_on": m.started_on, "ended_on": m.ended_on,
             "hours": [{"worked_on": h.worked_on, "hours": h.hours, "note": h.note,
                        "logged_at": h.logged_at} for h in hours.get(m.id, [])],
             "total_hours": sum((h.hours for h in hours.get(m.id, [])), Decimal(0))}
            for m, title, name in found]


def _meetings(user_id: int | None, contacts: list[OrganisationContact]) -> list[dict[str, Any]]:
    """Meetings of working groups where the person is on the attendance list: as an
    account, or named as a contact person of their organisation (the list keeps names as
    they were typed: compared ignoring case and accents)."""
    conditions = []
    if user_id is not None:
        conditions.append(MeetingAttendance.user_id == user_id)
    if contacts:
        conditions.append(MeetingAttendance.organisation_id.in_(
            {c.organisation_id for c in contacts}))
    if not conditions:
        return []
    names = {(c.organisation_id, search_key(c.name)) for c in contacts}
    rows = db.session.execute(
        select(MeetingAttendance, GroupMeeting, WorkingGroup.name)
        .join(GroupMeeting, GroupMeeting.id == MeetingAttendance.meeting_id)
        .join(WorkingGroup, WorkingGroup.id == GroupMeeting.group_id)
        .where(or_(*conditions)).order_by(GroupMeeting.starts_at, MeetingAttendance.id))
    return [{"group": group, "meeting_starts_at": meeting.starts_at,
             "meeting_ends_at": meeting.ends_at, "place": meeting.place,
             "cancelled_at": meeting.cancelled_at, "name_on_the_list": attendance.name,
             "status": attendance.status}
            for attendance, meeting, group in rows
            if (user_id is not None and attendance.user_id == user_id)
            or (attendance.organisation_id, search_key(attendance.name)) in names]


def _committee_seats(organisation_contact_ids: list[int],
                     partner_contact_ids: list[int]) -> list[dict[str, Any]]:
    conditions = []
    if organisation_contact_ids:
        conditions.append(CommitteeSeat.organisation_contact_id.in_(organisation_contact_ids))
    if partner_contact_ids:
        conditions.append(CommitteeSeat.partner_contact_id.in_(partner_contact_ids))
    if not conditions:
        return []
    rows = db.session.execute(
        select(CommitteeSeat, CommitteeSitting)
        .join(CommitteeSitting, CommitteeSitting.id == CommitteeSeat.sitting_id)
        .where(or_(*conditions)).order_by(CommitteeSitting.held_on, CommitteeSeat.id))
    return [{"committee": sitting.name, "held_on": sitting.held_on, "place": sitting.place,
             "name_on_the_list": seat.name, "role": seat.role} for seat, sitting in rows]


# -- The exports --------------------------------------------------------------------------------

def user_export(user: User) -> Export:
    """Everything the pole holds about account ``user`` (the file list: README_FILES).
    Needs a request context (the project histories are rendered by the page's template)."""
    export = Export(USER, user.id)
    projects = _held_projects(user)
    contacts = [(contact, organisation) for contact, organisation in db.session.execute(
        select(OrganisationContact, Organisation)
        .join(Organisation, Organisation.id == OrganisationContact.organisation_id)
        .where(OrganisationContact.user_id == user.id))]
    contact_ids = [contact.id for contact, _o in contacts]
    export.files = {
        "profile.json": _profile(user),
        "consents.json": _consents(user),
        "account_security.json": _account_security(user),
        "projects.json": [_project(user, project) for project in projects],
        "notes.json": _notes(user, projects),
        "next_steps.json": _next_steps(user),
        "documents.json": _documents(user, projects, export),
        "notifications.json": _notifications(user),
        "emails.json": _emails(user.email),
        "contact_records.json": [_organisation_contact(c, o) for c, o in contacts],
        "mentorships.json": _mentorships(contact_ids),
        "meetings.json": _meetings(user.id, [c for c, _o in contacts]),
        "committees.json": _committee_seats(contact_ids, []),
        "accompaniment_time.json": _accompaniment(user),
    }
    return export


def organisation_contact_export(contact: OrganisationContact) -> Export:
    """What the pole holds about a contact person of an organisation of the directory: the
    contact record, the mentorships they are the contact of (with hours), the working
    groups' meetings they are listed at, the committees they sat on, the e-mails to them.
    A contact with an account: their account's export holds this too."""
    organisation = db.session.get(Organisation, contact.organisation_id)
    export = Export(ORGANISATION_CONTACT, contact.id)
    export.files = {
        "contact_records.json": [_organisation_contact(contact, organisation)],
        "mentorships.json": _mentorships([contact.id]),
        "meetings.json": _meetings(contact.user_id, [contact]),
        "committees.json": _committee_seats([contact.id], []),
        "emails.json": _emails(contact.email),
    }
    return export


def partner_contact_export(contact: PartnerContact) -> Export:
    """What the pole holds about a contact person of a partner body: the contact record,
    the committees they sat on, the e-mails to them."""
    partner = db.session.get(Partner, contact.partner_id)
    export = Export(PARTNER_CONTACT, contact.id)
    export.files = {
        "contact_records.json": [_partner_contact(contact, partner)],
        "committees.json": _committee_seats([], [contact.id]),
        "emails.json": _emails(contact.email),
    }
    return export


def find_person(kind: str, person_id: int) -> User | OrganisationContact | PartnerContact | None:
    """The account or contact person ``person_id`` of ``kind`` (USER, ORGANISATION_CONTACT,
    PARTNER_CONTACT), or None (unknown kind or id)."""
    model = {USER: User, ORGANISATION_CONTACT: OrganisationContact,
             PARTNER_CONTACT: PartnerContact}.get(kind)
    return db.session.get(model, person_id) if model is not None else None


def person_export(person: User | OrganisationContact | PartnerContact) -> Export:
    """The export of ``person``, whatever its kind."""
    if isinstance(person, User):
        return user_export(person)
    if isinstance(person, OrganisationContact):
        return organisation_contact_export(person)
    return partner_contact_export(person)


# -- The archive ---------------------------------------------------------------------------------

def _content(document_id: int) -> Iterator[bytes]:
    """A document's content, read when the archive writer reaches it (not before)."""
    yield db.session.scalar(select(Document.content).where(Document.id == document_id)) or b""


def archive(export: Export, readme: str) -> ZipStream:
    """The ZIP of ``export``: README.txt (``readme``), one JSON file per entry of
    ``export.files``, then the documents under ``documents/``. Iterating it yields the
    archive's bytes as they are written; the documents' contents are read lazily (iterate
    inside the request's context: ``flask.stream_with_context``)."""
    stream = ZipStream(compress_type=ZIP_DEFLATED)
    stream.add(readme.encode("utf-8"), "README.txt")
    for name, data in export.files.items():
        stream.add(to_json(data), name)
    for document_id, name in export.documents:
        stream.add(_content(document_id), name)
    return stream


def entry_counts(export: Export) -> dict[str, int | None]:
    """How many entries each file of ``export`` lists (None for a file that describes one
    thing, such as the profile): what the manager's page shows before the download."""
    counts: dict[str, int | None] = {}
    for name, data in export.files.items():
        if isinstance(data, list):
            counts[name] = len(data)
        elif isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
            counts[name] = sum(len(v) for v in data.values())
        else:
            counts[name] = None
    return counts


def readme(export: Export, today: date) -> str:
    """README.txt: what the archive is, how to read it, and each of its files (in the
    current language: French by default)."""
    lines = [
        _("Your personal data in Incubateur, exported on %(date)s.", date=format_date(today)),
        "",
        _("Each .json file is plain text (UTF-8) in the JSON format, readable with a text "
          "editor or imported by a spreadsheet. Dates and times follow the ISO 8601 "
          "standard, in UTC (+00:00). Amounts ending in _cents are in euro cents; hours "
          "and full-time equivalents are decimal numbers written in quotes (\"1.50\")."),
        "",
        _("Files:"),
    ]
    for name in export.files:
        lines.append(f"- {name}: {FILE_DESCRIPTIONS[name]}")
    if export.documents:
        lines.append("- documents/: " + _("the files of the documents listed in "
                                           "documents.json."))
    lines += ["", _("To have your data corrected or erased, or for any question, contact the "
                    "pole (see the privacy page of the application).")]
    return "\r\n".join(lines) + "\r\n"


def download_name(today: date) -> str:
    """``mes-donnees-YYYY-MM-DD.zip``."""
    return f"mes-donnees-{today.isoformat()}.zip"
