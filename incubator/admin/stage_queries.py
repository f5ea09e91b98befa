"""Reads for the stage settings (/admin/stages): the stages with how many projects each
holds now, the projects that keep a stage from being retired, whether a name is taken, and
the latest changes. Read only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Project, ProjectStatus, Stage, StageSettingChange
from ..text import search_key

#: At most this many projects are linked from a refused retirement (then « and N others »).
BUSY_LINKS = 20


@dataclass
class StageRow:
    """A stage as the settings page lists it, with the projects in it now."""

    stage: Stage
    active: int = 0  # on the board
    paused: int = 0

    @property
    def holding(self) -> int:
        return self.active + self.paused


@dataclass
class StageList:
    """The active stages in order, then the retired ones (by their last position)."""

    active: list[StageRow]
    retired: list[StageRow]

    @property
    def order(self) -> list[int]:
        """The active stages' ids, top first: the order the page shows (and sends back)."""
        return [row.stage.id for row in self.active]

    @property
    def order_text(self) -> str:
        return ",".join(str(stage_id) for stage_id in self.order)


def stage_list() -> StageList:
    """Every stage with its count of active and paused projects (two statements)."""
    stages = list(db.session.scalars(
        select(Stage).order_by(Stage.active.desc(), Stage.position, Stage.id)))
    counts = db.session.execute(
        select(Project.stage_id, Project.status, func.count())
        .where(Project.status.in_((ProjectStatus.ACTIVE.value, ProjectStatus.PAUSED.value)),
               Project.stage_id.is_not(None))
        .group_by(Project.stage_id, Project.status))
    rows = {stage.id: StageRow(stage) for stage in stages}
    for stage_id, status, count in counts:
        row = rows.get(stage_id)
        if row is None:
            continue
        if status == ProjectStatus.ACTIVE.value:
            row.active = count
        else:
            row.paused = count
    return StageList([rows[s.id] for s in stages if s.active],
                     [rows[s.id] for s in stages if not s.active])


def stage_or_none(stage_id: int) -> Stage | None:
    return db.session.get(Stage, stage_id)


def busy_projects(stage_id: int, limit: int = BUSY_LINKS) -> list[Project]:
    """Up to ``limit`` projects (active, then paused) in the stage: those a refused
    retirement links to, in board order."""
    return list(db.session.scalars(
        select(Project)
        .where(Project.stage_id == stage_id,
               Project.status.in_((ProjectStatus.ACTIVE.value, ProjectStatus.PAUSED.value)))
        .order_by(Project.status, Project.position, Project.id).limit(limit)))


def name_taken(field: str, name: str, exclude_id: int | None = None) -> bool:
    """True when another stage (active or retired) has the same ``field`` ("name" or
    "name_en") ignoring case, accents and spacing (``text.search_key``)."""
    key = search_key(name)
    if not key:
        return False
    column = getattr(Stage, field)
    query = select(Stage.id, column)
    if exclude_id is not None:
        query = query.where(Stage.id != exclude_id)
    return any(search_key(value) == key for _id, value in db.session.execute(query))


def stage_history(limit: int = 10) -> list[StageSettingChange]:
    """The latest changes of the stage settings, newest first, with the stage and who made
    them (one statement)."""
    return list(db.session.scalars(
        select(StageSettingChange)
        .options(joinedload(StageSettingChange.changed_by), joinedload(StageSettingChange.stage))
        .order_by(StageSettingChange.id.desc()).limit(limit)))
