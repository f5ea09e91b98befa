"""The entity exports' reads (docs/exports.md): for each export, its columns and a generator
of its rows, read from the database batch by batch (``yield_per``) so that an export of any
size costs constant memory and a fixed number of statements per batch: the main query, then
one statement per batch for each list it aggregates (holders, mentors, contacts), never one
per row.

What an export holds is the caller's user's (``permissions.exportable_projects``): a manager
exports every project, an advisor the projects they advise. No export holds internal notes:
not the directory's notes, not the supports' comments, not the accompaniment time's notes,
not the projects' notes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import get_timezone, gettext, to_user_timezone
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased

from ..cohorts.queries import in_cohorts
from ..cohorts.queries import is_cohort as is_cohort  # the routes' check
from ..extensions import db
from ..i18n import localized
from ..labels import (
    ACCOMPANIMENT_KIND_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    PARTNER_KIND_LABELS,
    STATUS_LABELS,
    SUPPORT_KIND_LABELS,
    SUPPORT_STATUS_LABELS,
)
from ..members.forms import FAMILY_LABELS
from ..models import (
    AccompanimentTime,
    LegalForm,
    Mentorship,
    Organisation,
    OrganisationContact,
    Partner,
    Project,
    ProjectHolder,
    ProjectStatus,
    Stage,
    StageMove,
    Support,
    Theme,
    User,
)
from ..permissions import can_export_contacts, exportable_projects
from ..reference import is_staff_member, is_theme  # noqa: F401 (the routes' checks)
from ..tables import Column
from ..text import search_key

BATCH = 500  # rows read at a time; each batch costs its main rows plus one statement per list
STATUSES = ("active", "paused", "closed")  # a draft is its holders' until submitted
EXPORTS = ("projects", "moves", "supports", "time", "directory")


@dataclass
class ExportFilters:
    """What the exports are narrowed to (from the URL): a period (local days, both
    included), and for projects their current stage, advisor, theme, commune and status;
    for the directory, whether archived organisations are included."""

    start: date | None = None
    end: date | None = None
    stage: int | None = None
    advisor: int | None = None
    theme: int | None = None
    commune: str = ""
    status: str = ""
    archived: bool = False
    cohort: int | None = None  # projects in this cohort now
    #: What cannot be a filter, by field name ("from", "advisor"…): the message shown by it.
    errors: dict[str, str] = field(default_factory=dict)

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The period as instants: from the start day's midnight in the pole's time zone to
        the midnight after its end day (excluded)."""
        zone = ZoneInfo(str(get_timezone()))  # never a pytz zone (its LMT offsets)

        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(0), tzinfo=zone)

        return (midnight(self.start) if self.start else None,
                midnight(self.end + timedelta(days=1)) if self.end else None)

    def project_conditions(self) -> list:
        """SQL conditions on Project for the project filters (not the period)."""
        conditions: list = [Project.status != ProjectStatus.DRAFT.value]
        if self.stage:
            conditions.append(Project.stage_id == self.stage)
        if self.advisor:
            conditions.append(Project.advisor_id == self.advisor)
        if self.theme:
            conditions.append(Project.theme_id == self.theme)
        if self.commune:
            conditions.append(Project.commune_key == search_key(self.commune))
        if self.status:
            conditions.append(Project.status == self.status)
        if self.cohort:
            conditions.append(in_cohorts([self.cohort]))
        return conditions

    def as_log(self) -> dict[str, Any]:
        """The filters for the security log: ids, days and codes (no personal data)."""
        values = {"start": self.start.isoformat() if self.start else None,
                  "end": self.end.isoformat() if self.end else None,
                  "stage": self.stage, "advisor": self.advisor, "theme": self.theme,
                  "commune": self.commune or None, "status": self.status or None,
                  "archived": self.archived or None, "cohort": self.cohort}
        return {"filters": {key: value for key, value in values.items() if value is not None}}

    def as_args(self) -> dict[str, Any]:
        """The filters as URL parameters (only those set)."""
        args: dict[str, Any] = {}
        for name in ("stage", "advisor", "theme", "cohort"):
            if getattr(self, name):
                args[name] = getattr(self, name)
        if self.start:
            args["from"] = self.start.isoformat()
        if self.end:
            args["to"] = self.end.isoformat()
        if self.commune:
            args["commune"] = self.commune
        if self.status:
            args["status"] = self.status
        if self.archived:
            args["archived"] = "1"
        return args


def is_stage(stage_id: int) -> bool:
    """True for a stage of the pipeline (the stage filter's options)."""
    return db.session.get(Stage, stage_id) is not None


@dataclass
class Export:
    """One export: its columns, its rows (a generator over the database) and its title."""

    key: str
    title: str
    columns: Sequence[Column]
    rows: Iterator[Sequence[Any]]


def _day(value: datetime | None) -> date | None:
    return to_user_timezone(value).date() if value is not None else None


def _label(labels: dict, code: str | None) -> str:
    return str(labels.get(code, code)) if code else ""


def _names(model) -> dict[int, str]:
    """A reference table's names by id, in the reader's language (one statement)."""
    return {item.id: localized(item) for item in db.session.scalars(select(model))}


def _batches(statement: Select) -> Iterator[Sequence[Any]]:
    """The rows of ``statement`` a batch at a time (a server-side cursor where the database
    has one)."""
    result = db.session.execute(statement.execution_options(yield_per=BATCH))
    yield from result.partitions()


def _lists(statement: Select) -> dict[int, list[str]]:
    """(id, text) rows gathered as {id: [text, …]} in the statement's order."""
    found: dict[int, list[str]] = defaultdict(list)
    for key, text in db.session.execute(statement):
        if text:
            found[key].append(text)
    return found


def _joined(items: list[str] | None) -> str:
    return ", ".join(items or [])


def _in_period(column, start, end) -> list:
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


def _day_in_period(column, filters: ExportFilters) -> list:
    conditions = []
    if filters.start:
        conditions.append(column >= filters.start)
    if filters.end:
        conditions.append(column <= filters.end)
    return conditions


# Projects


def _project_columns() -> list[Column]:
    return [
        Column("id", gettext("Number"), "id"),
        Column("title", gettext("Title")),
        Column("status", gettext("Status")),
        Column("stage", gettext("Stage")),
        Column("outcome", gettext("Outcome")),
        Column("created", gettext("Created on"), "date"),
        Column("submitted", gettext("Submitted on"), "date"),
        Column("stage_entered", gettext("In this stage since"), "date"),
        Column("closed", gettext("Closed on"), "date"),
        Column("last_activity", gettext("Last activity"), "date"),
        Column("advisor", gettext("Advisor")),
        Column("holders", gettext("Holders")),
        Column("mentors", gettext("Mentors")),
        Column("theme", gettext("Theme")),
        Column("commune", gettext("Commune")),
        Column("kind", gettext("Individual or collective")),
        Column("legal_form", gettext("Envisaged legal form")),
        Column("jobs_envisaged", gettext("Jobs envisaged (FTE)"), "decimal"),
        Column("jobs_created", gettext("Jobs created (FTE)"), "decimal"),
        Column("funding_need", gettext("Funding need"), "money"),
        Column("supports", gettext("Supports"), "count"),
        Column("granted", gettext("Supports granted or paid"), "money"),
        Column("paid", gettext("Supports paid"), "money"),
    ]


def _support_sum(statuses: tuple[str, ...]):
    return (select(func.coalesce(func.sum(Support.amount_cents), 0))
            .where(Support.project_id == Project.id, Support.status.in_(statuses))
            .correlate(Project).scalar_subquery())


def projects_export(user: User, filters: ExportFilters) -> Export:
    """The projects ``user`` may export that were followed during the period (created
    before its end, not closed before its start), with their stage, dates, outcome,
    advisor, holders, current mentors' organisations and a summary of their supports."""
    start, end = filters.bounds()
    advisor = aliased(User)
    supports_count = (select(func.count(Support.id)).where(Support.project_id == Project.id)
                      .correlate(Project).scalar_subquery())
    conditions = filters.project_conditions()
    if end is not None:
        conditions.append(Project.created_at < end)
    if start is not None:
        conditions.append(or_(Project.closed_at.is_(None), Project.closed_at >= start))
    statement = exportable_projects(user, (
        select(Project.id, Project.title, Project.status, Project.stage_id, Project.outcome,
               Project.created_at, Project.submitted_at, Project.stage_entered_at,
               Project.closed_at, Project.last_activity_at, advisor.name, Project.theme_id,
               Project.commune, Project.kind, Project.legal_form_id, Project.jobs_envisaged,
               Project.jobs_created, Project.funding_need_cents, supports_count,
               _support_sum(("granted", "paid")), _support_sum(("paid",)))
        .outerjoin(advisor, advisor.id == Project.advisor_id)
        .where(*conditions)
        .order_by(Project.id)))

    def rows() -> Iterator[tuple]:
        stages, themes, forms = _names(Stage), _names(Theme), _names(LegalForm)
        for batch in _batches(statement):
            ids = [row[0] for row in batch]
            holders = _lists(
                select(ProjectHolder.project_id, User.name)
                .join(User, User.id == ProjectHolder.user_id)
                .where(ProjectHolder.project_id.in_(ids))
                .order_by(ProjectHolder.project_id, User.name_key, User.id))
            mentors = _lists(
                select(Mentorship.project_id, Organisation.name)
                .join(Organisation, Organisation.id == Mentorship.organisation_id)
                .where(Mentorship.project_id.in_(ids), Mentorship.ended_on.is_(None))
                .order_by(Mentorship.project_id, Organisation.name_key, Organisation.id))
            for (project_id, title, status, stage_id, outcome, created, submitted, entered,
                 closed, last_activity, advisor_name, theme_id, commune, kind, form_id,
                 jobs_envisaged, jobs_created, need, count, granted, paid) in batch:
                yield (project_id, title, _label(STATUS_LABELS, status),
                       stages.get(stage_id, ""), _label(OUTCOME_LABELS, outcome),
                       _day(created), _day(submitted), _day(entered), _day(closed),
                       _day(last_activity), advisor_name or "",
                       _joined(holders.get(project_id)), _joined(mentors.get(project_id)),
                       themes.get(theme_id, ""), commune, _label(KIND_LABELS, kind),
                       forms.get(form_id, ""), jobs_envisaged, jobs_created, need,
                       count, granted, paid)

    return Export("projects", gettext("Projects"), _project_columns(), rows())


# Stage moves


def moves_export(user: User, filters: ExportFilters) -> Export:
    """The stage moves of the period (submissions, moves forward and back) of the projects
    ``user`` may export and the filters keep, oldest first, with their comment (shown to
    the project's holders too, not an internal note)."""
    start, end = filters.bounds()
    mover = aliased(User)
    statement = exportable_projects(user, (
        select(StageMove.id, StageMove.project_id, Project.title, StageMove.moved_at,
               StageMove.from_stage_id, StageMove.to_stage_id, mover.name, StageMove.comment)
        .join(Project, Project.id == StageMove.project_id)
        .outerjoin(mover, mover.id == StageMove.moved_by_id)
        .where(*filters.project_conditions(), *_in_period(StageMove.moved_at, start, end))
        .order_by(StageMove.moved_at, StageMove.id)))
    columns = [
        Column("project_id", gettext("Project number"), "id"),
        Column("project", gettext("Project")),
        Column("moved_on", gettext("Date"), "date"),
        Column("from_stage", gettext("From the stage")),
        Column("to_stage", gettext("To the stage")),
        Column("moved_by", gettext("Moved by")),
        Column("comment", gettext("Comment")),
    ]

    def rows() -> Iterator[tuple]:
        stages = _names(Stage)
        for batch in _batches(statement):
            for (_id, project_id, title, moved_at, from_id, to_id, mover_name,
                 comment) in batch:
                yield (project_id, title, _day(moved_at), stages.get(from_id, ""),
                       stages.get(to_id, ""), mover_name or "", comment or "")

    return Export("moves", gettext("Stage moves"), columns, rows())


# Supports


def supports_export(user: User, filters: ExportFilters) -> Export:
    """The supports of the projects ``user`` may export whose status date falls in the
    period: partner, kind, programme, amount, status. Never their comments (staff's
    internal remarks)."""
    partner_name = func.coalesce(func.nullif(Partner.name, ""), Organisation.name, "")
    statement = exportable_projects(user, (
        select(Support.id, Support.project_id, Project.title, partner_name, Partner.kind,
               Support.kind, Support.programme, Support.amount_cents, Support.status,
               Support.status_on)
        .join(Project, Project.id == Support.project_id)
        .join(Partner, Partner.id == Support.partner_id)
        .outerjoin(Organisation, Organisation.id == Partner.organisation_id)
        .where(*filters.project_conditions(), *_day_in_period(Support.status_on, filters))
        .order_by(Support.status_on, Support.id)))
    columns = [
        Column("project_id", gettext("Project number"), "id"),
        Column("project", gettext("Project")),
        Column("partner", gettext("Partner")),
        Column("partner_kind", gettext("Kind of partner")),
        Column("kind", gettext("Kind of support")),
        Column("programme", gettext("Programme")),
        Column("amount", gettext("Amount"), "money"),
        Column("status", gettext("Status")),
        Column("status_on", gettext("Status date"), "date"),
    ]

    def rows() -> Iterator[tuple]:
        for batch in _batches(statement):
            for (_id, project_id, title, partner, partner_kind, kind, programme, cents,
                 status, status_on) in batch:
                yield (project_id, title, partner, _label(PARTNER_KIND_LABELS, partner_kind),
                       _label(SUPPORT_KIND_LABELS, kind), programme, cents,
                       _label(SUPPORT_STATUS_LABELS, status), status_on)

    return Export("supports", gettext("Supports"), columns, rows())


# Accompaniment time


def time_export(user: User, filters: ExportFilters) -> Export:
    """The accompaniment time spent in the period on the projects ``user`` may export
    (an advisor: the projects they advise), whoever logged it: day, who spent it, the
    project's advisor, kind, minutes and hours. Never its notes.

    Not the figure of the pipeline's load per advisor, which counts the time each person
    logged, on whichever project: the two columns "Time spent by" and "Project's advisor"
    let a reader find either (docs/exports.md)."""
    spent_by, project_advisor = aliased(User), aliased(User)
    statement = exportable_projects(user, (
        select(AccompanimentTime.id, AccompanimentTime.project_id, Project.title,
               AccompanimentTime.spent_on, spent_by.name, project_advisor.name,
               AccompanimentTime.kind, AccompanimentTime.minutes)
        .join(Project, Project.id == AccompanimentTime.project_id)
        .outerjoin(spent_by, spent_by.id == AccompanimentTime.advisor_id)
        .outerjoin(project_advisor, project_advisor.id == Project.advisor_id)
        .where(*filters.project_conditions(),
               *_day_in_period(AccompanimentTime.spent_on, filters))
        .order_by(AccompanimentTime.spent_on, AccompanimentTime.id)))
    columns = [
        Column("project_id", gettext("Project number"), "id"),
        Column("project", gettext("Project")),
        Column("spent_on", gettext("Date"), "date"),
        Column("spent_by", gettext("Time spent by")),
        Column("project_advisor", gettext("Project's advisor")),
        Column("kind", gettext("Kind of contact")),
        Column("minutes", gettext("Duration (minutes)"), "count"),
        Column("hours", gettext("Hours"), "hours"),
    ]

    def rows() -> Iterator[tuple]:
        for batch in _batches(statement):
            for (_id, project_id, title, spent_on, spent_by_name, advisor_name, kind,
                 minutes) in batch:
                hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"))
                yield (project_id, title, spent_on, spent_by_name or "", advisor_name or "",
                       _label(ACCOMPANIMENT_KIND_LABELS, kind), minutes, hours)

    return Export("time", gettext("Accompaniment time"), columns, rows())


# The organisations directory


def directory_export(user: User, filters: ExportFilters) -> Export:
    """The organisations of the directory (archived ones too when asked), with their
    contact people for a manager only. Never the directory's notes. The period does not
    apply (the directory as it is today); the commune filter does."""
    with_contacts = can_export_contacts(user)
    conditions: list = []
    if not filters.archived:
        conditions.append(Organisation.archived_at.is_(None))
    if filters.commune:
        conditions.append(Organisation.commune_key == search_key(filters.commune))
    statement = (
        select(Organisation.id, Organisation.name, Organisation.siret, Organisation.family,
               Organisation.legal_category, Organisation.naf_code, Organisation.sector,
               Organisation.commune, Organisation.commune_insee, Organisation.headcount,
               Organisation.headcount_band, Organisation.employer, Organisation.is_member,
               Organisation.member_since, Organisation.mentoring_capacity,
               Organisation.website, Organisation.archived_at)
        .where(*conditions)
        .order_by(Organisation.name_key, Organisation.id))
    columns = [
        Column("id", gettext("Number"), "id"),
        Column("name", gettext("Name")),
        Column("siret", gettext("SIRET")),
        Column("family", gettext("Family")),
        Column("legal_category", gettext("INSEE legal category")),
        Column("naf_code", gettext("NAF code")),
        Column("sector", gettext("Sector")),
        Column("commune", gettext("Commune")),
        Column("commune_insee", gettext("INSEE code of the commune")),
        Column("headcount", gettext("Headcount"), "count"),
        Column("headcount_band", gettext("INSEE headcount band")),
        Column("employer", gettext("Employer")),
        Column("member", gettext("Member of the pole")),
        Column("member_since", gettext("Member since")),
        Column("mentoring_capacity", gettext("Mentoring capacity"), "count"),
        Column("website", gettext("Website")),
        Column("archived", gettext("Archived on"), "date"),
    ]
    if with_contacts:
        columns += [Column("contacts", gettext("Contact people")),
                    Column("emails", gettext("E-mail addresses")),
                    Column("phones", gettext("Phones"))]
    yes, no = gettext("Yes"), gettext("No")

    def contacts_of(ids: list[int]) -> list[dict[int, list[str]]]:
        """Names, e-mail addresses and phones of the batch's contact people (one
        statement)."""
        found: list[dict[int, list[str]]] = [defaultdict(list) for _ in range(3)]
        for organisation_id, *values in db.session.execute(
                select(OrganisationContact.organisation_id, OrganisationContact.name,
                       OrganisationContact.email, OrganisationContact.phone)
                .where(OrganisationContact.organisation_id.in_(ids))
                .order_by(OrganisationContact.organisation_id, OrganisationContact.id)):
            for lists, value in zip(found, values, strict=True):
                if value:
                    lists[organisation_id].append(value)
        return found

    def rows() -> Iterator[tuple]:
        for batch in _batches(statement):
            contacts: list[dict[int, list[str]]] = []
            if with_contacts:
                contacts = contacts_of([row[0] for row in batch])
            for (organisation_id, name, siret, family, legal_category, naf_code, sector,
                 commune, commune_insee, headcount, band, employer, member, since,
                 capacity, website, archived_at) in batch:
                row = (organisation_id, name, siret, _label(FAMILY_LABELS, family),
                       legal_category, naf_code, sector, commune, commune_insee, headcount,
                       band, yes if employer else no, yes if member else no,
                       str(since) if since else "", capacity, website, _day(archived_at))
                if with_contacts:
                    row += tuple(_joined(found.get(organisation_id)) for found in contacts)
                yield row

    return Export("directory", gettext("Organisations directory"), columns, rows())


BUILDERS: dict[str, Callable[[User, ExportFilters], Export]] = {
    "projects": projects_export,
    "moves": moves_export,
    "supports": supports_export,
    "time": time_export,
    "directory": directory_export,
}

