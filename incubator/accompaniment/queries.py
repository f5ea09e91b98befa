"""Reads of accompaniment time: the project page's section (newest entries first, capped,
and the totals per kind), one entry, the timeline's lines, and SQL totals the review and
the funders' report can reuse.

Every read costs a fixed number of SQL statements whatever the number of entries: the
section is two (the grouped totals, the entries with their advisor), the totals one each.

Shapes of the reusable totals (all in whole minutes; ``durations.minutes_to_hours`` turns
minutes into a Decimal of hours for a ``tables.Column`` of kind ``hours``):
- ``minutes_by_kind(project_id=None, since=None, until=None, advisor_id=None)`` →
  ``{kind: minutes}`` for the kinds that have time (``AccompanimentKind`` values);
- ``minutes_by_project(since=None, until=None)`` → ``{project_id: {kind: minutes}}``;
- ``minutes_by_advisor(since=None, until=None)`` → ``{advisor_id or None: minutes}``;
- ``totals_statement(*group_by, since=None, until=None)``: the ``SELECT group_by…,
  sum(minutes) AS minutes, count(*) AS entries`` itself, to join or filter further
  (``since`` and ``until`` are days, both included, on ``spent_on``);
- ``hours_by_kind_table(...)``: ``minutes_by_kind`` as a ``tables.Table`` (kind, entries,
  hours, with its total), ready to show, chart or export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..labels import ACCOMPANIMENT_KIND_LABELS
from ..models import AccompanimentKind, AccompanimentTime, Project, ProjectEvent, User
from ..permissions import can_change_accompaniment, sees_accompaniment
from ..tables import Column, Table
from ..timeline import TimelineEntry
from .durations import minutes_to_hours

#: The section shows this many entries; "Show all" the others.
SHOWN = 10
#: The kinds in the order the section and the tables list them.
KINDS = tuple(k.value for k in AccompanimentKind)
#: The events of the project's timeline that only staff see (``projects.queries`` leaves
#: them out of the project's own history).
EVENTS = ("accompaniment_added", "accompaniment_changed", "accompaniment_deleted")


@dataclass
class AccompanimentSection:
    """A project's accompaniment time: its newest entries (all of them when ``complete``),
    the minutes and number of entries per kind, and in all."""

    entries: list[AccompanimentTime]
    minutes: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    changeable: frozenset[int] = frozenset()  # ids of the entries the reader may change
    complete: bool = True

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes.values())

    @property
    def total_entries(self) -> int:
        return sum(self.counts.values())

    @property
    def hidden(self) -> int:
        """How many entries the capped list leaves out."""
        return self.total_entries - len(self.entries)


def totals_statement(*group_by: Any, since: date | None = None,
                     until: date | None = None) -> Select:
    """``SELECT <group_by…>, sum(minutes) AS minutes, count(*) AS entries`` over the
    accompaniment time between ``since`` and ``until`` (days, both included), grouped by
    ``group_by`` (columns of ``AccompanimentTime``)."""
    statement = select(*group_by, func.sum(AccompanimentTime.minutes).label("minutes"),
                       func.count().label("entries")).select_from(AccompanimentTime)
    if since is not None:
        statement = statement.where(AccompanimentTime.spent_on >= since)
    if until is not None:
        statement = statement.where(AccompanimentTime.spent_on <= until)
    return statement.group_by(*group_by)


def minutes_by_kind(project_id: int | None = None, since: date | None = None,
                    until: date | None = None, advisor_id: int | None = None
                    ) -> dict[str, int]:
    """Minutes per kind (only the kinds with time), for one project or all, one advisor or
    all, over a period or all time. One statement."""
    statement = totals_statement(AccompanimentTime.kind, since=since, until=until)
    if project_id is not None:
        statement = statement.where(AccompanimentTime.project_id == project_id)
    if advisor_id is not None:
        statement = statement.where(AccompanimentTime.advisor_id == advisor_id)
    return {kind: int(minutes) for kind, minutes, _count in db.session.execute(statement)}


def minutes_by_project(since: date | None = None, until: date | None = None
                       ) -> dict[int, dict[str, int]]:
    """Per project, its minutes per kind over the period. One statement."""
    rows = db.session.execute(totals_statement(
        AccompanimentTime.project_id, AccompanimentTime.kind, since=since, until=until))
    totals: dict[int, dict[str, int]] = {}
    for project_id, kind, minutes, _count in rows:
        totals.setdefault(project_id, {})[kind] = int(minutes)
    return totals


def minutes_by_advisor(since: date | None = None, until: date | None = None
                       ) -> dict[int | None, int]:
    """Per advisor (None: an account deleted since), their minutes over the period. One
    statement."""
    rows = db.session.execute(totals_statement(AccompanimentTime.advisor_id, since=since,
                                               until=until))
    return {advisor_id: int(minutes) for advisor_id, minutes, _count in rows}


def hours_by_kind_table(project_id: int | None = None, since: date | None = None,
                        until: date | None = None) -> Table:
    """Hours per kind of contact as a ``Table`` (key ``accompaniment_by_kind``): kind,
    entries, hours, and the total. One statement."""
    statement = totals_statement(AccompanimentTime.kind, since=since, until=until)
    if project_id is not None:
        statement = statement.where(AccompanimentTime.project_id == project_id)
    found = {kind: (int(minutes), int(count))
             for kind, minutes, count in db.session.execute(statement)}
    rows = [(str(ACCOMPANIMENT_KIND_LABELS[kind]), found[kind][1],
             minutes_to_hours(found[kind][0])) for kind in KINDS if kind in found]
    total = sum(m for m, _c in found.values())
    return Table(
        "accompaniment_by_kind", _("Accompaniment time per kind of contact"),
        [Column("kind", _("Kind of contact")), Column("entries", _("Entries"), "count"),
         Column("hours", _("Hours"), "hours")],
        rows,
        definition=_("The time staff logged on the projects' pages, by the day it was "
                     "spent, added up per kind of contact."),
        footer=(_("Total"), sum(c for _m, c in found.values()), minutes_to_hours(total))
        if rows else None,
        empty=_("No accompaniment time logged."))


def project_section(user: User, project: Project, complete: bool = False
                    ) -> AccompanimentSection:
    """The project's time, newest first (``SHOWN`` of them unless ``complete``), with the
    totals per kind: two statements."""
    totals = db.session.execute(totals_statement(AccompanimentTime.kind).where(
        AccompanimentTime.project_id == project.id))
    minutes: dict[str, int] = {}
    counts: dict[str, int] = {}
    for kind, total, count in totals:
        minutes[kind], counts[kind] = int(total), int(count)
    statement = (select(AccompanimentTime)
                 .where(AccompanimentTime.project_id == project.id)
                 .options(joinedload(AccompanimentTime.advisor))
                 .order_by(AccompanimentTime.spent_on.desc(), AccompanimentTime.id.desc()))
    if not complete:
        statement = statement.limit(SHOWN)
    entries = list(db.session.scalars(statement))
    changeable = frozenset(e.id for e in entries
                           if can_change_accompaniment(user, e.advisor_id, e.created_by_id))
    return AccompanimentSection(entries, minutes, counts, changeable,
                                complete or sum(counts.values()) <= len(entries))


def section(user: User, project: Project, complete: bool = False) -> dict[str, Any]:
    """What the project page's « Temps d'accompagnement » section shows: None for who may
    not see it (its forms are built by ``accompaniment.forms.section_forms``)."""
    if not sees_accompaniment(user, project):
        return {"accompaniment": None}
    return {"accompaniment": project_section(user, project, complete)}


def entry_of(project_id: int, entry_id: int) -> AccompanimentTime | None:
    """The entry with its advisor, if it belongs to that project."""
    return db.session.scalars(select(AccompanimentTime).where(
        AccompanimentTime.id == entry_id, AccompanimentTime.project_id == project_id)
        .options(joinedload(AccompanimentTime.advisor))).one_or_none()


def timeline_entries(user: User, project: Project) -> list[TimelineEntry]:
    """The ``accompaniment_*`` events of the project (logged, changed, deleted), for staff
    only. One statement (none for others)."""
    if not sees_accompaniment(user, project):
        return []
    events = db.session.scalars(
        select(ProjectEvent)
        .where(ProjectEvent.project_id == project.id, ProjectEvent.kind.in_(EVENTS))
        .options(joinedload(ProjectEvent.actor)))
    return [TimelineEntry("event", e.at, e, "projects/_event_entry.html") for e in events]
