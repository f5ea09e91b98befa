"""Writes of mentoring: link an organisation to a project as mentor, end the link, log the
volunteer hours given, and import the communes reference.

Each change is recorded on the project's timeline as a ``ProjectEvent`` (append-only; its
``detail`` keeps the organisation's name and the figures as they were: kinds
``mentor_linked``, ``mentorship_ended``, ``hours_logged``) and tells the project's advisor
(``notifications.services.mentoring_changed``, never the actor themself). Services flush,
never commit; they refuse with ``MentoringError`` (a message for the user) what the rules of
docs/members.md forbid, before writing anything.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..i18n import date_long, de, pole_today
from ..models import (
    Commune,
    MentoringHours,
    Mentorship,
    MentorshipRole,
    Organisation,
    OrganisationContact,
    Project,
    ProjectEvent,
    User,
    utcnow,
)
from ..notifications.services import mentoring_changed
from ..numbers import local_number
from ..text import search_key
from ..versions import save_version

MAX_HOURS = Decimal(24)  # hours given on one day (the column's check)


class MentoringError(ValueError):
    """A mentoring change the rules refuse; ``str()`` is the message for the user."""


def _event(project: Project, kind: str, actor: User | None, at: datetime | None = None,
           *, organisation_id: int | None = None, **detail) -> ProjectEvent:
    """The event on the project's timeline; ``organisation_id`` (the mentoring
    organisation) lists it on the member page too."""
    event = ProjectEvent(project_id=project.id, kind=kind,
                         actor_id=actor.id if actor else None, detail=detail,
                         organisation_id=organisation_id, at=at or utcnow())
    db.session.add(event)
    return event


def _touch(project: Project, now: datetime) -> None:
    """Activity on the project (its "stalled" mark clears); never moved back in time (demo
    data is back-dated)."""
    if project.last_activity_at is None or project.last_activity_at < now:
        project.last_activity_at = now


def _organisation_name(mentorship: Mentorship) -> str:
    # From the identity map when the route loaded it (no SQL), else one read.
    return db.session.get(Organisation, mentorship.organisation_id).name


def current_of(project_id: int, organisation_id: int) -> Mentorship | None:
    """The current mentorship of that organisation on that project, if any."""
    return db.session.scalars(select(Mentorship).where(
        Mentorship.project_id == project_id, Mentorship.organisation_id == organisation_id,
        Mentorship.ended_on.is_(None))).first()


def link_mentor(actor: User | None, project: Project, organisation: Organisation, *,
                role: str, contact: OrganisationContact | None, started_on: date,
                now: datetime | None = None) -> Mentorship:
    """``organisation`` mentors ``project`` from ``started_on`` with ``role`` (a
    MentorshipRole value) through ``contact`` (one of its contact people, or None).
    ``now`` back-dates the record (demo data only).

    Raises MentoringError: the organisation is archived, the contact belongs to another
    organisation, the role is unknown, or the organisation already mentors the project
    (a current mentorship: end it first)."""
    if role not in {r.value for r in MentorshipRole}:
        raise MentoringError(_("Choose a role."))
    if organisation.is_archived:
        raise MentoringError(_("%(name)s is archived: bring it back into the directory "
                               "first.", name=organisation.name))
    if contact is not None and contact.organisation_id != organisation.id:
        raise MentoringError(_("Choose a contact person %(of_name)s.",
                               of_name=de(organisation.name)))
    if current_of(project.id, organisation.id) is not None:
        raise MentoringError(_("%(name)s already mentors this project.",
                               name=organisation.name))
    now = now or utcnow()
    mentorship = Mentorship(project_id=project.id, organisation_id=organisation.id, role=role,
                            contact_id=contact.id if contact else None, started_on=started_on,
                            created_by_id=actor.id if actor else None, created_at=now,
                            updated_at=now)
    try:
        # The partial unique index decides between two links made at the same moment.
        with db.session.begin_nested():
            db.session.add(mentorship)
    except IntegrityError:
        raise MentoringError(_("%(name)s already mentors this project.",
                               name=organisation.name)) from None
    _touch(project, now)
    _event(project, "mentor_linked", actor, now, organisation_id=organisation.id,
           organisation=organisation.name, role=role,
           started_on=started_on.isoformat())
    db.session.flush()
    mentoring_changed(project, actor, "linked", organisation=organisation.name)
    return mentorship


def end_mentorship(actor: User | None, project: Project, mentorship: Mentorship,
                   ended_on: date, seen_version: int | None,
                   now: datetime | None = None) -> None:
    """End ``mentorship`` on ``ended_on`` (the mentor account of its contact loses access
    to the project), if it is still at ``seen_version``.

    Raises MentoringError (already ended, ``ended_on`` before it started, or after today in
    the pole's time zone: ending takes the access away at once, so a later date would record
    an end that has not happened) or versions.StaleVersion (changed or ended by someone
    else since)."""
    if not mentorship.is_current:
        raise MentoringError(_("This mentorship has already ended."))
    if ended_on < mentorship.started_on:
        raise MentoringError(_("The end date cannot be before the start (%(date)s).",
                               date=date_long(mentorship.started_on)))
    now = now or utcnow()
    if ended_on > pole_today(now):
        raise MentoringError(_("The end date cannot be in the future: end the mentorship on "
                               "the day it ends."))
    save_version(mentorship, seen_version, where=(Mentorship.ended_on.is_(None),),
                 ended_on=ended_on, updated_at=now)
    _touch(project, now)
    name = _organisation_name(mentorship)
    _event(project, "mentorship_ended", actor, now, organisation_id=mentorship.organisation_id,
           organisation=name, role=mentorship.role,
           ended_on=ended_on.isoformat())
    db.session.flush()
    mentoring_changed(project, actor, "ended", organisation=name)


def change_mentorship(actor: User | None, project: Project, mentorship: Mentorship, *,
                      role: str, contact: OrganisationContact | None, started_on: date,
                      seen_version: int | None) -> list[str]:
    """Change a mentorship's role, contact person or start date, if it is still at
    ``seen_version``; recorded (the fields changed) and told to the advisor. Returns the
    names of the fields changed (none: nothing written).

    Raises MentoringError (unknown role, a contact of another organisation, a start after
    its end or after hours were given) or versions.StaleVersion (changed since)."""
    if role not in {r.value for r in MentorshipRole}:
        raise MentoringError(_("Choose a role."))
    name = _organisation_name(mentorship)
    if contact is not None and contact.organisation_id != mentorship.organisation_id:
        raise MentoringError(_("Choose a contact person %(of_name)s.", of_name=de(name)))
    if mentorship.ended_on is not None and started_on > mentorship.ended_on:
        raise MentoringError(_("The start cannot be after the end (%(date)s).",
                               date=date_long(mentorship.ended_on)))
    first_hours = db.session.scalar(select(func.min(MentoringHours.worked_on)).where(
        MentoringHours.mentorship_id == mentorship.id))
    if first_hours is not None and started_on > first_hours:
        raise MentoringError(_("Hours were given on %(date)s: the start cannot be later.",
                               date=date_long(first_hours)))
    values = {"role": role, "contact_id": contact.id if contact else None,
              "started_on": started_on}
    changed = [field for field, value in values.items() if getattr(mentorship, field) != value]
    if not changed:
        return []
    now = utcnow()
    save_version(mentorship, seen_version, updated_at=now, **values)
    _touch(project, now)
    _event(project, "mentorship_changed", actor, now, organisation_id=mentorship.organisation_id,
           organisation=name, role=role,
           started_on=started_on.isoformat(),
           contact_changed="contact_id" in changed)
    db.session.flush()
    mentoring_changed(project, actor, "changed", organisation=name)
    return changed


def log_hours(actor: User | None, mentorship: Mentorship, worked_on: date, hours: Decimal,
              note: str = "", *, project: Project | None = None,
              now: datetime | None = None) -> MentoringHours:
    """Record ``hours`` (decimal hours, 0 < hours ≤ 24) given on ``worked_on`` for
    ``mentorship``, with an optional ``note``. ``project`` is the mentorship's project when
    already loaded (else read). The permission (``permissions.can_log_hours``) is the
    route's.

    Raises MentoringError: hours out of (0, 24], or more than 24 with the hours already
    logged on that day for the mentorship, a day before the mentorship started or after it
    ended, or a day after today in the pole's time zone (``pole_today``)."""
    if hours is None or hours <= 0 or hours > MAX_HOURS:
        raise MentoringError(_("Enter between 0 and 24 hours, for example 1,5."))
    now = now or utcnow()
    if worked_on < mentorship.started_on:
        raise MentoringError(_("The mentorship started on %(date)s: choose a day from then.",
                               date=date_long(mentorship.started_on)))
    if mentorship.ended_on is not None and worked_on > mentorship.ended_on:
        raise MentoringError(_("The mentorship ended on %(date)s: choose a day until then.",
                               date=date_long(mentorship.ended_on)))
    if worked_on > pole_today(now):
        raise MentoringError(_("Hours are logged once given: choose a day until today."))
    logged = db.session.scalar(select(func.coalesce(func.sum(MentoringHours.hours), 0)).where(
        MentoringHours.mentorship_id == mentorship.id, MentoringHours.worked_on == worked_on))
    logged = Decimal(logged or 0)
    if logged + hours > MAX_HOURS:
        raise MentoringError(_("%(hours)s h are already logged on %(date)s for this mentorship: "
                               "%(left)s h at most.", hours=local_number(logged),
                               date=date_long(worked_on),
                               left=local_number(MAX_HOURS - logged)))
    entry = MentoringHours(mentorship_id=mentorship.id, worked_on=worked_on, hours=hours,
                           note=note, logged_by_id=actor.id if actor else None, logged_at=now)
    db.session.add(entry)
    project = project or db.session.get(Project, mentorship.project_id)
    _touch(project, now)
    name = _organisation_name(mentorship)
    _event(project, "hours_logged", actor, now, organisation_id=mentorship.organisation_id,
           organisation=name, hours=format(hours.normalize(), "f"),
           worked_on=worked_on.isoformat())
    db.session.flush()
    mentoring_changed(project, actor, "hours", organisation=name, hours=format(hours.normalize(), "f"))
    return entry


# The communes reference ---------------------------------------------------------------

#: Columns of a communes file: those of the geo.api.gouv.fr CSV export
#: (``/communes?fields=code,nom,codesPostaux,codeEpci,epci,centre&format=csv``, flattened)
#: and of the INSEE COG, each with the names it may go by.
COMMUNE_COLUMNS = {
    "insee_code": ("code", "code_insee", "codgeo", "com", "insee_code", "code_commune_insee"),
    "name": ("nom", "libelle", "name", "nom_commune", "nom_de_la_commune"),
    "postcodes": ("codespostaux", "codes_postaux", "code_postal", "postcodes", "codepostal"),
    "epci_code": ("codeepci", "code_epci", "epci_code", "siren_epci"),
    "epci_name": ("epci", "nom_epci", "epci_nom", "epci_name", "libepci"),
    "latitude": ("latitude", "lat", "centre_lat"),
    "longitude": ("longitude", "lon", "lng", "centre_lon"),
}


class CommunesFileError(ValueError):
    """A communes file that cannot be read (missing columns); ``str()`` says which."""


def _header_key(name: str) -> str:
    return search_key(name).replace(" ", "").replace("-", "").replace(".", "_")


def read_communes(lines: Iterable[str]) -> list[dict]:
    """The communes of a CSV file (comma or semicolon), as dicts of Commune's columns.
    Rows without a 5-character code or a name are skipped; a bad coordinate is left empty.

    Raises CommunesFileError when the code or name column is missing."""
    lines = list(lines)
    sample = "".join(lines[:5])
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = next(reader, None) or []
    keys = [_header_key(h.lstrip("\ufeff")) for h in header]
    where: dict[str, int] = {}
    for field, names in COMMUNE_COLUMNS.items():
        wanted = {n.replace("_", "") for n in names}
        for index, key in enumerate(keys):
            if key.replace("_", "") in wanted:
                where[field] = index
                break
    missing = [f for f in ("insee_code", "name") if f not in where]
    if missing:
        raise CommunesFileError(", ".join(missing))
    rows = []
    for cells in reader:
        def cell(field: str, cells: list[str] = cells) -> str:
            index = where.get(field)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        code, name = cell("insee_code").upper(), cell("name")
        if len(code) != 5 or not name:
            continue
        row = {"insee_code": code, "name": name[:100],
               "postcodes": " ".join(cell("postcodes").replace(",", " ").replace("|", " ")
                                     .split())[:60],
               "epci_code": cell("epci_code")[:9], "epci_name": cell("epci_name")[:150]}
        for axis in ("latitude", "longitude"):
            try:
                row[axis] = float(cell(axis).replace(",", "."))
            except ValueError:
                row[axis] = None
        rows.append(row)
    return rows


def import_communes(rows: list[dict]) -> tuple[int, int]:
    """Add or update the communes ``rows`` (from ``read_communes``), matched by INSEE
    code, in two statements and the writes. Returns (created, updated)."""
    codes = [row["insee_code"] for row in rows]
    known = {c.insee_code: c for c in db.session.scalars(
        select(Commune).where(Commune.insee_code.in_(codes)))} if codes else {}
    created = updated = 0
    for row in rows:
        commune = known.get(row["insee_code"])
        if commune is None:
            commune = Commune(**row)
            db.session.add(commune)
            known[row["insee_code"]] = commune
            created += 1
        elif any(getattr(commune, name) != value for name, value in row.items()):
            for name, value in row.items():
                setattr(commune, name, value)
            updated += 1
    db.session.flush()
    return created, updated
