"""Reads around projects. Each query states its eager loading: a page costs a fixed number
of SQL statements whatever the number of projects."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import Project, ProjectEvent, ProjectHolder, StageMove, StatusChange, User
from ..permissions import visible_projects
from ..timeline import TimelineEntry


def with_card_details(statement: Select) -> Select:
    """What a project line shows: stage, theme, commune, advisor, holders."""
    return statement.options(
        joinedload(Project.stage),
        joinedload(Project.theme),
        joinedload(Project.advisor),
        selectinload(Project.holder_links).joinedload(ProjectHolder.user),
    )


def projects_of(user: User) -> list[Project]:
    """The projects ``user`` may see on "my projects": a holder's own, newest first."""
    statement = with_card_details(visible_projects(user)).order_by(
        Project.last_activity_at.desc(), Project.id.desc()
    )
    return list(db.session.scalars(statement).unique())


def timeline_entries(project: Project) -> list[TimelineEntry]:
    """The project's own history: stage moves, status changes and events (description,
    holders, advisor). The project page adds the features' entries (``project_page``)."""
    moves = db.session.scalars(
        select(StageMove)
        .where(StageMove.project_id == project.id)
        .options(joinedload(StageMove.from_stage), joinedload(StageMove.to_stage),
                 joinedload(StageMove.moved_by))
    )
    changes = db.session.scalars(
        select(StatusChange)
        .where(StatusChange.project_id == project.id)
        .options(joinedload(StatusChange.changed_by))
    )
    events = db.session.scalars(
        select(ProjectEvent)
        .where(ProjectEvent.project_id == project.id)
        # Committees' events are read (and filtered per reader) by committees.queries.
        .where(ProjectEvent.kind.not_like("committee_%"))
        # Accompaniment time's events are staff-only: read by accompaniment.queries.
        .where(ProjectEvent.kind.not_like("accompaniment_%"))
        # Cohorts' events are staff-only: read by cohorts.queries.
        .where(ProjectEvent.kind.not_like("cohort_%"))
        .options(joinedload(ProjectEvent.actor))
    )
    entries = [TimelineEntry("move", m.moved_at, m) for m in moves]
    entries += [TimelineEntry("status", c.changed_at, c) for c in changes]
    entries += [TimelineEntry("event", e.at, e, "projects/_event_entry.html") for e in events]
    return entries
