"""Reads of the funders' report: each section a ``tables.Table`` built from one or two SQL
aggregations over the history tables (stage moves, status changes, support status changes,
referrals, hours, sittings, meetings, accompaniment time), never from rows counted in
Python. A year is the pole's calendar year: from 1 January 00:00 to 31 December 24:00 in
the pole's time zone for moments (moves, closings, meetings), the days of the year for
dated rows (supports, referrals, hours, sittings, time). The rules are written in
docs/report.md and, for each table, in its ``definition``.

The whole report costs a fixed number of statements, whatever the size of the history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import (
    Boolean,
    Integer,
    String,
    Subquery,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from ..analytics import analytic_statements
from ..extensions import db
from ..i18n import localized, pole_today
from ..labels import (
    ACCOMPANIMENT_KIND_LABELS,
    COMMITTEE_DECISION_LABELS,
    GROUP_KIND_LABELS,
    OUTCOME_LABELS,
    PARTNER_KIND_LABELS,
    SUPPORT_KIND_LABELS,
)
from ..models import (
    AccompanimentKind,
    AccompanimentTime,
    CommitteeDecision,
    CommitteeReview,
    CommitteeSitting,
    GroupMeeting,
    LegalForm,
    MeetingAttendance,
    MentoringHours,
    Mentorship,
    Organisation,
    Partner,
    PartnerKind,
    Project,
    Referral,
    Stage,
    StageMove,
    StatusChange,
    SupportKind,
    SupportStatusChange,
    Theme,
    WorkingGroup,
)
from ..models.types import UTCDateTime, utcnow
from ..partners.queries import yearly_steps
from ..pole import pole_time_zone
from ..tables import Column, Link, Table
from ..text import sort_key

FIRST_YEAR = 2000  # the earliest year the report is asked for (the address is refused before)


@dataclass(frozen=True)
class Period:
    """A calendar year of the pole: its days (``first_day`` included, ``next_day`` not) and
    the same bounds as aware UTC moments of the pole's midnights."""

    year: int
    first_day: date
    next_day: date
    start: datetime
    end: datetime

    @property
    def last_day(self) -> date:
        return date(self.year, 12, 31)


def period(year: int) -> Period:
    """The year ``year`` in the pole's time zone (/admin/pole, else the configuration)."""
    zone = ZoneInfo(pole_time_zone())
    first, following = date(year, 1, 1), date(year + 1, 1, 1)

    def midnight(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)

    return Period(year, first, following, midnight(first), midnight(following))


def _at(moment: datetime):
    """A moment as a bound parameter of the UTC columns' type (stored naive UTC)."""
    return literal(moment, UTCDateTime())


def _in_days(column, span: Period):
    return and_(column >= span.first_day, column < span.next_day)


def _in_moments(column, span: Period):
    return and_(column >= _at(span.start), column < _at(span.end))


def _hours(minutes: int | None) -> Decimal | None:
    """Minutes summed in SQL as hours, to the hundredth."""
    if minutes is None:
        return None
    return (Decimal(int(minutes)) / 60).quantize(Decimal("0.01"))


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _total(values) -> int | Decimal | None:
    present = [value for value in values if value is not None]
    return sum(present) if present else None


def _project_link(project_id: int, title: str) -> Link:
    return Link(title, url_for("projects.show", project_id=project_id))


def years_available() -> list[int]:
    """The years the selector offers, newest first: from the year of the first submission
    (the current year when there is none) to the current year (one statement)."""
    this_year = pole_today().year
    first = db.session.scalar(select(func.min(StageMove.moved_at)))
    start = max(FIRST_YEAR, min(first.year, this_year) if first else this_year)
    return list(range(this_year, start - 1, -1))


# The per-project lists show their first rows on the page, every row in the exports
# (docs/performance.md: thousands of rows cost seconds to render).
LIST_SHOWN = 50


# Projects: stays in stages, exits ---------------------------------------------------------


def _stage_then(change=StatusChange):
    """The stage of the project's last move at or before ``change`` (a reopening: the
    project comes back to the stage it was in), correlated."""
    last_move = aliased(StageMove)
    return (select(last_move.to_stage_id)
            .where(last_move.project_id == change.project_id,
                   last_move.moved_at <= change.changed_at)
            .order_by(last_move.moved_at.desc(), last_move.id.desc())
            .limit(1).correlate(change).scalar_subquery())


def _in_stage_at(moment: datetime, *, inclusive: bool):
    """The projects active in a stage at ``moment``, with that stage (columns project_id,
    stage_id): the stay that covers it (a move at or before it, ``inclusive``, else before
    it, whose ``left_at`` is after it or empty) is the stage, and their last change of
    status then, if any, is no pause or closing (a reopening). The stays come from a range
    scan of ``ix_stage_moves_left_at``; the status from a grouped maximum of the (project,
    moment) index: the cost grows with the projects, not with the length of the history."""
    def before(column):
        return column <= _at(moment) if inclusive else column < _at(moment)

    left_after = StageMove.left_at > _at(moment) if inclusive \
        else StageMove.left_at >= _at(moment)
    last_change = (select(StatusChange.project_id,
                          func.max(StatusChange.changed_at).label("at"))
                   .where(before(StatusChange.changed_at)).group_by(StatusChange.project_id)
                   .subquery("last_change"))
    change = aliased(StatusChange)
    return (select(StageMove.project_id.label("project_id"),
                   StageMove.to_stage_id.label("stage_id"))
            .outerjoin(last_change, last_change.c.project_id == StageMove.project_id)
            .outerjoin(change, and_(change.project_id == last_change.c.project_id,
                                    change.changed_at == last_change.c.at))
            .where(before(StageMove.moved_at),
                   or_(StageMove.left_at.is_(None), left_after),
                   or_(last_change.c.project_id.is_(None), change.to_status == "active")))


def _accompanied(span: Period):
    """The (project, stage) pairs of the year: a project was accompanied in a stage during
    the year when it was active there at the year's first instant, or moved into it (or
    was reopened in it) during the year. Columns: project_id, stage_id, is_move (1 for a
    move into the stage during the year)."""
    at_start = _in_stage_at(span.start, inclusive=True).add_columns(literal(0).label("is_move"))
    moves = (select(StageMove.project_id, StageMove.to_stage_id, literal(1))
             .where(_in_moments(StageMove.moved_at, span)))
    reopenings = (select(StatusChange.project_id, _stage_then(), literal(0))
                  .where(StatusChange.to_status == "active",
                         _in_moments(StatusChange.changed_at, span)))
    return union_all(at_start, moves, reopenings).cte("accompanied")


def _exits(span: Period) -> Subquery:
    """The projects whose last status change of the year is a closing, with its outcome,
    reason and moment: the year's exits (closed, then reopened within the year: not an
    exit; reopened in a later year: still this year's exit, so a year's report does not
    change afterwards). Columns: project_id, outcome, reason, at."""
    ranked = (select(StatusChange.project_id, StatusChange.to_status, StatusChange.outcome,
                     StatusChange.reason, StatusChange.changed_at.label("at"),
                     func.row_number().over(
                         partition_by=StatusChange.project_id,
                         order_by=(StatusChange.changed_at.desc(), StatusChange.id.desc())
                     ).label("rank"))
              .where(_in_moments(StatusChange.changed_at, span)).subquery("ranked"))
    return (select(ranked.c.project_id, ranked.c.outcome, ranked.c.reason, ranked.c.at)
            .where(ranked.c.rank == 1, ranked.c.to_status == "closed").subquery("exits"))


@dataclass(frozen=True)
class _Named:
    """A reference row's names, for ``i18n.localized``."""

    name: str | None
    name_en: str | None


def ideas(span: Period) -> Table:
    """Ideas received: projects submitted during the year, by theme."""
    submitted = (select(StageMove.project_id)
                 .where(StageMove.from_stage_id.is_(None),
                        _in_moments(StageMove.moved_at, span)).subquery())
    rows = db.session.execute(
        select(Theme.name, Theme.name_en, func.count(func.distinct(submitted.c.project_id)))
        .select_from(submitted).join(Project, Project.id == submitted.c.project_id)
        .outerjoin(Theme, Theme.id == Project.theme_id)
        .group_by(Theme.id, Theme.name, Theme.name_en, Theme.position)
        .order_by(Theme.position.is_(None), Theme.position)).all()
    table_rows = [(localized(_Named(name, name_en)) if name is not None else _("No theme"),
                   count) for name, name_en, count in rows]
    return Table(
        "ideas", _("Ideas received"),
        [Column("theme", _("Theme")), Column("ideas", _("Ideas"), "count")],
        table_rows, footer=(_("Total"), _total(r[1] for r in table_rows)) if rows else None,
        definition=_("Projects submitted between 1 January and 31 December (their entry into "
                     "the first stage), by their theme today. Drafts never submitted are "
                     "not counted."),
        empty=_("No idea was submitted this year."))


def stages(span: Period) -> Table:
    """Projects accompanied per stage: in the stage at some time during the year."""
    in_year = _accompanied(span)  # a CTE, read once for the stages and the total
    entered = case((in_year.c.is_move == 1, in_year.c.project_id))
    per_stage = (select(Stage.position, Stage.id, Stage.name, Stage.name_en, Stage.active,
                        func.count(func.distinct(in_year.c.project_id)),
                        func.count(func.distinct(entered)))
                 .select_from(Stage).outerjoin(in_year, in_year.c.stage_id == Stage.id)
                 .group_by(Stage.id, Stage.name, Stage.name_en, Stage.active, Stage.position))
    everyone = (select(literal(None, Integer), literal(None, Integer), literal(None, String),
                       literal(None, String), literal(None, Boolean),
                       func.count(func.distinct(in_year.c.project_id)), literal(0))
                .where(in_year.c.stage_id.is_not(None)))
    found = db.session.execute(union_all(per_stage, everyone)).all()
    total = next(row[5] for row in found if row[1] is None)
    rows = sorted((row[:2], row[2:]) for row in found if row[1] is not None)
    rows = [row for _order, row in rows]
    table_rows = [(localized(_Named(name, name_en)), count, new)
                  for name, name_en, active, count, new in rows if active or count]
    return Table(
        "stages", _("Projects accompanied per stage"),
        [Column("stage", _("Stage")), Column("projects", _("Projects accompanied"), "count"),
         Column("entered", _("Of which entered the stage this year"), "count")],
        table_rows, footer=(_("All stages (each project once)"), total, None),
        definition=_("A project counts in a stage when it was there, active, at some time "
                     "during the year: from its move into the stage (or its reopening) to "
                     "its next move, pause or closing. A project that went through several "
                     "stages counts in each, once in the total. Paused time is not "
                     "accompanied time."),
        empty=_("No project was accompanied this year."))


def outcomes(span: Period) -> Table:
    """Exits of the year by outcome."""
    exits = _exits(span)
    counts = dict(db.session.execute(
        select(exits.c.outcome, func.count()).group_by(exits.c.outcome)).all())
    table_rows = [(OUTCOME_LABELS[outcome], counts.get(outcome, 0))
                  for outcome in OUTCOME_LABELS]
    return Table(
        "outcomes", _("Projects closed, by outcome"),
        [Column("outcome", _("Outcome")), Column("projects", _("Projects"), "count")],
        table_rows, footer=(_("Total"), sum(counts.values())),
        definition=_("Projects whose last change of status in the year is a closing, by "
                     "its outcome. A project closed and reopened within the year is not "
                     "counted; one reopened in a later year stays counted this year."))


def launches(span: Period) -> Table:
    """Launched projects by legal form."""
    exits = _exits(span)
    rows = db.session.execute(
        select(LegalForm.name, LegalForm.name_en, func.count())
        .select_from(exits).join(Project, Project.id == exits.c.project_id)
        .outerjoin(LegalForm, LegalForm.id == Project.legal_form_id)
        .where(exits.c.outcome == "launched")
        .group_by(LegalForm.id, LegalForm.name, LegalForm.name_en, LegalForm.position)
        .order_by(LegalForm.position.is_(None), LegalForm.position)).all()
    table_rows = [(localized(_Named(name, name_en)) if name is not None
                   else _("Legal form not recorded"), count) for name, name_en, count in rows]
    return Table(
        "launches", _("Launches by legal form"),
        [Column("legal_form", _("Legal form")), Column("projects", _("Projects"), "count")],
        table_rows, footer=(_("Total"), _total(r[1] for r in table_rows)) if rows else None,
        definition=_("Projects closed as launched during the year (as in the table of "
                     "outcomes), by the legal form recorded on the project."),
        empty=_("No project was launched this year."))


def referrals(span: Period) -> Table:
    """Outgoing referrals of the year, per body."""
    name = func.coalesce(Organisation.name, Partner.name)
    rows = db.session.execute(
        select(name, Partner.kind, func.count(Referral.id),
               func.count(func.distinct(Referral.project_id)))
        .select_from(Referral).join(Partner, Partner.id == Referral.partner_id)
        .outerjoin(Organisation, Organisation.id == Partner.organisation_id)
        .where(Referral.direction == "outgoing", _in_days(Referral.referred_on, span))
        .group_by(Partner.id, name, Partner.kind,
                  func.coalesce(Organisation.name_key, Partner.name_key))
        .order_by(func.count(Referral.id).desc(),
                  func.coalesce(Organisation.name_key, Partner.name_key))).all()
    table_rows = [(body, PARTNER_KIND_LABELS.get(kind, kind), count, projects)
                  for body, kind, count, projects in rows]
    return Table(
        "referrals", _("Redirections, by body"),
        [Column("body", _("Referred to")), Column("kind", _("Kind of body")),
         Column("referrals", _("Referrals"), "count"),
         Column("projects", _("Projects"), "count")],
        table_rows,
        footer=(_("Total"), "", _total(r[2] for r in table_rows), None) if rows else None,
        definition=_("Referrals of a project to another support body dated in the year "
                     "(referrals received from a body are not counted), whatever their "
                     "outcome. A body named when closing a project is counted like the "
                     "partners of the directory."),
        empty=_("No project was referred to another body this year."))


def abandonments(span: Period) -> Table:
    """Projects abandoned in the year with the reason given when closing."""
    exits = _exits(span)
    rows = db.session.execute(
        select(Project.id, Project.title, exits.c.at, exits.c.reason)
        .select_from(exits).join(Project, Project.id == exits.c.project_id)
        .where(exits.c.outcome == "abandoned")
        .order_by(exits.c.at, Project.id)).all()
    table_rows = [(_project_link(project_id, title), pole_today(at), reason or "")
                  for project_id, title, at, reason in rows]
    return Table(
        "abandonments", _("Abandonments and why"),
        [Column("project", _("Project")), Column("closed_on", _("Closed on"), "date"),
         Column("reason", _("Reason"))],
        table_rows,
        definition=_("Projects closed as abandoned during the year (as in the table of "
                     "outcomes), with the reason written when closing. In the order of "
                     "their closing; the page shows the first ones (a line says how many "
                     "more), the XLSX workbook and the table's export all of them."),
        shown=LIST_SHOWN,
        empty=_("No project was abandoned this year."))


def jobs(span: Period) -> Table:
    """Jobs (FTE) envisaged by the projects in the pipeline at the end of the year, and
    created by the projects launched in the year."""
    moment = min(span.end, utcnow())
    at_end = _in_stage_at(moment, inclusive=False).subquery("at_end")
    in_pipeline = (select(func.distinct(at_end.c.project_id).label("project_id"))
                   .subquery("in_pipeline"))
    envisaged = db.session.execute(
        select(func.sum(Project.jobs_envisaged), func.count(),
               func.count(case((Project.jobs_envisaged.is_(None), 1))))
        .select_from(in_pipeline).join(Project, Project.id == in_pipeline.c.project_id)).one()
    exits = _exits(span)
    created = db.session.execute(
        select(func.sum(Project.jobs_created), func.count(),
               func.count(case((Project.jobs_created.is_(None), 1))))
        .select_from(exits).join(Project, Project.id == exits.c.project_id)
        .where(exits.c.outcome == "launched")).one()
    return Table(
        "jobs", _("Jobs (full-time equivalent)"),
        [Column("what", _("Jobs")), Column("fte", _("FTE"), "decimal"),
         Column("projects", _("Projects"), "count"),
         Column("without", _("Projects without a figure"), "count")],
        [(_("Envisaged by the projects being accompanied at the end of the year"),
          _decimal(envisaged[0]), envisaged[1], envisaged[2]),
         (_("Created or consolidated by the projects launched during the year"),
          _decimal(created[0]), created[1], created[2])],
        definition=_("Envisaged: the jobs each project plans, summed over the projects "
                     "active in a stage on 31 December at midnight (today for the current "
                     "year). Created: the jobs recorded on each project closed as launched "
                     "during the year. Projects without a figure are counted apart, never "
                     "as zero."))


# Supports -------------------------------------------------------------------------------


def _support_steps(span: Period) -> Subquery:
    steps = yearly_steps(_in_days(SupportStatusChange.changed_on, span))
    return select(steps).where(steps.c.rank == 1).subquery("steps")


def _support_columns(first: Column) -> list[Column]:
    return [first, Column("requests", _("Requests"), "count"),
            Column("requested", _("Requested"), "money"),
            Column("grants", _("Grants"), "count"),
            Column("granted", _("Granted"), "money"),
            Column("paid", _("Paid"), "money")]


def _support_figures(steps: Subquery) -> list:
    def amount(status: str):
        return func.sum(case((steps.c.status == status, steps.c.cents)))

    def number(status: str):
        return func.count(case((steps.c.status == status, 1)))

    return [number("requested"), amount("requested"), number("granted"), amount("granted"),
            amount("paid")]


def _support_rule() -> str:
    return _("A support counts in the year its status reached a step (requested, granted, "
             "paid), with its amount at that step; changed twice to the same step in a "
             "year, it counts once, with the latest amount. Supports without an amount "
             "(premises, expertise…) are counted, not summed.")


def _support_table(key: str, title: str, first: Column, rows: list[tuple],
                   definition: str) -> Table:
    footer = None
    if rows:
        footer = (_("Total"), *(_total(row[index] for row in rows) for index in range(1, 6)))
    return Table(key, title, _support_columns(first), rows, footer=footer,
                 definition=definition,
                 empty=_("No support was requested, granted or paid this year."))


def supports_by_partner(span: Period) -> Table:
    steps = _support_steps(span)
    name = func.coalesce(Organisation.name, Partner.name)
    name_key = func.coalesce(Organisation.name_key, Partner.name_key)
    rows = db.session.execute(
        select(name, *_support_figures(steps))
        .select_from(steps).join(Partner, Partner.id == steps.c.partner_id)
        .outerjoin(Organisation, Organisation.id == Partner.organisation_id)
        .group_by(Partner.id, name, name_key).order_by(name_key, Partner.id)).all()
    return _support_table("supports_partner", _("Supports per partner"),
                          Column("partner", _("Partner")), [tuple(row) for row in rows],
                          _support_rule())


def supports_by_kind(span: Period) -> Table:
    steps = _support_steps(span)
    found = {kind: tuple(figures) for kind, *figures in db.session.execute(
        select(steps.c.kind, *_support_figures(steps)).group_by(steps.c.kind))}
    rows = [(SUPPORT_KIND_LABELS[kind.value], *found[kind.value])
            for kind in SupportKind if kind.value in found]
    return _support_table("supports_kind", _("Supports per kind"),
                          Column("kind", _("Kind of support")), rows, _support_rule())


def supports_by_partner_kind(span: Period) -> Table:
    steps = _support_steps(span)
    found = {kind: tuple(figures) for kind, *figures in db.session.execute(
        select(Partner.kind, *_support_figures(steps))
        .select_from(steps).join(Partner, Partner.id == steps.c.partner_id)
        .group_by(Partner.kind))}
    rows = [(PARTNER_KIND_LABELS[kind.value], *found[kind.value])
            for kind in PartnerKind if kind.value in found]
    return _support_table("supports_partner_kind", _("Supports per kind of partner"),
                          Column("partner_kind", _("Kind of partner")), rows,
                          _support_rule())


# The network ----------------------------------------------------------------------------


def mentoring(span: Period) -> Table:
    """Volunteer mentoring hours of the year, per organisation."""
    where = _in_days(MentoringHours.worked_on, span)
    base = (select().select_from(MentoringHours)
            .join(Mentorship, Mentorship.id == MentoringHours.mentorship_id).where(where))
    rows = db.session.execute(
        base.add_columns(Organisation.name, func.count(func.distinct(Mentorship.project_id)),
                         func.sum(MentoringHours.hours))
        .join(Organisation, Organisation.id == Mentorship.organisation_id)
        .group_by(Organisation.id, Organisation.name, Organisation.name_key)
        .order_by(Organisation.name_key, Organisation.id)).all()
    total = db.session.execute(base.add_columns(
        func.count(func.distinct(Mentorship.project_id)), func.sum(MentoringHours.hours))).one()
    return Table(
        "mentoring", _("Volunteer mentoring hours"),
        [Column("organisation", _("Member organisation")),
         Column("projects", _("Projects mentored"), "count"),
         Column("hours", _("Hours"), "hours")],
        [(name, projects, _decimal(hours)) for name, projects, hours in rows],
        footer=(_("Total"), total[0], _decimal(total[1])) if rows else None,
        definition=_("Hours given by member organisations to the projects they mentor, "
                     "logged on a day of the year. A project mentored by several "
                     "organisations counts once in the total."),
        empty=_("No mentoring hours were logged this year."))


def committees(span: Period) -> Table:
    """Committee sittings of the year with their decisions."""
    def decided(decision: str):
        return func.count(case((CommitteeReview.decision == decision, 1)))

    rows = db.session.execute(
        select(CommitteeSitting.name, CommitteeSitting.held_on, func.count(CommitteeReview.id),
               *(decided(decision.value) for decision in CommitteeDecision),
               func.count(case((and_(CommitteeReview.id.is_not(None),
                                     CommitteeReview.decision.is_(None)), 1))))
        .select_from(CommitteeSitting)
        .outerjoin(CommitteeReview, CommitteeReview.sitting_id == CommitteeSitting.id)
        # Held: on a day of the year up to today (a sitting planned later is not one yet).
        .where(_in_days(CommitteeSitting.held_on, span),
               CommitteeSitting.held_on <= pole_today())
        .group_by(CommitteeSitting.id, CommitteeSitting.name, CommitteeSitting.held_on)
        .order_by(CommitteeSitting.held_on, CommitteeSitting.id)).all()
    columns = [Column("sitting", _("Sitting")), Column("held_on", _("Date"), "date"),
               Column("projects", _("Projects reviewed"), "count"),
               *(Column(decision.value, COMMITTEE_DECISION_LABELS[decision.value], "count")
                 for decision in CommitteeDecision),
               Column("pending", _("No decision yet"), "count")]
    table_rows = [tuple(row) for row in rows]
    footer = None
    if table_rows:
        footer = (ngettext_sittings(len(table_rows)), None,
                  *(sum(row[index] for row in table_rows) for index in range(2, len(columns))))
    return Table(
        "committees", _("Committee sittings and decisions"), columns, table_rows,
        footer=footer,
        definition=_("Sittings held during the year up to today (archived ones included; "
                     "planned ones left out) and the decisions taken there on the projects "
                     "of their agenda."),
        empty=_("No committee sat this year."))


def ngettext_sittings(count: int) -> str:
    return ngettext("%(num)d sitting", "%(num)d sittings", count)


def meetings(span: Period) -> Table:
    """Working-group meetings held during the year, per group."""
    present = func.count(func.distinct(case(
        (MeetingAttendance.status == "present", MeetingAttendance.id))))
    rows = db.session.execute(
        select(WorkingGroup.name, WorkingGroup.kind, func.count(func.distinct(GroupMeeting.id)),
               present)
        .select_from(GroupMeeting).join(WorkingGroup, WorkingGroup.id == GroupMeeting.group_id)
        .outerjoin(MeetingAttendance, MeetingAttendance.meeting_id == GroupMeeting.id)
        .where(GroupMeeting.cancelled_at.is_(None), _in_moments(GroupMeeting.starts_at, span),
               GroupMeeting.starts_at <= _at(utcnow()))  # held: begun by now
        .group_by(WorkingGroup.id, WorkingGroup.name, WorkingGroup.kind,
                  WorkingGroup.name_key)
        .order_by(WorkingGroup.name_key, WorkingGroup.id)).all()
    table_rows = [(name, GROUP_KIND_LABELS.get(kind, kind), count, people)
                  for name, kind, count, people in rows]
    return Table(
        "meetings", _("Working-group meetings"),
        [Column("group", _("Group")), Column("kind", _("Kind")),
         Column("meetings", _("Meetings"), "count"),
         Column("present", _("Attendances"), "count")],
        table_rows,
        footer=(_("Total"), "", _total(r[2] for r in table_rows),
                _total(r[3] for r in table_rows)) if rows else None,
        definition=_("Meetings of the working groups and cooperative workshops that began "
                     "during the year up to now, cancelled and planned ones left out; "
                     "attendances are the people recorded present."),
        empty=_("No working-group meeting was held this year."))


# Accompaniment time --------------------------------------------------------------------


def _kind_label(kind: str) -> str:
    return str(ACCOMPANIMENT_KIND_LABELS.get(kind, kind))


def time_by_project(span: Period) -> Table:
    """Accompaniment hours of the year per project and per kind."""
    kinds = list(AccompanimentKind)
    rows = db.session.execute(
        select(Project.id, Project.title,
               *(func.sum(case((AccompanimentTime.kind == kind.value,
                                AccompanimentTime.minutes))) for kind in kinds),
               func.sum(AccompanimentTime.minutes))
        .select_from(AccompanimentTime).join(Project, Project.id == AccompanimentTime.project_id)
        .where(_in_days(AccompanimentTime.spent_on, span))
        .group_by(Project.id, Project.title)).all()
    # Largest first: the page shows the first LIST_SHOWN, the exports every row.
    rows = sorted(rows, key=lambda row: (-(row[-1] or 0), sort_key(row[1]), row[0]))
    table_rows = [(_project_link(row[0], row[1]), *(_hours(m) for m in row[2:]))
                  for row in rows]
    footer = None
    if table_rows:
        footer = (ngettext_projects(len(table_rows)),
                  *(_hours(_total(row[index] for row in rows))
                    for index in range(2, len(kinds) + 3)))
    return Table(
        "time_project", _("Accompaniment time per project (hours)"),
        [Column("project", _("Project")),
         *(Column(kind.value, _kind_label(kind.value), "hours") for kind in kinds),
         Column("total", _("Total"), "hours")],
        table_rows, footer=footer,
        definition=_("Time the pole's staff logged on each project on a day of the year, "
                     "in hours (minutes summed, then rounded to the hundredth), by kind of "
                     "contact. The projects with the most time first; the page shows the "
                     "first ones (a line says how many more), the XLSX workbook and the "
                     "table's export all of them."),
        shown=LIST_SHOWN,
        empty=_("No accompaniment time was logged this year."))


def ngettext_projects(count: int) -> str:
    return ngettext("%(num)d project", "%(num)d projects", count)


def time_by_kind(span: Period) -> Table:
    """Accompaniment hours of the year per kind of contact."""
    where = _in_days(AccompanimentTime.spent_on, span)
    found = {kind: (minutes, entries, projects) for kind, minutes, entries, projects in
             db.session.execute(
                 select(AccompanimentTime.kind, func.sum(AccompanimentTime.minutes),
                        func.count(), func.count(func.distinct(AccompanimentTime.project_id)))
                 .where(where).group_by(AccompanimentTime.kind))}
    total = db.session.execute(
        select(func.sum(AccompanimentTime.minutes), func.count(),
               func.count(func.distinct(AccompanimentTime.project_id))).where(where)).one()
    rows = [(_kind_label(kind.value), _hours(found[kind.value][0]), found[kind.value][1],
             found[kind.value][2]) for kind in AccompanimentKind if kind.value in found]
    return Table(
        "time_kind", _("Accompaniment time per kind of contact"),
        [Column("kind", _("Kind of contact")), Column("hours", _("Hours"), "hours"),
         Column("entries", _("Entries"), "count"),
         Column("projects", _("Projects"), "count")],
        rows, footer=(_("Total"), _hours(total[0]), total[1], total[2]) if rows else None,
        definition=_("The same time summed per kind of contact; a project accompanied in "
                     "several ways counts once in the total."),
        empty=_("No accompaniment time was logged this year."))


# The report -----------------------------------------------------------------------------

# Sections in the order of the page, each a list of table keys.
BUILDERS: dict[str, Callable[[Period], Table]] = {
    "ideas": ideas,
    "stages": stages,
    "outcomes": outcomes,
    "launches": launches,
    "referrals": referrals,
    "abandonments": abandonments,
    "jobs": jobs,
    "supports_partner": supports_by_partner,
    "supports_kind": supports_by_kind,
    "supports_partner_kind": supports_by_partner_kind,
    "mentoring": mentoring,
    "committees": committees,
    "meetings": meetings,
    "time_project": time_by_project,
    "time_kind": time_by_kind,
}
SECTIONS = (
    ("projects", ("ideas", "stages", "outcomes", "launches", "referrals", "abandonments",
                  "jobs")),
    ("supports", ("supports_partner", "supports_kind", "supports_partner_kind")),
    ("network", ("mentoring", "committees", "meetings")),
    ("time", ("time_project", "time_kind")),
)


def table(key: str, span: Period) -> Table:
    """One table of the report (KeyError: no such table)."""
    builder = BUILDERS[key]
    analytic_statements()
    return builder(span)


def report(span: Period) -> list[Table]:
    """Every table of the report, in the page's order."""
    analytic_statements()
    return [builder(span) for builder in BUILDERS.values()]

