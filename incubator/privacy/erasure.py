"""The right to erasure (GDPR article 17): a manager erases a person on request.

A person is a user account (any role), a contact of an organisation without an account, or
a contact of a partner outside the directory.
Erasing them, in one transaction (``erase``; the route commits):

- writes an ``Erasure`` row first: its id is the pseudonym's number, « Personne supprimée
  n° 12 » (``pseudonym``); the row never holds the identity;
- a user account stays as a pseudonymised, inactive shell that cannot log in (name = the
  pseudonym, e-mail ``personne-supprimee-12@invalid``, no password, no locale, consents
  cleared): projects, notes, moves and hours keep pointing at it, so every figure and every
  history count stays the same and the timelines read « Personne supprimée n° 12 »;
- rows the account owns (every table whose foreign key to ``users.id`` cascades on delete:
  sessions, notifications, password links, spent form tokens…, holder links excepted) are
  deleted, and so are notifications by them or naming them, queued or sent mails to or
  naming them, and login failures of their address;
- the organisation contacts of the person (the contact erased, or the mentor account's
  contact) are deleted, their links (mentorships, committee seats) set to none;
- names copied as they were into history (``ProjectEvent.detail`` through the guard's one
  exception, ``models.pipeline.erasing``), attendance lines and committee seats become the
  pseudonym;
- documents the person uploaded are removed (content emptied, name replaced, marked
  deleted) except those the manager decided to keep (``kept_document_ids``);
- free text written by others (a note's body, a comment…) is never rewritten: where it still
  mentions the name or e-mail is listed (``Mention``) for the manager, and kept in the
  erasure record as table, column and row id only.

``preview`` runs the same erasure inside a savepoint and rolls it back (without writing the
record, so no number is spent), so what the page shows is what the confirmation will do. ``replay`` applies every recorded erasure
again (after a backup restore: docs/erasure.md); applying it to an erased person changes
nothing, so replay is idempotent.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import JSON, String, Text, delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import (
    CommitteeSeat,
    Document,
    Erasure,
    Job,
    LoginFailure,
    MeetingAttendance,
    MentoringHours,
    Mentorship,
    NextStep,
    Note,
    Notification,
    OrganisationContact,
    OutgoingMail,
    PartnerContact,
    ProjectEvent,
    ProjectHolder,
    StageMove,
    User,
    utcnow,
)
from ..models.pipeline import erasing
from ..params import parse_int

#: The pseudonym that replaces an erased person's identity, in the pole's language (it is
#: stored in the data, like the names it replaces). U+00A0 keeps « n° » with its number.
PSEUDONYM = "Personne supprimée n°\u00a0{number}"
#: The erased account's address: unique, and in the reserved ``.invalid`` domain (RFC 2606),
#: so no mail can ever reach anyone.
PLACEHOLDER_EMAIL = "personne-supprimee-{number}@invalid"
#: A removed document's name (its original name may carry the person's name).
REMOVED_DOCUMENT_NAME = "document-efface-{id}"

#: Tables a user owns (foreign key cascading on delete) whose rows are kept: a holder link
#: keeps the project's holders and figures; it then names the pseudonym.
OWNED_ROWS_KEPT = frozenset({"project_holders"})
#: How the rows an account owns are counted on the preview (others: ``account_data``).
OWNED_COUNTS = {"user_sessions": "sessions", "notifications": "notifications"}
#: Tables never scanned for mentions: the erasure log itself (no identity in it).
NOT_SCANNED = frozenset({"erasures", "alembic_version"})


class ErasureRefused(Exception):
    """The erasure cannot be done: ``reason`` is ``self`` (a manager erasing their own
    account), ``erased`` (already erased) or ``has_account`` (a contact with an account:
    erase the account, which erases the contact too)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StalePreview(Exception):
    """What the erasure would do changed since the manager's preview (a new document, a
    new mention…): the preview must be shown again (409)."""


def pseudonym(number: int) -> str:
    """« Personne supprimée n° 12 » for erasure record ``number``."""
    return PSEUDONYM.format(number=number)


@dataclass(frozen=True)
class Person:
    """Who is erased: ``kind`` ``user`` or ``contact`` and its id; the identity strings to
    look for (names, e-mails), only in memory."""

    kind: str
    id: int
    names: tuple[str, ...]
    emails: tuple[str, ...]
    contact_ids: tuple[int, ...]
    organisation_ids: tuple[int, ...]
    partner_contact_ids: tuple[int, ...] = ()
    partner_ids: tuple[int, ...] = ()

    @property
    def needles(self) -> tuple[str, ...]:
        """Every identity string, longest first (a name inside an e-mail is replaced after)."""
        found = {s for s in (*self.names, *self.emails) if s and len(s.strip()) >= 2}
        return tuple(sorted(found, key=len, reverse=True))

    @property
    def display_name(self) -> str:
        return self.names[0] if self.names else ""


def person_for_user(user: User) -> Person:
    """The person behind ``user``, with the organisation contact(s) linked to the account."""
    contacts = db.session.execute(
        select(OrganisationContact.id, OrganisationContact.organisation_id,
               OrganisationContact.name, OrganisationContact.email)
        .where(OrganisationContact.user_id == user.id)).all()
    return Person(
        kind="user", id=user.id,
        names=_unique([user.name, *(c.name for c in contacts)]),
        emails=_unique([user.email, *(c.email for c in contacts)]),
        contact_ids=tuple(c.id for c in contacts),
        organisation_ids=tuple(c.organisation_id for c in contacts))


def person_for_contact(contact: OrganisationContact) -> Person:
    """The person behind an organisation contact without an account."""
    return Person(kind="contact", id=contact.id, names=_unique([contact.name]),
                  emails=_unique([contact.email]), contact_ids=(contact.id,),
                  organisation_ids=(contact.organisation_id,))


def person_for_partner_contact(contact: PartnerContact) -> Person:
    """The person behind a partner's contact (partners outside the directory)."""
    return Person(kind="partner_contact", id=contact.id, names=_unique([contact.name]),
                  emails=_unique([contact.email]), contact_ids=(), organisation_ids=(),
                  partner_contact_ids=(contact.id,), partner_ids=(contact.partner_id,))


def target_column(kind: str):
    """The erasure record's column naming a person of ``kind``."""
    return {"user": Erasure.user_id, "contact": Erasure.contact_id,
            "partner_contact": Erasure.partner_contact_id}[kind]


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value.strip():
            seen.setdefault(value.strip(), None)
    return tuple(seen)


def is_erased(user: User) -> bool:
    """True when ``user`` is the shell of an erased account."""
    return db.session.scalar(select(Erasure.id).where(Erasure.user_id == user.id)) is not None


@dataclass(frozen=True)
class Mention:
    """Free text that still mentions the person: where (table, column, row id), and the
    project it belongs to when there is one (for a link). Never the text itself."""

    table: str
    column: str
    row_id: Any
    project_id: int | None = None


@dataclass
class Outcome:
    """What an erasure did (or, for a preview, would do): ``counts`` of rows per kind
    (``sessions``, ``notifications``, ``mails``, ``documents_removed``, ``history``…),
    ``kept`` counts of what stays (projects held, notes written…), the ``documents`` to
    decide on (uploaded by the person, not yet deleted: id, name, project id), the free-text
    ``mentions`` left, and the pseudonym ``number``."""

    number: int
    counts: Counter = field(default_factory=Counter)
    kept: dict[str, int] = field(default_factory=dict)
    documents: list[tuple[int, str, int]] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        """A digest of what the preview showed, checked by the confirmation (409 when the
        erasure would now do something else)."""
        data = json.dumps([sorted((k, v) for k, v in self.counts.items() if v),
                           sorted(self.kept.items()),
                           sorted(d[0] for d in self.documents),
                           sorted([m.table, m.column, str(m.row_id)] for m in self.mentions)])
        return hashlib.sha256(data.encode()).hexdigest()[:32]


def check_erasable(person: Person, by: User) -> None:
    """Raise ``ErasureRefused`` unless ``by`` may erase ``person`` now (the permission,
    managers only, is checked by the route through ``permissions.can_erase``)."""
    if person.kind == "user" and person.id == by.id:
        raise ErasureRefused("self")
    if db.session.scalar(select(Erasure.id).where(target_column(person.kind) == person.id)
                         ) is not None:
        raise ErasureRefused("erased")


def documents_to_decide(person: Person) -> list[tuple[int, str, int]]:
    """The documents the person uploaded that are still shown (id, name, project id): the
    manager keeps or removes each."""
    return _documents_to_decide(person.id) if person.kind == "user" else []


def preview(person: Person, by: User) -> Outcome:
    """What erasing ``person`` would do, computed by doing it in a savepoint rolled back
    (nothing is written). The pseudonym number shown is the next one (another erasure
    confirmed meanwhile would take it: the confirmation then gets the next)."""
    check_erasable(person, by)
    savepoint = db.session.begin_nested()
    try:
        outcome = _erase(person, by, kept_document_ids=None)
    finally:
        savepoint.rollback()
    return outcome


def erase(person: Person, by: User, *, kept_document_ids: Iterable[int],
          fingerprint: str | None = None) -> tuple[Erasure, Outcome]:
    """Erase ``person`` (flushes, the caller commits, then calls ``append_to_log``).

    ``kept_document_ids``: the documents the person uploaded that the pole keeps (others
    are removed); ``fingerprint``: the preview's, when given, must still be true, else
    ``StalePreview``. Raises ``ErasureRefused`` as ``check_erasable``."""
    check_erasable(person, by)
    # Checked first, before anything is written: a refusal then leaves nothing behind to roll
    # back (on SQLite, whose driver opens no transaction before a SAVEPOINT, the record's
    # savepoint would be committed when released). Checked again after: the data may change
    # in between.
    if fingerprint is not None and preview(person, by).fingerprint != fingerprint:
        raise StalePreview()
    kept = set(kept_document_ids)
    outcome = _erase(person, by, kept_document_ids=kept)
    if fingerprint is not None and _without_decisions(outcome) != fingerprint:
        raise StalePreview()
    record = db.session.get(Erasure, outcome.number)
    _keep_mentions(record, outcome)
    return record, outcome


def _without_decisions(outcome: Outcome) -> str:
    """The fingerprint the preview had: the documents kept are the manager's decision, not
    a change of the data, so they count as documents to decide on."""
    copy = Outcome(number=outcome.number, counts=Counter(outcome.counts),
                   kept=dict(outcome.kept), documents=outcome.documents,
                   mentions=outcome.mentions)
    copy.counts["documents_removed"] += copy.counts.pop("documents_kept", 0)
    copy.counts.pop("documents_kept", None)
    return copy.fingerprint


def _erase(person: Person, by: User | None, *, kept_document_ids: set[int] | None,
           record: Erasure | None = None) -> Outcome:
    """Do the erasure; ``kept_document_ids`` None is a preview (no record written, the
    number is the next one, every document counted as removed). ``record``: an existing
    erasure being replayed."""
    if record is not None:
        number = record.id
    elif kept_document_ids is None:
        # A preview inserts no record: a sequence (PostgreSQL) would not give the number back.
        number = (db.session.scalar(select(func.max(Erasure.id))) or 0) + 1
    else:
        record = Erasure(kind=person.kind, erased_by_id=by.id if by else None,
                         user_id=person.id if person.kind == "user" else None,
                         contact_id=person.id if person.kind == "contact" else None,
                         partner_contact_id=person.id if person.kind == "partner_contact"
                         else None,
                         kept_document_ids=sorted(kept_document_ids))
        try:
            # Two managers confirming at once: the unique user_id / contact_id decides.
            with db.session.begin_nested():
                db.session.add(record)
        except IntegrityError:
            raise ErasureRefused("erased") from None
        number = record.id
    outcome = Outcome(number=number)
    name = pseudonym(number)
    needles = tuple(n for n in person.needles
                    if n not in (name, PLACEHOLDER_EMAIL.format(number=number)))
    if person.kind == "user":
        outcome.kept = _kept_counts(person.id)
        outcome.documents = _documents_to_decide(person.id)
        _erase_account(person.id, number, record.erased_by_id if record else by.id,
                       outcome, kept_document_ids)
    _erase_contacts(person, name, outcome)
    _rewrite_copies(person, needles, name, outcome)
    _delete_messages(person, needles, outcome)
    db.session.flush()
    db.session.expire_all()
    outcome.mentions = list(find_mentions(needles))
    return outcome


def _keep_mentions(record: Erasure, outcome: Outcome) -> None:
    record.mentions = [[m.table, m.column, m.row_id] for m in outcome.mentions]
    db.session.flush()


def _kept_counts(user_id: int) -> dict[str, int]:
    """What stays, counted: projects held, notes written, next steps assigned, stage moves
    made, mentoring hours logged (they now name the pseudonym)."""
    def count(statement) -> int:
        return db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0

    return {
        "projects": count(select(ProjectHolder.project_id)
                          .where(ProjectHolder.user_id == user_id)),
        "notes": count(select(Note.id).where(Note.author_id == user_id)),
        "next_steps": count(select(NextStep.id).where(NextStep.assignee_id == user_id)),
        "moves": count(select(StageMove.id).where(StageMove.moved_by_id == user_id)),
        "hours": count(select(MentoringHours.id).where(MentoringHours.logged_by_id == user_id)),
    }


def _documents_to_decide(user_id: int) -> list[tuple[int, str, int]]:
    """The person's documents still shown (not deleted): id, name, project id."""
    return [tuple(row) for row in db.session.execute(
        select(Document.id, Document.filename, Document.project_id)
        .where(Document.uploaded_by_id == user_id, Document.deleted_at.is_(None))
        .order_by(Document.project_id, Document.id))]


def _erase_account(user_id: int, number: int, erased_by_id: int | None, outcome: Outcome,
                   kept_document_ids: set[int] | None) -> None:
    """The account becomes an inactive, unloggable shell named by the pseudonym; the rows
    it owns go; its documents go unless kept (None: a preview, all counted as removed)."""
    for table, column in _owned_tables():
        result = db.session.execute(delete(table).where(column == user_id))
        if result.rowcount:
            outcome.counts[OWNED_COUNTS.get(table.name, "account_data")] += result.rowcount
    user = db.session.get(User, user_id)
    if user is not None:
        changes = {"name": pseudonym(number), "email": PLACEHOLDER_EMAIL.format(number=number),
                   "password_hash": None, "active": False, "locale": None,
                   "privacy_accepted_at": None, "last_login_at": None,
                   "email_notifications": False}
        if any(getattr(user, key) != value for key, value in changes.items()):
            outcome.counts["account"] += 1
            for key, value in changes.items():
                setattr(user, key, value)
    now = utcnow()
    documents = db.session.scalars(
        select(Document).where(Document.uploaded_by_id == user_id)).all()
    for document in documents:
        if kept_document_ids is not None and document.id in kept_document_ids:
            outcome.counts["documents_kept"] += 1
            continue
        neutral = REMOVED_DOCUMENT_NAME.format(id=document.id)
        if document.filename == neutral and document.deleted_at is not None:
            continue  # removed before (a replay)
        outcome.counts["documents_removed"] += 1
        document.filename = neutral
        document.content = b""
        document.sha256 = ""
        if document.deleted_at is None:
            document.deleted_at = now
            document.deleted_by_id = erased_by_id


def _owned_tables() -> Iterator[tuple[Any, Any]]:
    """(table, column) of each foreign key to ``users.id`` that cascades on delete, but the
    holder links: rows the account owns. A table added later for an account (a second
    factor, recovery codes) is erased with it without a change here."""
    for table in db.metadata.sorted_tables:
        if table.name in OWNED_ROWS_KEPT:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "users" and (fk.ondelete or "").upper() == "CASCADE":
                yield table, fk.parent


def _erase_contacts(person: Person, name: str, outcome: Outcome) -> None:
    """Committee seats keep the pseudonym, links to the contact rows are undone, the
    contact rows (their name, e-mail, phone, role) deleted."""
    if person.partner_contact_ids:
        _erase_partner_contacts(list(person.partner_contact_ids), name, outcome)
    if not person.contact_ids:
        return
    ids = list(person.contact_ids)
    seats = db.session.execute(
        update(CommitteeSeat).where(CommitteeSeat.organisation_contact_id.in_(ids))
        .values(name=name, organisation_contact_id=None))
    outcome.counts["seats"] += seats.rowcount
    db.session.execute(update(Mentorship).where(Mentorship.contact_id.in_(ids))
                       .values(contact_id=None))
    for table in db.metadata.sorted_tables:  # any other link to a contact, present or future
        for fk in table.foreign_keys:
            if fk.column.table.name == "organisation_contacts" and table.name not in (
                    "committee_seats", "mentorships"):
                db.session.execute(update(table).where(fk.parent.in_(ids))
                                   .values({fk.parent.name: None}))
    removed = db.session.execute(delete(OrganisationContact)
                                 .where(OrganisationContact.id.in_(ids)))
    outcome.counts["contacts"] += removed.rowcount


def _erase_partner_contacts(ids: list[int], name: str, outcome: Outcome) -> None:
    """A partner's contact people: their seats keep the pseudonym, the rows go."""
    seats = db.session.execute(
        update(CommitteeSeat).where(CommitteeSeat.partner_contact_id.in_(ids))
        .values(name=name, partner_contact_id=None))
    outcome.counts["seats"] += seats.rowcount
    for table in db.metadata.sorted_tables:  # any other link to them, present or future
        for fk in table.foreign_keys:
            if fk.column.table.name == "partner_contacts" and table.name != "committee_seats":
                db.session.execute(update(table).where(fk.parent.in_(ids))
                                   .values({fk.parent.name: None}))
    removed = db.session.execute(delete(PartnerContact).where(PartnerContact.id.in_(ids)))
    outcome.counts["contacts"] += removed.rowcount


def _rewrite_copies(person: Person, needles: tuple[str, ...], name: str,
                    outcome: Outcome) -> None:
    """Names copied as they were: attendance lines, committee seats named alone, project
    history details."""
    if person.kind == "user":
        lines = db.session.execute(
            update(MeetingAttendance)
            .where(MeetingAttendance.user_id == person.id, MeetingAttendance.name != name)
            .values(name=name))
        outcome.counts["attendance"] += lines.rowcount
    if needles and person.partner_ids:
        matches = db.session.execute(
            update(CommitteeSeat).where(CommitteeSeat.partner_id.in_(person.partner_ids),
                                        func.lower(CommitteeSeat.name).in_(
                                            [n.lower() for n in needles]))
            .values(name=name))
        outcome.counts["seats"] += matches.rowcount
    if needles and person.organisation_ids:
        # An organisation's people at a meeting or a sitting are named as typed.
        for model, column in ((MeetingAttendance, MeetingAttendance.organisation_id),
                              (CommitteeSeat, CommitteeSeat.organisation_id)):
            matches = db.session.execute(
                update(model).where(column.in_(person.organisation_ids),
                                    func.lower(model.name).in_([n.lower() for n in needles]))
                .values(name=name))
            outcome.counts["attendance" if model is MeetingAttendance else "seats"] += (
                matches.rowcount)
    if not needles:
        return
    # A copied name is a whole value ({"name": "Anne Briand"}): only whole values are
    # rewritten. A name inside a longer text (a partner « France Active Bretagne » for a
    # person who calls themself « France Active ») is someone else's text: listed, not changed.
    whole = {n.casefold() for n in needles}
    with erasing(db.session):
        for event in db.session.scalars(select(ProjectEvent)
                                        .execution_options(yield_per=500)):
            detail = _replace_whole(event.detail, whole, name)
            if detail != event.detail:
                event.detail = detail
                outcome.counts["history"] += 1
        db.session.flush()


def _delete_messages(person: Person, needles: tuple[str, ...], outcome: Outcome) -> None:
    """Notifications by or naming the person; mails to or naming them (queued or sent);
    failed logins of their addresses."""
    doomed = set()
    if person.kind == "user":
        doomed.update(db.session.scalars(
            select(Notification.id).where(Notification.actor_id == person.id)))
    if needles:
        pattern = _pattern(needles)
        # Naming them: a whole value of the detail ({"name": …}), as in the history; a name
        # inside a longer value (an organisation's, a project title) is someone else's text.
        whole = {n.casefold() for n in needles}
        for notification_id, detail in db.session.execute(
                select(Notification.id, Notification.detail)
                .execution_options(yield_per=500)):
            if _has_whole(detail, whole):
                doomed.add(notification_id)
    if doomed:
        outcome.counts["notifications"] += db.session.execute(
            delete(Notification).where(Notification.id.in_(sorted(doomed)))).rowcount
    if needles:
        emails = [e.lower() for e in person.emails]
        conditions = [func.lower(OutgoingMail.to).in_(emails)] if emails else []
        conditions += [_contains(column, needles)
                       for column in (OutgoingMail.subject, OutgoingMail.body)]
        mails = [mail_id for mail_id, to, subject, body in db.session.execute(
                 select(OutgoingMail.id, OutgoingMail.to, OutgoingMail.subject,
                        OutgoingMail.body).where(or_(*conditions)))
                 if to.lower() in emails or _found([subject, body], pattern)]
        if mails:
            outcome.counts["mails"] += db.session.execute(
                delete(OutgoingMail).where(OutgoingMail.id.in_(mails))).rowcount
        if emails:
            outcome.counts["login_failures"] += db.session.execute(
                delete(LoginFailure).where(LoginFailure.email.in_(emails))).rowcount
            # Jobs waiting for the worker (a password reset holds the address typed): few
            # rows (deleted once done), read whole and matched here on every database.
            jobs = [job_id for job_id, payload in db.session.execute(
                    select(Job.id, Job.payload))
                    if str((payload or {}).get("email", "")).strip().lower() in emails]
            if jobs:
                outcome.counts["mails"] += db.session.execute(
                    delete(Job).where(Job.id.in_(jobs))).rowcount


def _pattern(needles: tuple[str, ...]) -> re.Pattern[str]:
    """Any of ``needles`` as a whole word, case ignored: a short name (« Li ») never
    matches inside another word (« Livraison »)."""
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in needles) + r")(?!\w)",
                      re.IGNORECASE)


def _contains(column, needles: tuple[str, ...]):
    """SQL: ``column`` holds one of ``needles`` (as typed or in lower case; the caller
    keeps the whole-word matches)."""
    return or_(*(condition for needle in needles for condition in (
        column.contains(needle, autoescape=True),
        func.lower(column).contains(needle.lower(), autoescape=True))))


def _replace(value: Any, pattern: re.Pattern[str], name: str) -> Any:
    """``value`` (JSON: dicts, lists, strings) with every identity string replaced."""
    if isinstance(value, str):
        return pattern.sub(name, value)
    if isinstance(value, list):
        return [_replace(item, pattern, name) for item in value]
    if isinstance(value, dict):
        return {key: _replace(item, pattern, name) for key, item in value.items()}
    return value


def _replace_whole(value: Any, whole: set[str], name: str) -> Any:
    """``value`` (JSON: dicts, lists, strings) with every string that is one of ``whole``
    (case-folded, spaces around ignored) replaced by ``name``."""
    if isinstance(value, str):
        return name if value.strip().casefold() in whole else value
    if isinstance(value, list):
        return [_replace_whole(item, whole, name) for item in value]
    if isinstance(value, dict):
        return {key: _replace_whole(item, whole, name) for key, item in value.items()}
    return value


def _has_whole(value: Any, whole: set[str]) -> bool:
    """Whether a string of ``value`` (JSON) is one of ``whole`` (as ``_replace_whole``)."""
    if isinstance(value, str):
        return value.strip().casefold() in whole
    if isinstance(value, list):
        return any(_has_whole(item, whole) for item in value)
    if isinstance(value, dict):
        return any(_has_whole(item, whole) for item in value.values())
    return False


def _found(value: Any, pattern: re.Pattern[str]) -> bool:
    if isinstance(value, str):
        return pattern.search(value) is not None
    if isinstance(value, list):
        return any(_found(item, pattern) for item in value)
    if isinstance(value, dict):
        return any(_found(item, pattern) for item in value.values())
    return False


def text_columns() -> Iterator[tuple[Any, Any]]:
    """(table, column) of every String, Text and JSON column of the schema (SQLAlchemy
    metadata): where a name or an e-mail could be written."""
    for table in db.metadata.sorted_tables:
        if table.name in NOT_SCANNED:
            continue
        for column in table.columns:
            if isinstance(column.type, String | Text | JSON):
                yield table, column


def find_mentions(needles: Iterable[str]) -> Iterator[Mention]:
    """Where any of ``needles`` (names, e-mails) still appears, case ignored: every text
    column scanned (String and Text by SQL, JSON read as its values). Search keys (lower
    case, no accents) are derived from other columns: a mention there is the same text."""
    needles = tuple(needles)
    if not needles:
        return
    pattern = _pattern(needles)
    for table, column in text_columns():
        key = table.primary_key.columns.values()[0]
        project = table.columns.get("project_id")
        selected = [key, column] + ([project] if project is not None else [])
        if isinstance(column.type, JSON):
            statement = select(*selected).where(column.is_not(None))
        else:
            if column.name.endswith(("_key", "search_text")):
                continue
            statement = select(*selected).where(_contains(column, needles))
        for row in db.session.execute(statement.execution_options(yield_per=500)):
            if not _found(row[1], pattern):  # SQL found candidates; whole words only
                continue
            yield Mention(table.name, column.name, row[0],
                          row[2] if project is not None else None)


# -- The erasure log outside the database, and the replay after a restore -------------

def log_path() -> str:
    """Where the erasure log is appended (``ERASURE_LOG``, default
    ``<instance>/erasures.jsonl``): kept apart from the database backups (docs/erasure.md)."""
    return current_app.config.get("ERASURE_LOG") or os.path.join(
        current_app.instance_path, "erasures.jsonl")


def _log_entry(record: Erasure) -> dict[str, Any]:
    return {"number": record.id, "kind": record.kind, "user_id": record.user_id,
            "contact_id": record.contact_id, "partner_contact_id": record.partner_contact_id,
            "kept_document_ids": list(record.kept_document_ids or []),
            "erased_at": record.erased_at.isoformat() if record.erased_at else None}


def append_to_log(record: Erasure) -> None:
    """Append ``record`` (ids only) to the erasure log, synced to disk. Called after the
    commit. Raises ``OSError`` when the file cannot be written (the route says so)."""
    path = log_path()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps(_log_entry(record), separators=(",", ":")) + "\n")
        file.flush()
        os.fsync(file.fileno())


def read_log(path: str | None = None) -> list[dict[str, Any]]:
    """The erasure log's entries (an absent file: none). Raises ``ValueError`` on a line
    that is not an entry."""
    path = path or log_path()
    if not os.path.exists(path):
        return []
    entries = []
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                entries.append(_checked_entry(json.loads(line)))
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise ValueError(f"{path}, line {number}: not an erasure entry") from error
    return entries


def _checked_entry(raw: dict[str, Any]) -> dict[str, Any]:
    """A log line's entry with its ids read as bounded whole numbers (``params.parse_int``);
    raises ``ValueError`` for anything else."""
    def whole(value: Any, *, optional: bool = False) -> int | None:
        if value is None and optional:
            return None
        parsed = parse_int(str(value)) if isinstance(value, int | str) else None
        if parsed is None:
            raise ValueError(value)
        return parsed

    kind = raw["kind"]
    if kind not in ("user", "contact", "partner_contact"):
        raise ValueError(kind)
    entry = {"number": whole(raw["number"]), "kind": kind,
             "user_id": whole(raw.get("user_id"), optional=True),
             "contact_id": whole(raw.get("contact_id"), optional=True),
             "partner_contact_id": whole(raw.get("partner_contact_id"), optional=True),
             "kept_document_ids": [whole(v) for v in raw.get("kept_document_ids") or []],
             "erased_at": raw.get("erased_at")}
    if entry[f"{kind}_id"] is None:
        raise ValueError("no id")
    return entry


@dataclass
class ReplayReport:
    """What ``replay`` did: records restored from the log file, persons erased again (their
    numbers), records written back to the log file."""

    restored: list[int] = field(default_factory=list)
    erased_again: list[int] = field(default_factory=list)
    logged: list[int] = field(default_factory=list)
    total: int = 0


def replay(now: datetime | None = None) -> ReplayReport:
    """Apply every recorded erasure again: the database's records and the log file's
    (an entry missing from a restored database is recorded again under its number). A
    person already erased is left as is, so running it twice changes nothing. Flushes;
    the caller commits, then the missing log lines are appended (``report.logged``)."""
    report = ReplayReport()
    known = {record.id: record for record in db.session.scalars(select(Erasure))}
    for entry in read_log():
        number = entry["number"]
        if number in known:
            continue
        record = Erasure(id=number, kind=entry["kind"], user_id=entry.get("user_id"),
                         contact_id=entry.get("contact_id"),
                         partner_contact_id=entry.get("partner_contact_id"),
                         kept_document_ids=list(entry.get("kept_document_ids") or []),
                         erased_at=_parse_time(entry.get("erased_at")) or utcnow())
        db.session.add(record)
        known[number] = record
        report.restored.append(number)
    db.session.flush()
    if report.restored:
        _advance_sequence()
    logged = {e["number"] for e in read_log()}
    report.logged = sorted(n for n in known if n not in logged)
    for number in sorted(known):
        record = known[number]
        person = _target(record)
        if person is None:
            continue
        kept = set(record.kept_document_ids or [])
        outcome = _erase(person, None, kept_document_ids=kept, record=record)
        changed = {k: v for k, v in outcome.counts.items() if v and k != "documents_kept"}
        if changed:
            _keep_mentions(record, outcome)
            record.replayed_at = now or utcnow()
            report.erased_again.append(number)
    report.total = len(known)
    db.session.flush()
    return report


def append_missing_to_log(numbers: Iterable[int]) -> None:
    """Write the records ``numbers`` to the log file (after the replay's commit)."""
    for number in numbers:
        record = db.session.get(Erasure, number)
        if record is not None:
            append_to_log(record)


def _target(record: Erasure) -> Person | None:
    """The person a record names, as the database holds it now (None: not there)."""
    if record.kind == "user":
        user = db.session.get(User, record.user_id)
        return person_for_user(user) if user is not None else None
    if record.kind == "partner_contact":
        partner_contact = db.session.get(PartnerContact, record.partner_contact_id)
        return (person_for_partner_contact(partner_contact) if partner_contact is not None
                else None)
    contact = db.session.get(OrganisationContact, record.contact_id)
    return person_for_contact(contact) if contact is not None else None


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _advance_sequence() -> None:
    """After inserting records under their own numbers, PostgreSQL's id sequence must
    continue after the largest (SQLite takes max(id) + 1 by itself)."""
    session: Session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT setval(pg_get_serial_sequence('erasures', 'id'), "
                             "(SELECT max(id) FROM erasures))"))


def redact_security_log(path: str, person: Person | None = None,
                        number: int | None = None) -> int:
    """Rewrite the security log file ``path`` (JSON lines, ``incubator.security_log``) so
    that the lines about an erased account name its pseudonym: the ``email`` and ``name``
    fields of a line whose ``user_id``, ``target_id`` or ``account_id`` is an erased
    account; with ``person`` (at erasure time, ``number`` its erasure), also any value that
    contains their name or e-mail (a failed login names only the address typed). Returns
    the number of lines changed. Lines that are not JSON stay as they are."""
    erased = {user_id: number for number, user_id in db.session.execute(
        select(Erasure.id, Erasure.user_id).where(Erasure.user_id.is_not(None)))}
    needles = person.needles if person is not None else ()
    pattern = _pattern(needles) if needles else None
    changed = 0
    out: list[str] = []
    with open(path, encoding="utf-8") as file:
        for line in file:
            try:
                entry = json.loads(line)
            except ValueError:
                out.append(line)
                continue
            if pattern is not None and number is not None and _found(entry, pattern):
                entry = _replace(entry, pattern, pseudonym(number))
                out.append(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
                changed += 1
                continue
            number = next((erased[entry[key]] for key in ("user_id", "target_id", "account_id")
                           if isinstance(entry, dict) and entry.get(key) in erased), None)
            if number is not None and any(key in entry for key in ("email", "name")):
                for key in ("email", "name"):
                    if key in entry:
                        entry[key] = (pseudonym(number) if key == "name"
                                      else PLACEHOLDER_EMAIL.format(number=number))
                line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
                changed += 1
            out.append(line)
    temporary = f"{path}.erasing"
    with open(temporary, "w", encoding="utf-8") as file:
        file.writelines(out)
    os.replace(temporary, path)
    return changed
