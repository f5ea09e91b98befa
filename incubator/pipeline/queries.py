"""The pipeline review's figures: each one a ``tables.Table`` built from one SQL aggregation
over the history tables (stage moves, status changes, next steps, accompaniment time), so a
page costs the same number of statements whatever the size of the history
(docs/pipeline.md gives every definition and rule).

Periods are whole days in the pole's time zone: from the first day's midnight to the
midnight after the last day, that instant excluded (a project closed in the period's last
second counts in the period). "Stays" are the intervals a project spent in a stage, from a
stage move into it to the next move (forward or backward: a move back starts a new stay)
or its closing; time off the board (paused, or closed and later reopened) is taken out.
Medians and 80th percentiles are nearest-rank ones (the value at rank ⌈p × n⌉), which SQL
without percentile functions (SQLite) computes with window functions alike.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask import url_for
from flask_babel import get_timezone, pgettext
from flask_babel import gettext as _
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from ..analytics import analytic_statements
from ..cohorts.queries import all_cohorts, existing_cohorts, in_cohorts
from ..extensions import db
from ..i18n import localized, pole_today
from ..labels import OUTCOME_LABELS
from ..models import (
    AccompanimentTime,
    CohortProject,
    NextStep,
    Project,
    ProjectStatus,
    Stage,
    StageFlowDay,
    StageMove,
    StatusChange,
    User,
)
from ..models.types import UTCDateTime
from ..params import parse_int
from ..permissions import active_staff
from ..reference import (
    is_staff_member,
    is_theme,
    staff_members,
    stalled_cutoff,
    stalled_threshold,
    themes,
)
from ..stage_history import days_between, off_board_times, paused_days
from ..tables import Column, Link, Table, ratio
from ..text import search_key, sorted_french

PRESETS = ("year", "12m", "quarter")
OUTCOMES = ("launched", "redirected", "abandoned")
# Longest period the review accepts (its cumulative flow has one row a month).
MAX_PERIOD_DAYS = 366 * 20
# Periods longer than this are drawn by month, shorter ones by week.
WEEKLY_UP_TO_DAYS = 16 * 7


class FilterError(ValueError):
    """A filter of the URL that cannot be read: its message says which and why."""


@dataclass(frozen=True)
class Period:
    """Whole days ``start`` to ``end`` (both included) in the pole's time zone."""

    start: date
    end: date

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC instants: [first day's midnight, the midnight after the last)."""
        return day_start(self.start), day_start(self.end + timedelta(days=1))

    def year_before(self) -> Period:
        return Period(_minus_a_year(self.start), _minus_a_year(self.end))

    def comparison(self) -> Period:
        """The period the entries and exits are compared with: the same dates a year before;
        for a period longer than a year, which that would overlap, the same number of days
        just before it."""
        before = self.year_before()
        if before.end < self.start:
            return before
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    @property
    def compared_a_year_before(self) -> bool:
        return self.comparison() == self.year_before()

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


# The worklists show their first rows on the page (longest waiting first); the whole list is
# in their export (docs/performance.md: thousands of rows cost seconds to render).
WORKLIST_SHOWN = 50


def _minus_a_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def day_start(day: date) -> datetime:
    """Midnight of ``day`` in the pole's time zone, as an aware UTC datetime."""
    zone = get_timezone()
    local = datetime.combine(day, time())
    localized_start = zone.localize(local) if hasattr(zone, "localize") else local.replace(
        tzinfo=zone)
    return localized_start.astimezone(UTC)


def preset_period(preset: str, today: date) -> Period:
    """This year, the last 12 months (today included), or the last whole calendar quarter."""
    if preset == "12m":
        return Period(_minus_a_year(today) + timedelta(days=1), today)
    if preset == "quarter":
        first_month = (today.month - 1) // 3 * 3 + 1
        this_quarter = date(today.year, first_month, 1)
        end = this_quarter - timedelta(days=1)
        return Period(date(end.year, (end.month - 1) // 3 * 3 + 1, 1), end)
    return Period(date(today.year, 1, 1), date(today.year, 12, 31))


@dataclass(frozen=True)
class ReviewFilters:
    """What the review shows, all of it in the URL: the period (a preset, or ``start`` and
    ``end``), the advisor, the theme and the commune of the projects counted, and the
    cohorts they are in (``cohort``, repeated: the projects of any of them)."""

    period: Period
    preset: str = "year"  # "" when the period was given by its dates
    advisor_id: int | None = None
    theme_id: int | None = None
    commune: str = ""
    cohort_ids: tuple[int, ...] = ()

    @classmethod
    def from_args(cls, args, today: date) -> ReviewFilters:
        """Read the URL's filters; raises FilterError with a message for a bad value."""
        preset = (args.get("preset") or "").strip()
        if preset and preset not in PRESETS:
            raise FilterError(_("The period “%(value)s” is not one the review knows.",
                                value=preset[:40]))
        start, end = _date_arg(args, "start"), _date_arg(args, "end")
        if start or end:
            end = end or today
            start = start or date(end.year, 1, 1)
            if start > end:
                raise FilterError(_("The period starts after it ends: choose a start date "
                                    "before the end date."))
            if (end - start).days >= MAX_PERIOD_DAYS:
                raise FilterError(_("The period is too long: choose at most twenty years."))
            period, preset = Period(start, end), ""
        else:
            preset = preset or "year"
            period = preset_period(preset, today)
        return cls(period, preset, _id_arg(args, "advisor"), _id_arg(args, "theme"),
                   " ".join((args.get("commune") or "").split())[:100],
                   _id_list_arg(args, "cohort"))

    def args(self, **changes: Any) -> dict[str, Any]:
        """The URL's parameters of these filters (with ``changes``), empty ones left out."""
        values = {"preset": self.preset} if self.preset else {
            "start": self.period.start.isoformat(), "end": self.period.end.isoformat()}
        values.update({"advisor": self.advisor_id, "theme": self.theme_id,
                       "commune": self.commune, "cohort": list(self.cohort_ids)})
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, "", [])}

    def with_preset(self, preset: str) -> dict[str, Any]:
        return replace(self, preset=preset).args(preset=preset)


def _date_arg(args, name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise FilterError(_("The date “%(value)s” cannot be read: write it as YYYY-MM-DD "
                            "(or choose it in the calendar).", value=raw[:40])) from None
    if not 1900 <= value.year <= 2100:
        raise FilterError(_("The date “%(value)s” is outside the years the review covers: "
                            "choose a date between 1900 and 2100.", value=raw[:40]))
    return value


def _id_arg(args, name: str) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    value = parse_int(raw)
    if value is None:
        raise FilterError(_("The filter “%(name)s” is not valid: choose it in the list.",
                            name=name))
    return value


# At most this many cohorts in the filter (a page offers each once; more is a forged URL).
MAX_COHORTS = 50


def _id_list_arg(args, name: str) -> tuple[int, ...]:
    """A repeated id parameter (``cohort=3&cohort=5``), in the order given, without
    duplicates; raises FilterError for a value that is not an id, or too many."""
    raw = [value for value in args.getlist(name) if (value or "").strip()]
    if len(raw) > MAX_COHORTS:
        raise FilterError(_("Too many cohorts chosen: choose at most %(num)d.",
                            num=MAX_COHORTS))
    ids: list[int] = []
    for value in raw:
        number = parse_int(value.strip())
        if number is None:
            raise FilterError(_("The filter “%(name)s” is not valid: choose it in the list.",
                                name=name))
        if number not in ids:
            ids.append(number)
    return tuple(ids)


# SQL building blocks


def _instant(value: datetime) -> ColumnElement:
    return literal(value, UTCDateTime())


def _project_filters(filters: ReviewFilters) -> list[ColumnElement[bool]]:
    """The WHERE clauses the advisor, theme, commune and cohort filters put on ``Project``."""
    clauses: list[ColumnElement[bool]] = []
    if filters.advisor_id:
        clauses.append(Project.advisor_id == filters.advisor_id)
    if filters.theme_id:
        clauses.append(Project.theme_id == filters.theme_id)
    if filters.commune:
        clauses.append(Project.commune_key == search_key(filters.commune))
    if filters.cohort_ids:
        clauses.append(in_cohorts(filters.cohort_ids))
    return clauses


def _stays(filters: ReviewFilters, *, ended_from: datetime,
           ended_before: datetime | None = None, started_before: datetime | None = None,
           paused: bool = False):
    """The stays in a stage that ended at or after ``ended_from`` (and before
    ``ended_before``; None: still running ones too) and began before ``started_before``:
    project, stage, since (the move into it), until (the next move: ``left_at``, else the
    closing of a project now closed, else None: still there); with ``paused`` (ended stays
    only: ``ended_before`` given), also paused, the days off the board within the stay
    (stored with ``left_at``; computed for a stay ended by a closing). Read with range scans
    of ``ix_stage_moves_left_at``, never a window over the whole history."""
    bounds = [StageMove.moved_at < started_before] if started_before is not None else []
    columns = (StageMove.project_id, StageMove.to_stage_id.label("stage_id"),
               StageMove.moved_at.label("since"))
    rules = _project_filters(filters)
    moved_extra, last_extra = [], []
    if paused:
        moved_extra = [StageMove.paused_days.label("paused")]
        last_extra = [paused_days(StageMove.project_id, StageMove.moved_at,
                                  Project.closed_at).label("paused")]
    moved_on = (select(*columns, StageMove.left_at.label("until"), *moved_extra)
                .where(StageMove.left_at >= ended_from, *bounds))
    if rules:  # without a filter, the stays ended by a move need nothing of the project
        moved_on = (moved_on.join(Project, Project.id == StageMove.project_id)
                    .where(*rules))
    if ended_before is not None:
        moved_on = moved_on.where(StageMove.left_at < ended_before)
    closed = Project.status == ProjectStatus.CLOSED.value
    last = (select(*columns, case((closed, Project.closed_at)).label("until"), *last_extra)
            .join(Project, Project.id == StageMove.project_id)
            .where(StageMove.left_at.is_(None), *bounds, *rules))
    if ended_before is not None:
        last = last.where(closed, Project.closed_at >= ended_from,
                          Project.closed_at < ended_before)
    else:
        last = last.where(or_(~closed, Project.closed_at >= ended_from))
    return union_all(moved_on, last).subquery()


def _ranked(values, group: Any, value: Any):
    """``values`` with, in ``group``, each row's rank by ``value`` and the group's size."""
    return select(
        group.label("grp"), value.label("value"),
        func.row_number().over(partition_by=group, order_by=value).label("rn"),
        func.count().over(partition_by=group).label("n"),
    ).select_from(values).subquery()


def _percentiles(ranked) -> tuple[Any, ...]:
    """Count, median and 80th percentile (nearest rank) of a ``_ranked`` subquery."""
    def at(percent: int):
        rank = (ranked.c.n * percent + 99) // 100  # ⌈n × p⌉ in whole numbers
        return func.max(case((ranked.c.rn == rank, ranked.c.value)))
    return (func.count(), at(50), at(80))


def _round_days(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(round(float(value), 1)))


def _stage_name(stages: dict[int, Stage], stage_id: int | None) -> str:
    stage = stages.get(stage_id) if stage_id is not None else None
    return localized(stage) if stage else _("(stage deleted)")


# The figures


def reference(filters: ReviewFilters) -> tuple[list[Stage], dict[int, Stage]]:
    """Every stage (retired ones too: history names them), and the active ones in order."""
    stages = list(db.session.scalars(select(Stage).order_by(Stage.position, Stage.id)))
    return [s for s in stages if s.active], {s.id: s for s in stages}


def stages_now(filters: ReviewFilters, active: list[Stage]) -> Table:
    """Projects in each stage now: on the board (active) and paused."""
    rows = db.session.execute(
        select(Project.stage_id,
               func.count().filter(Project.status == ProjectStatus.ACTIVE.value),
               func.count().filter(Project.status == ProjectStatus.PAUSED.value))
        .where(Project.status.in_((ProjectStatus.ACTIVE.value, ProjectStatus.PAUSED.value)),
               *_project_filters(filters))
        .group_by(Project.stage_id)).all()
    counts = {stage_id: (on_board, paused) for stage_id, on_board, paused in rows}
    table_rows = [(localized(s), *counts.get(s.id, (0, 0))) for s in active]
    return Table(
        "stages_now", _("Projects per stage now"),
        [Column("stage", _("Stage")), Column("active", _("On the board"), "count"),
         Column("paused", _("Paused"), "count")],
        table_rows,
        definition=_("Projects whose status is active (on the board) or paused, by their "
                     "current stage, today. Closed projects and drafts are not counted. "
                     "The advisor, theme, commune and cohort filters apply; the period "
                     "does not."),
        footer=(_("Total"), sum(r[1] for r in table_rows), sum(r[2] for r in table_rows)),
    )


def flow_buckets(period: Period, now: datetime) -> tuple[str, list[tuple[date, datetime]]]:
    """The instants the cumulative flow counts at: the end of each week (Monday to Sunday)
    or, for periods longer than 16 weeks, of each month, of the period; the current one is
    counted now, later ones not at all. Each is (its last day, the instant after it)."""
    unit = "week" if period.days <= WEEKLY_UP_TO_DAYS else "month"
    buckets: list[tuple[date, datetime]] = []
    start = period.start
    while start <= period.end:
        if unit == "week":
            last = start + timedelta(days=6 - start.weekday())
        else:
            following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
            last = following - timedelta(days=1)
        last = min(last, period.end)
        at = day_start(last + timedelta(days=1))
        if day_start(start) > now:
            break
        buckets.append((last, min(at, now)))
        start = last + timedelta(days=1)
    return unit, buckets


def _points_up_to(value: Any, instants: list[ColumnElement], low: int = 0,
                  high: int | None = None) -> ColumnElement:
    """How many of ``instants`` (ascending) are at or before ``value``: the index of the
    first one after it, found by a binary search written as nested CASEs."""
    high = len(instants) if high is None else high
    if low == high:
        return literal(low)
    middle = (low + high) // 2
    return case((value < instants[middle], _points_up_to(value, instants, low, middle)),
                else_=_points_up_to(value, instants, middle + 1, high))


def flow_counts_from_history(filters: ReviewFilters,
                             buckets: list[tuple[date, datetime]]) -> dict[tuple[int, int], int]:
    """The cumulative flow's counts, {(point index, stage id): projects}, read from the stage
    moves and status changes (any filter; without one the review reads the daily summary,
    ``flow_counts_from_summary``, which gives the same counts)."""
    # Each stay counts +1 at the points it covers, and each part of a stay spent off the
    # board (its overlap with a pause or a closing) -1 at the points that part covers. A
    # project is in one stay and in at most one time off the board at an instant (each
    # runs from one change to the next), so the sums are the projects on the board in each
    # stage at each point. A run covers the points from the first one after its start to
    # the last one not after its end: the statement gives those two indices (a binary
    # search over the points, a few comparisons a run) and Python spreads the counts.
    # The parts off the board come from the times off the board (a few thousand, computed
    # once), each with its project's moves, rather than from a test on every stay.
    first, last = buckets[0][1], buckets[-1][1]
    stays = _stays(filters, ended_from=first, started_before=last)
    on_board = select(stays.c.stage_id, stays.c.since, stays.c.until,
                      literal(1).label("weight"))
    off = off_board_times()
    off = (select(off).where(off.c.since < last,
                             or_(off.c.until.is_(None), off.c.until >= first))
           .cte("off_board").prefix_with("MATERIALIZED"))
    closed = Project.status == ProjectStatus.CLOSED.value
    stay_until = func.coalesce(StageMove.left_at, case((closed, Project.closed_at)))
    part_since = case((off.c.since > StageMove.moved_at, off.c.since),
                      else_=StageMove.moved_at)
    part_until = case((off.c.until.is_(None), stay_until),
                      (stay_until.is_(None), off.c.until),
                      (off.c.until < stay_until, off.c.until), else_=stay_until)
    off_board = (select(StageMove.to_stage_id, part_since, part_until, literal(-1))
                 .select_from(off)
                 .join(StageMove, StageMove.project_id == off.c.project_id)
                 .join(Project, Project.id == StageMove.project_id)
                 .where(or_(off.c.until.is_(None), StageMove.moved_at < off.c.until),
                        or_(stay_until.is_(None), stay_until > off.c.since),
                        *_project_filters(filters)))
    runs = union_all(on_board, off_board).subquery()
    instants = [_instant(at) for _last, at in buckets]
    spans = select(
        runs.c.stage_id, _points_up_to(runs.c.since, instants).label("first"),
        case((runs.c.until.is_(None), len(instants)),
             else_=_points_up_to(runs.c.until, instants)).label("after"),
        runs.c.weight).subquery()
    rows = db.session.execute(
        select(spans.c.stage_id, spans.c.first, spans.c.after, func.sum(spans.c.weight))
        .where(spans.c.first < spans.c.after)
        .group_by(spans.c.stage_id, spans.c.first, spans.c.after)).all()
    counts: dict[tuple[int, int], int] = {}
    for stage_id, first_point, after, weight in rows:
        for n in range(first_point, after):
            counts[(n, stage_id)] = counts.get((n, stage_id), 0) + weight
    return counts


def flow_counts_from_summary(buckets: list[tuple[date, datetime]]) -> dict[tuple[int, int], int]:
    """The cumulative flow's counts, {(point index, stage id): projects}, of every project,
    from the daily summary ``stage_flow_days`` (kept by ``stage_flow``): the count at the
    point that ends day D (or now, for the current week or month) is the sum of the changes
    of the days up to D. One statement over a few rows per day of history, whatever the
    number of stays (docs/performance.md, Managers' review)."""
    after = [literal(last + timedelta(days=1)) for last, _at in buckets]
    # The index of the first point whose day is not before the row's day.
    index = _points_up_to(StageFlowDay.day, after).label("point")
    rows = db.session.execute(
        select(StageFlowDay.stage_id, index, func.sum(StageFlowDay.change))
        .where(StageFlowDay.day <= buckets[-1][0])
        .group_by(StageFlowDay.stage_id, index)).all()
    changes: dict[int, dict[int, int]] = {}
    for stage_id, point, change in rows:
        changes.setdefault(stage_id, {})[point] = int(change)
    counts: dict[tuple[int, int], int] = {}
    for stage_id, by_point in changes.items():
        running = 0
        for n in range(len(buckets)):
            running += by_point.get(n, 0)
            if running:
                counts[(n, stage_id)] = running
    return counts


def cumulative_flow(filters: ReviewFilters, active: list[Stage], now: datetime) -> Table:
    """How many projects were in each stage at the end of each week or month of the period
    (cumulative flow), from the stage moves and the status changes."""
    unit, buckets = flow_buckets(filters.period, now)
    columns = [Column("day", _("At the end of"), "date"),
               *[Column(f"stage_{s.id}", localized(s), "count") for s in active],
               Column("total", _("Total"), "count")]
    definition = _(
        "For each %(unit)s of the period, the projects that were on the board in each "
        "stage at its end (its last day at midnight in the pole's time zone; the current "
        "%(unit)s: now, on a row dated today), read from the stage moves: the last move before that instant says "
        "the stage. Projects paused or closed at that instant are not counted. By week "
        "(Monday to Sunday) for periods of 16 weeks or less, else by month.",
        unit=_("week") if unit == "week" else _("month"))
    title = _("Projects per stage over the period")
    if not buckets:
        return Table("flow", title, columns, [], definition=definition)
    if _project_filters(filters):
        counts = flow_counts_from_history(filters, buckets)
    else:
        counts = flow_counts_from_summary(buckets)
    totals = {}
    for (n, _stage), count in counts.items():
        totals[n] = totals.get(n, 0) + count
    # The current week or month is counted now: its row is dated today, not its last day
    # (a row "31 Dec" on 1 December would read like a forecast).
    today = pole_today(now)
    table_rows = [(today if at == now else last,
                   *[counts.get((index, s.id), 0) for s in active], totals.get(index, 0))
                  for index, (last, at) in enumerate(buckets)]
    return Table("flow", title, columns, table_rows, definition=definition)


def entries_and_exits(filters: ReviewFilters) -> Table:
    """Ideas submitted and projects closed by outcome over the period, and over the period
    it is compared with (``Period.comparison``: the same dates a year before, or the same
    length just before when the period is longer than a year)."""
    now_from, now_to = filters.period.bounds()
    before_from, before_to = filters.period.comparison().bounds()

    def in_periods(column):
        return (func.count().filter(column >= now_from, column < now_to),
                func.count().filter(column >= before_from, column < before_to))

    entries = db.session.execute(
        select(*in_periods(StageMove.moved_at))
        .join(Project, Project.id == StageMove.project_id)
        .where(StageMove.from_stage_id.is_(None), StageMove.moved_at >= before_from,
               *_project_filters(filters))).one()
    exits = db.session.execute(
        select(StatusChange.outcome, *in_periods(StatusChange.changed_at))
        .join(Project, Project.id == StatusChange.project_id)
        .where(StatusChange.to_status == ProjectStatus.CLOSED.value,
               StatusChange.changed_at >= before_from, *_project_filters(filters))
        .group_by(StatusChange.outcome)).all()
    by_outcome = {outcome: (current, before) for outcome, current, before in exits}
    rows = [(_("Ideas submitted"), entries[0], entries[1])]
    rows += [(str(OUTCOME_LABELS[o]), *by_outcome.get(o, (0, 0))) for o in OUTCOMES]
    return Table(
        "entries_exits", _("Entries and exits"),
        [Column("what", _("Indicator")), Column("period", _("This period"), "count"),
         Column("year_before", _("Same period a year before")
                if filters.period.compared_a_year_before
                else _("Same length just before"), "count"),
         Column("change", pgettext("a figure's evolution", "Change"), "change")],
        [(label, current, before, ratio(current - before, before))
         for label, current, before in rows],
        definition=_(
            "Ideas submitted: projects whose first entry into the pipeline (their "
            "submission, the stage move from no stage) falls in the period. Exits: closings "
            "in the period by their outcome (a project closed, reopened and closed again "
            "counts at each closing). They are compared with the same dates one year "
            "earlier; for a period longer than a year, which would overlap that, with the "
            "same number of days just before the period. Change: the difference as a share "
            "of the figure compared with (none when it was 0)."),
    )


def conversion(filters: ReviewFilters, active: list[Stage]) -> Table:
    """Of the projects that entered each stage in the period, how many later reached the
    next stage (or a later one) in the current order."""
    start, end = filters.period.bounds()
    rules = _project_filters(filters)
    here, there = aliased(Stage), aliased(Stage)
    if rules:
        # A filter keeps few entries: an EXISTS per entry, in the (project, instant) index,
        # reads less than the pass below (SQLite 349 against 419 ms for an advisor's
        # projects at 10,000 projects).
        entry, later = aliased(StageMove), aliased(StageMove)
        reached = exists().where(
            later.project_id == entry.project_id, later.moved_at > entry.moved_at,
            there.id == later.to_stage_id, there.position > here.position, there.active)
        rows = db.session.execute(
            select(entry.to_stage_id, func.count(entry.project_id.distinct()),
                   func.count(case((reached, entry.project_id)).distinct()))
            .join(here, here.id == entry.to_stage_id)
            .join(Project, Project.id == entry.project_id)
            .where(entry.moved_at >= start, entry.moved_at < end, *rules)
            .group_by(entry.to_stage_id)).all()
    else:
        # One pass over the moves since the period's start (every "later move" of an entry
        # is among them), in each project's order: for each move, the furthest active stage
        # its project moved to strictly later (GROUPS: moves at the same instant are not
        # later). Without a filter this beats an EXISTS probe per entry (docs/performance.md).
        furthest = func.max(case((there.active, there.position))).over(
            partition_by=StageMove.project_id, order_by=StageMove.moved_at.desc(),
            groups=(None, -1))
        # Each move also carries its own stage's position (no join of every move with the
        # stages afterwards), and each (stage, project) pair is grouped once before the
        # count: no count(DISTINCT) sorts (docs/performance.md, Issue 15 third pass).
        moves = (select(StageMove.project_id, StageMove.to_stage_id, StageMove.moved_at,
                        there.position.label("position"), furthest.label("later"))
                 .outerjoin(there, there.id == StageMove.to_stage_id)
                 .where(StageMove.moved_at >= start)
                 .subquery())
        pairs = (select(moves.c.to_stage_id, moves.c.project_id,
                        func.max(case((moves.c.later > moves.c.position, 1), else_=0))
                        .label("reached"))
                 .where(moves.c.moved_at < end)
                 .group_by(moves.c.to_stage_id, moves.c.project_id)
                 .subquery())
        rows = db.session.execute(
            select(pairs.c.to_stage_id, func.count(), func.sum(pairs.c.reached))
            .group_by(pairs.c.to_stage_id)).all()
    counts = {stage_id: (entered, went_on) for stage_id, entered, went_on in rows}
    table_rows = []
    for stage, following in zip(active, active[1:], strict=False):
        entered, went_on = counts.get(stage.id, (0, 0))
        table_rows.append((_("%(stage)s → %(next)s", stage=localized(stage),
                             next=localized(following)),
                           entered, went_on, ratio(went_on, entered)))
    return Table(
        "conversion", _("Conversion from stage to stage"),
        [Column("step", _("From stage to the next")),
         Column("entered", _("Projects that entered the stage"), "count"),
         Column("reached", _("Later reached the next stage"), "count"),
         Column("share", _("Share"), "percent")],
        table_rows,
        definition=_(
            "Projects that entered the stage in the period (a move into it, a move back "
            "included; each project once), and among them those that later moved to the next "
            "stage or a later one in the current order of the stages (a stage skipped counts "
            "as passed), whenever that happened, up to now. Recent entries have had less time "
            "to go on."),
    )


def time_in_stage(filters: ReviewFilters, active: list[Stage], stages: dict[int, Stage],
                  now: datetime) -> Table:
    """Days spent in each stage by the stays that ended in the period: median and 80th
    percentile, paused time taken out."""
    start, end = filters.period.bounds()
    # The paused time of a stay ended by a move is stored with its end (set once with
    # left_at): no probe of the status changes per stay (3.4 s at regional scale).
    stays = _stays(filters, ended_from=start, ended_before=end, paused=True)
    spent = (select(stays.c.stage_id,
                    (days_between(stays.c.until, stays.c.since) - stays.c.paused).label("days"))
             .subquery())
    ranked = _ranked(spent, spent.c.stage_id, spent.c.days)
    rows = db.session.execute(
        select(ranked.c.grp, *_percentiles(ranked)).group_by(ranked.c.grp)).all()
    figures = {stage_id: (count, median, p80) for stage_id, count, median, p80 in rows}
    order = [s.id for s in active] + sorted(set(figures) - {s.id for s in active})
    table_rows = [(_stage_name(stages, sid), figures[sid][0], _round_days(figures[sid][1]),
                   _round_days(figures[sid][2])) for sid in order if sid in figures]
    return Table(
        "time_in_stage", _("Time spent in each stage"),
        [Column("stage", _("Stage")), Column("stays", _("Stays ended"), "count"),
         Column("median", _("Median (days)"), "days"),
         Column("p80", _("80th percentile (days)"), "days")],
        table_rows,
        definition=_(
            "A stay runs from a project's move into the stage to its next move (forward or "
            "back) or its closing; a move back into a stage starts a new stay. The stays that "
            "ended in the period count, stays still running do not. Time off the board "
            "(paused, or closed and then reopened) is taken out of the stay. Median and 80th "
            "percentile by nearest rank: the stay at rank ⌈n × 50 %⌉ or ⌈n × 80 %⌉ of the n "
            "stays sorted by length. In days, to a tenth."),
        empty=_("No stay ended in this period."),
    )


def lead_time(filters: ReviewFilters) -> Table:
    """Calendar days from submission to launch of the projects launched in the period."""
    start, end = filters.period.bounds()
    submitted = (select(StageMove.project_id, func.min(StageMove.moved_at).label("at"))
                 .where(StageMove.from_stage_id.is_(None))
                 .group_by(StageMove.project_id).subquery())
    launches = (select(literal(1).label("grp"),
                       days_between(StatusChange.changed_at, submitted.c.at).label("days"))
                .join(submitted, submitted.c.project_id == StatusChange.project_id)
                .join(Project, Project.id == StatusChange.project_id)
                .where(StatusChange.to_status == ProjectStatus.CLOSED.value,
                       StatusChange.outcome == "launched",
                       StatusChange.changed_at >= start, StatusChange.changed_at < end,
                       *_project_filters(filters))
                .subquery())
    ranked = _ranked(launches, launches.c.grp, launches.c.days)
    count, median, p80 = db.session.execute(select(*_percentiles(ranked))).one()
    rows = [(_("Submission → launch"), count, _round_days(median), _round_days(p80))] \
        if count else []
    return Table(
        "lead_time", _("Lead time from submission to launch"),
        [Column("what", _("Between")), Column("launches", _("Launches"), "count"),
         Column("median", _("Median (days)"), "days"),
         Column("p80", _("80th percentile (days)"), "days")],
        rows,
        definition=_(
            "For each project closed as launched in the period: calendar days from its "
            "submission (its first entry into the pipeline) to that closing, paused time "
            "included (it is part of what the holders lived). Median and 80th percentile by "
            "nearest rank, in days to a tenth."),
        empty=_("No launch in this period."),
    )


def stalled(filters: ReviewFilters, stages: dict[int, Stage], now: datetime) -> Table:
    """Active projects with no activity for their stage's threshold (the board's mark)."""
    rule = or_(*[and_(Project.stage_id == stage.id,
                      Project.last_activity_at <= stalled_cutoff(stage.stalled_days, now))
                 for stage in stages.values()]) if stages else literal(False)
    rows = db.session.execute(
        select(Project.id, Project.title, Project.stage_id, User.name,
               Project.last_activity_at)
        .outerjoin(User, User.id == Project.advisor_id)
        .where(Project.status == ProjectStatus.ACTIVE.value, rule,
               *_project_filters(filters))
        .order_by(Project.last_activity_at, Project.id)).all()
    show = url_for("projects.show", project_id=987654321)
    table_rows = [
        (Link(title, show.replace("987654321", str(pid))), _stage_name(stages, stage_id),
         advisor or _("Unassigned"), last.date() if last else None,
         (now - last).days,
         stalled_threshold(stages[stage_id].stalled_days if stage_id in stages else None))
        for pid, title, stage_id, advisor, last in rows]
    return Table(
        "stalled", _("Stalled projects"),
        [Column("project", _("Project")), Column("stage", _("Stage")),
         Column("advisor", _("Advisor")), Column("last_activity", _("Last activity"), "date"),
         Column("idle", _("Days without activity"), "days"),
         Column("threshold", _("Stage threshold (days)"), "days")],
        table_rows,
        definition=_(
            "Projects on the board (active) whose last activity (a note, a next step, a "
            "move, an edit…) is at least as many days ago as their stage's threshold, or the "
            "default threshold when the stage sets none: the rule of the board's “Stalled” "
            "mark. Today, whatever the period."),
        empty=_("No stalled project."),
        shown=WORKLIST_SHOWN,
    )


def overdue_steps(filters: ReviewFilters, today: date) -> Table:
    """Next steps of the whole team past their due date and not done."""
    rows = db.session.execute(
        select(Project.id, Project.title, NextStep.title, User.name, NextStep.due_on)
        .join(Project, Project.id == NextStep.project_id)
        .outerjoin(User, User.id == NextStep.assignee_id)
        .where(NextStep.done_at.is_(None), NextStep.due_on < today,
               Project.status.in_((ProjectStatus.ACTIVE.value, ProjectStatus.PAUSED.value)),
               *_project_filters(filters))
        .order_by(NextStep.due_on, NextStep.id)).all()
    show = url_for("projects.show", project_id=987654321)
    return Table(
        "overdue_steps", _("Overdue next steps"),
        [Column("project", _("Project")), Column("step", _("Next step")),
         Column("assignee", _("Assignee")), Column("due_on", _("Due on"), "date"),
         Column("late", _("Days late"), "days")],
        [(Link(title, show.replace("987654321", str(pid))), step, assignee or _("Nobody"),
          due, (today - due).days) for pid, title, step, assignee, due in rows],
        definition=_(
            "Next steps not done whose due date is before today (in the pole's time zone), "
            "on active or paused projects, whoever they are assigned to. Today, whatever the "
            "period."),
        empty=_("No overdue next step."),
        shown=WORKLIST_SHOWN,
    )


def advisor_load(filters: ReviewFilters, active: list[Stage], today: date) -> Table:
    """Per advisor: active projects (per stage), overdue next steps, accompaniment hours
    logged in the period."""
    project_rules = _project_filters(filters)
    projects = db.session.execute(
        select(Project.advisor_id, Project.stage_id, func.count())
        .where(Project.status == ProjectStatus.ACTIVE.value, *project_rules)
        .group_by(Project.advisor_id, Project.stage_id)).all()
    overdue = dict(db.session.execute(
        select(NextStep.assignee_id, func.count())
        .join(Project, Project.id == NextStep.project_id)
        .where(NextStep.done_at.is_(None), NextStep.due_on < today,
               NextStep.assignee_id.is_not(None),
               Project.status.in_((ProjectStatus.ACTIVE.value, ProjectStatus.PAUSED.value)),
               *project_rules)
        .group_by(NextStep.assignee_id)).all())
    logged = (select(AccompanimentTime.advisor_id, func.sum(AccompanimentTime.minutes))
              .where(AccompanimentTime.spent_on >= filters.period.start,
                     AccompanimentTime.spent_on <= filters.period.end,
                     AccompanimentTime.advisor_id.is_not(None))
              .group_by(AccompanimentTime.advisor_id))
    if project_rules:  # without a filter, the time logged needs nothing of its project
        logged = (logged.join(Project, Project.id == AccompanimentTime.project_id)
                  .where(*project_rules))
    minutes = dict(db.session.execute(logged).all())
    per_stage: dict[int | None, dict[int, int]] = {}
    for advisor_id, stage_id, count in projects:
        per_stage.setdefault(advisor_id, {})[stage_id] = count
    ids = {i for i in [*per_stage, *overdue, *minutes] if i is not None}
    people = db.session.execute(
        select(User.id, User.name).where(or_(active_staff(), User.id.in_(ids)))).all()
    names = dict(people)
    if filters.advisor_id:
        shown = [filters.advisor_id] if filters.advisor_id in names else []
    else:
        shown = [uid for uid, _name in sorted_french(people, key=lambda p: p[1])]

    def row(name: str, advisor_id: int | None) -> tuple:
        stages_count = per_stage.get(advisor_id, {})
        hours = minutes.get(advisor_id)
        return (name, sum(stages_count.values()), *[stages_count.get(s.id, 0) for s in active],
                overdue.get(advisor_id, 0) if advisor_id else 0,
                (Decimal(hours) / 60).quantize(Decimal("0.01")) if hours else Decimal(0))

    rows = [row(names[uid], uid) for uid in shown]
    if None in per_stage and not filters.advisor_id:
        rows.append(row(_("Unassigned"), None))
    return Table(
        "advisor_load", _("Load per advisor"),
        [Column("advisor", _("Advisor")), Column("active", _("Active projects"), "count"),
         *[Column(f"stage_{s.id}", localized(s), "count") for s in active],
         Column("overdue", _("Overdue next steps"), "count"),
         Column("hours", _("Time they logged in the period (hours)"), "hours")],
        rows,
        definition=_(
            "For each staff member (and the projects without an advisor): the active "
            "projects they advise today, in total and per stage; the overdue next steps "
            "assigned to them (not done, due before today, on active or paused projects); the "
            "accompaniment time they logged on days of the period, in hours."),
    )


def cohort_comparison(filters: ReviewFilters, active: list[Stage]) -> Table:
    """One row per cohort (those of the filter, else every cohort not archived): its
    projects now, those on the board per current stage, paused, closed by outcome, the
    median lead time from submission to launch and the accompaniment hours logged on them.
    The advisor, theme and commune filters apply. Four statements (one without cohorts)."""
    chosen = set(filters.cohort_ids)
    cohorts = [c for c in all_cohorts() if (c.id in chosen if chosen else not c.is_archived)]
    ids = [c.id for c in cohorts]
    rules = _project_filters(replace(filters, cohort_ids=()))
    current = (CohortProject.cohort_id.in_(ids), CohortProject.left_at.is_(None))
    columns = [Column("cohort", _("Cohort")), Column("projects", _("Projects"), "count"),
               *[Column(f"stage_{s.id}", localized(s), "count") for s in active],
               Column("active", _("On the board"), "count"),
               Column("paused", _("Paused"), "count"),
               *[Column(o, str(OUTCOME_LABELS[o]), "count") for o in OUTCOMES],
               Column("lead_time", _("Median lead time to launch (days)"), "days"),
               Column("hours", _("Accompaniment (hours)"), "hours")]
    definition = _(
        "One row per cohort chosen in the filters, or, without that filter, per cohort not "
        "archived. Projects: those in the cohort now (a project taken out of it no longer "
        "counts; one in two cohorts counts in both). By their status today: on the board, "
        "per current stage; paused; closed, by outcome. Median lead time: calendar days "
        "from submission to the closing as launched, of the cohort's launched projects "
        "(nearest rank). Accompaniment: every hour of accompaniment time logged on its "
        "projects. Whatever the period; the advisor, theme and commune filters apply.")
    title = _("Cohorts compared")
    if not ids:
        return Table("cohorts", title, columns, [], definition=definition,
                     empty=_("No cohort to compare: add cohorts in the settings."))
    counts = db.session.execute(
        select(CohortProject.cohort_id, Project.status, Project.outcome, Project.stage_id,
               func.count())
        .join(Project, Project.id == CohortProject.project_id)
        .where(*current, *rules)
        .group_by(CohortProject.cohort_id, Project.status, Project.outcome,
                  Project.stage_id)).all()
    members = select(CohortProject.project_id).where(*current)
    submitted = (select(StageMove.project_id, func.min(StageMove.moved_at).label("at"))
                 .where(StageMove.from_stage_id.is_(None), StageMove.project_id.in_(members))
                 .group_by(StageMove.project_id).subquery())
    launches = (select(CohortProject.cohort_id.label("grp"),
                       days_between(Project.closed_at, submitted.c.at).label("days"))
                .join(Project, Project.id == CohortProject.project_id)
                .join(submitted, submitted.c.project_id == Project.id)
                .where(*current, Project.status == ProjectStatus.CLOSED.value,
                       Project.outcome == "launched", *rules)
                .subquery())
    ranked = _ranked(launches, launches.c.grp, launches.c.days)
    medians = {grp: median for grp, _count, median, _p80 in db.session.execute(
        select(ranked.c.grp, *_percentiles(ranked)).group_by(ranked.c.grp))}
    minutes = dict(db.session.execute(
        select(CohortProject.cohort_id, func.sum(AccompanimentTime.minutes))
        .join(AccompanimentTime, AccompanimentTime.project_id == CohortProject.project_id)
        .join(Project, Project.id == CohortProject.project_id)
        .where(*current, *rules)
        .group_by(CohortProject.cohort_id)).all())
    figures: dict[int, dict[str, int]] = {cid: {} for cid in ids}
    for cohort_id, status, outcome, stage_id, count in counts:
        row = figures[cohort_id]
        row["projects"] = row.get("projects", 0) + count
        if status == ProjectStatus.ACTIVE.value:
            row["active"] = row.get("active", 0) + count
            row[f"stage_{stage_id}"] = row.get(f"stage_{stage_id}", 0) + count
        elif status == ProjectStatus.PAUSED.value:
            row["paused"] = row.get("paused", 0) + count
        elif status == ProjectStatus.CLOSED.value and outcome in OUTCOMES:
            row[outcome] = row.get(outcome, 0) + count
    order = [c.id for c in cohorts]
    if chosen:  # in the order the filter gives
        order = [cid for cid in filters.cohort_ids if cid in figures]
    names = {c.id: localized(c) for c in cohorts}
    table_rows = []
    for cid in order:
        row = figures[cid]
        spent = minutes.get(cid)
        table_rows.append((
            names[cid], row.get("projects", 0),
            *[row.get(f"stage_{s.id}", 0) for s in active],
            row.get("active", 0), row.get("paused", 0), *[row.get(o, 0) for o in OUTCOMES],
            _round_days(medians.get(cid)),
            (Decimal(spent) / 60).quantize(Decimal("0.01")) if spent else Decimal(0)))
    return Table("cohorts", title, columns, table_rows, definition=definition)


@dataclass
class Review:
    """Everything the page shows."""

    filters: ReviewFilters
    tables: list[Table]
    flow_unit: str

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


TABLE_KEYS = ("stages_now", "flow", "entries_exits", "conversion", "time_in_stage",
              "lead_time", "stalled", "overdue_steps", "advisor_load", "cohorts")


def review(filters: ReviewFilters, now: datetime, today: date,
           only: str | None = None) -> Review:
    """Every figure of the review for ``filters``: a fixed number of statements. With
    ``only`` (a key of TABLE_KEYS, for its export), that table alone is computed."""
    analytic_statements()
    active, stages = reference(filters)
    unit, _buckets = flow_buckets(filters.period, now)
    builders = {
        "stages_now": lambda: stages_now(filters, active),
        "flow": lambda: cumulative_flow(filters, active, now),
        "entries_exits": lambda: entries_and_exits(filters),
        "conversion": lambda: conversion(filters, active),
        "time_in_stage": lambda: time_in_stage(filters, active, stages, now),
        "lead_time": lambda: lead_time(filters),
        "stalled": lambda: stalled(filters, stages, now),
        "overdue_steps": lambda: overdue_steps(filters, today),
        "advisor_load": lambda: advisor_load(filters, active, today),
        "cohorts": lambda: cohort_comparison(filters, active),
    }
    keys = TABLE_KEYS if only is None else (only,)
    return Review(filters, [builders[key]() for key in keys], unit)


def check_filters(filters: ReviewFilters) -> None:
    """Refuse an advisor or a theme the form never offers (a forged or stale address):
    raises FilterError, as /exports does, instead of showing empty figures. At most two
    statements, only when those filters are given."""
    if filters.advisor_id is not None and not is_staff_member(filters.advisor_id):
        raise FilterError(_("This advisor is not one of the pole's staff: choose one "
                            "in the list."))
    if filters.theme_id is not None and not is_theme(filters.theme_id):
        raise FilterError(_("This theme does not exist (any more): choose one in the list."))
    if filters.cohort_ids and len(existing_cohorts(filters.cohort_ids)) != len(filters.cohort_ids):
        raise FilterError(_("This cohort does not exist: choose one in the list."))


def filter_choices() -> dict[str, list]:
    """The advisor, theme and cohort choices of the filters' form."""
    return {"advisors": staff_members(), "themes": themes(), "cohorts": all_cohorts()}
