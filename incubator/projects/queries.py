"""Reads around projects. Each query states its eager loading: a page costs a fixed number
of SQL statements whatever the number of projects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import (
    LegalForm,
    Project,
    ProjectEvent,
    ProjectHolder,
    Stage,
    StageMove,
    StatusChange,
    Theme,
    User,
)
from ..permissions import visible_projects
from ..reference import TERRITORY_COMMUNES


def active_stages() -> list[Stage]:
    return list(db.session.scalars(select(Stage).where(Stage.active).order_by(Stage.position)))


def first_stage() -> Stage | None:
    return db.session.scalar(
        select(Stage).where(Stage.active).order_by(Stage.position).limit(1)
    )


def early_stage_ids() -> set[int]:
    """The first two active stages: where holders may still edit their description."""
    return {stage.id for stage in active_stages()[:2]}


def themes() -> list[Theme]:
    return list(db.session.scalars(select(Theme).where(Theme.active).order_by(Theme.position)))


def legal_forms() -> list[LegalForm]:
    return list(
        db.session.scalars(select(LegalForm).where(LegalForm.active).order_by(LegalForm.position))
    )


def commune_suggestions() -> list[str]:
    """The territory's communes plus every commune already used, sorted the French way."""
    used = db.session.scalars(select(Project.commune).where(Project.commune != "").distinct())
    names = set(TERRITORY_COMMUNES) | {name for name in used if name}
    return sorted(names, key=lambda n: n.casefold().replace("é", "e").replace("è", "e"))


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


@dataclass
class TimelineEntry:
    kind: str  # "move", "status", "event", or a feature's own ("note", "document"…)
    at: datetime
    item: Any
    template: str | None = None  # how a feature's entry is shown (a fragment)


def timeline(user: User, project: Project) -> list[TimelineEntry]:
    """What happened to the project, newest first, read from the history tables and
    filtered for ``user`` (holders never see internal notes or documents)."""
    from .sections import timeline_entries

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
        .options(joinedload(ProjectEvent.actor))
    )
    entries = [TimelineEntry("move", m.moved_at, m) for m in moves]
    entries += [TimelineEntry("status", c.changed_at, c) for c in changes]
    entries += [TimelineEntry("event", e.at, e, "projects/_event_entry.html") for e in events]
    entries += timeline_entries(user, project)
    return sorted(entries, key=lambda e: (e.at, e.kind, e.item.id), reverse=True)
