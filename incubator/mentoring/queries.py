"""Reads of mentoring: the project page's section, the member page's section, the board's
marks and "mentored by" filter choices, one mentorship, and the directory search of the
linking form. The suggestions (a scored, explained ranking) are in ``suggestions``.

Every read costs a fixed number of SQL statements: the mentorships with their organisation
and contact in one query, the hours totals in one aggregate, whatever their number.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, Row, Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import (
    MentoringHours,
    Mentorship,
    Organisation,
    OrganisationContact,
    Project,
    ProjectStatus,
    User,
)
from ..permissions import can_log_hours, visible_projects
from ..text import like_key
from ..timeline import TimelineEntry

SEARCH_SHOWN = 20  # organisations listed by the linking form's directory search
ZERO = Decimal(0)


@dataclass
class MentoringSection:
    """A project's mentorships: current ones (by start), past ones (latest ended first),
    hours per mentorship and in all."""

    current: list[Mentorship]
    past: list[Mentorship]
    hours: dict[int, Decimal] = field(default_factory=dict)  # mentorship id → total hours
    entries: dict[int, int] = field(default_factory=dict)  # mentorship id → hours entries
    loggable: set[int] = field(default_factory=set)  # mentorships the reader may log on

    @property
    def total(self) -> Decimal:
        return sum(self.hours.values(), ZERO)


def _with_people(statement):
    return statement.options(joinedload(Mentorship.organisation),
                             joinedload(Mentorship.contact))


def hours_totals(mentorship_ids: Collection[int]) -> dict[int, tuple[Decimal, int]]:
    """Per mentorship: (total hours, number of entries), in one aggregate."""
    if not mentorship_ids:
        return {}
    rows = db.session.execute(
        select(MentoringHours.mentorship_id, func.sum(MentoringHours.hours), func.count())
        .where(MentoringHours.mentorship_id.in_(list(mentorship_ids)))
        .group_by(MentoringHours.mentorship_id))
    return {mid: (Decimal(total or 0), int(count)) for mid, total, count in rows}


def project_mentoring(user: User, project: Project) -> MentoringSection:
    """The project's mentorships with their hours entries (newest first in the page) and
    totals: two statements."""
    mentorships = list(db.session.scalars(_with_people(
        select(Mentorship).where(Mentorship.project_id == project.id)
        .options(selectinload(Mentorship.hours))
        .order_by(Mentorship.started_on, Mentorship.id))).unique())
    current = [m for m in mentorships if m.is_current]
    past = sorted((m for m in mentorships if not m.is_current),
                  key=lambda m: (m.ended_on, m.id), reverse=True)
    section = MentoringSection(current, past)
    for m in mentorships:
        section.hours[m.id] = sum((entry.hours for entry in m.hours), ZERO)
        section.entries[m.id] = len(m.hours)
    section.loggable = {m.id for m in current if can_log_hours(user, m)}
    return section


def section(user: User, project: Project) -> dict[str, Any]:
    """What the project page's « Parrainages » section shows (its forms are built by the
    page, see ``mentoring.forms.section_forms``)."""
    return {"mentoring": project_mentoring(user, project)}


def timeline_entries(user: User, project: Project) -> list[TimelineEntry]:
    """None of its own: links, ends and hours are ProjectEvents, which the project's own
    history reads (``projects.queries.timeline_entries``)."""
    return []


def mentorship_of(project_id: int, mentorship_id: int) -> Mentorship | None:
    """The mentorship with its organisation and contact, if it belongs to that project."""
    return db.session.scalars(_with_people(select(Mentorship).where(
        Mentorship.id == mentorship_id, Mentorship.project_id == project_id))).one_or_none()


@dataclass
class OrganisationMentoring:
    """The projects an organisation mentors (current and past) and the hours it gave."""

    current: list[Mentorship]
    past: list[Mentorship]
    projects: dict[int, Project]
    hours: dict[int, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.hours.values(), ZERO)


def organisation_mentoring(user: User, organisation: Organisation) -> OrganisationMentoring:
    """For the member page: the organisation's mentorships on the projects ``user`` may see
    (their titles), with the hours of each and in all (the total counts every project: it
    is the organisation's figure). Three statements."""
    mentorships = list(db.session.scalars(
        select(Mentorship)
        .where(Mentorship.organisation_id == organisation.id)
        .order_by(Mentorship.started_on.desc(), Mentorship.id.desc())).unique())
    ids = {m.project_id for m in mentorships}
    projects = {p.id: p for p in db.session.scalars(
        visible_projects(user, select(Project)).where(Project.id.in_(ids)))} if ids else {}
    totals = hours_totals([m.id for m in mentorships])
    result = OrganisationMentoring(
        current=[m for m in mentorships if m.is_current and m.project_id in projects],
        past=[m for m in mentorships if not m.is_current and m.project_id in projects],
        projects=projects)
    result.hours = {mid: total for mid, (total, _count) in totals.items()}
    return result


def mentor_counts(project_ids: Collection[int]) -> dict[int, list[str]]:
    """Per project: the names of the organisations currently mentoring it (the board's
    mark), in one query."""
    if not project_ids:
        return {}
    rows = db.session.execute(current_mentors_statement(project_ids)
                              .order_by(Organisation.name_key))
    names: dict[int, list[str]] = {}
    for project_id, name, _key in rows:
        names.setdefault(project_id, []).append(name)
    return names


def current_mentors_statement(project_ids: Collection[int] | BindParameter) -> Select:
    """``mentor_counts``' query without its order, for a caller that sends it with others
    in one statement (the board's card marks, built once with a bind parameter): rows
    (project id, organisation's name, its sort key ``name_key``), in no particular order."""
    ids = project_ids if isinstance(project_ids, BindParameter) else list(project_ids)
    return (
        select(Mentorship.project_id, Organisation.name, Organisation.name_key)
        .join(Organisation, Organisation.id == Mentorship.organisation_id)
        .where(Mentorship.project_id.in_(ids), Mentorship.ended_on.is_(None)))


def mentoring_organisations() -> list[Row]:
    """The organisations currently mentoring an active project (the board's "mentored by"
    filter), by name: one query, rows of ``id`` and ``name`` (the filter shows nothing else;
    whole rows cost 16 ms at 2,000 mentors on PostgreSQL, and ORM objects more Python than
    plain rows: 1,684 of them at the regional scale, docs/performance.md "Regional scale")."""
    return list(db.session.execute(
        select(Organisation.id, Organisation.name).where(
            Organisation.id.in_(
                select(Mentorship.organisation_id)
                .join(Project, Project.id == Mentorship.project_id)
                .where(Mentorship.ended_on.is_(None),
                       Project.status == ProjectStatus.ACTIVE.value)))
        .order_by(Organisation.name_key, Organisation.id)))


def search_directory(q: str, limit: int = SEARCH_SHOWN) -> list[Organisation]:
    """Organisations of the directory (not archived) whose name, sector, commune or skills
    contain ``q`` (accents and case ignored), by name; the first ``limit``."""
    statement = select(Organisation).where(Organisation.archived_at.is_(None))
    if q:
        statement = statement.where(like_key(Organisation.search_text, q))
    return list(db.session.scalars(
        statement.order_by(Organisation.name_key, Organisation.id).limit(limit)))


def organisation_for_link(organisation_id: int) -> Organisation | None:
    """An organisation of the directory with its contact people (the linking form)."""
    return db.session.scalars(
        select(Organisation).where(Organisation.id == organisation_id)
        .options(selectinload(Organisation.contacts))).one_or_none()


def contact_of(organisation_id: int, contact_id: int) -> OrganisationContact | None:
    """The contact person, if they belong to that organisation."""
    return db.session.scalars(select(OrganisationContact).where(
        OrganisationContact.id == contact_id,
        OrganisationContact.organisation_id == organisation_id)).one_or_none()
