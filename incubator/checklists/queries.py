"""Reads of the exit checklists: a stage's criteria (the managers' page), a project's
checklist (its page), the criteria a move would leave unticked (the board) and the
checklists' timeline entries (docs/checklists.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    CriterionTick,
    Project,
    ProjectCriterion,
    Stage,
    StageCriterion,
    StageCriterionChange,
    StageMove,
    StageMoveUntickedCriterion,
    User,
)
from ..permissions import can_tick_criteria, sees_checklist
from ..timeline import TimelineEntry


def all_stages() -> list[Stage]:
    """Every stage, retired ones included, in the board's order (the page's stage menu)."""
    return list(db.session.scalars(select(Stage).order_by(Stage.position, Stage.id)))


def stage_criteria(stage_id: int) -> list[StageCriterion]:
    """Every criterion of the stage, active and retired, in the checklist's order."""
    return list(db.session.scalars(
        select(StageCriterion).where(StageCriterion.stage_id == stage_id)
        .order_by(StageCriterion.position, StageCriterion.id)))


def criterion_of_stage(stage_id: int, criterion_id: int) -> StageCriterion | None:
    """The criterion ``criterion_id`` if it belongs to stage ``stage_id`` (a criterion id
    from another stage's page is not found)."""
    return db.session.scalar(select(StageCriterion).where(
        StageCriterion.id == criterion_id, StageCriterion.stage_id == stage_id))


def changes(stage_id: int, limit: int = 50) -> list[StageCriterionChange]:
    """The latest changes of the stage's checklist, newest first (who, when, what)."""
    return list(db.session.scalars(
        select(StageCriterionChange).where(StageCriterionChange.stage_id == stage_id)
        .options(joinedload(StageCriterionChange.changed_by))
        .order_by(StageCriterionChange.changed_at.desc(), StageCriterionChange.id.desc())
        .limit(limit)))


@dataclass
class ChecklistLine:
    """One criterion of a project's checklist: ``state`` is None until first ticked
    (``version`` 0 then: the form's "seen" version)."""

    criterion: StageCriterion
    state: ProjectCriterion | None

    @property
    def ticked(self) -> bool:
        return bool(self.state and self.state.ticked)

    @property
    def version(self) -> int:
        return self.state.version if self.state else 0


@dataclass
class Checklist:
    project: Project
    stage: Stage | None
    lines: list[ChecklistLine] = field(default_factory=list)
    can_tick: bool = False

    @property
    def unticked(self) -> int:
        return sum(1 for line in self.lines if not line.ticked)


def project_checklist(user: User, project: Project) -> Checklist:
    """The active criteria of the project's current stage with the project's state of each
    (two statements). Its stage is loaded with the project (``project.stage``)."""
    stage = project.stage if project.stage_id is not None else None
    checklist = Checklist(project, stage, can_tick=can_tick_criteria(user, project))
    if stage is None:
        return checklist
    rows = db.session.execute(
        select(StageCriterion, ProjectCriterion)
        .outerjoin(ProjectCriterion, and_(ProjectCriterion.criterion_id == StageCriterion.id,
                                          ProjectCriterion.project_id == project.id))
        .where(StageCriterion.stage_id == stage.id, StageCriterion.active)
        .options(joinedload(ProjectCriterion.changed_by))
        .order_by(StageCriterion.position, StageCriterion.id))
    checklist.lines = [ChecklistLine(criterion, state) for criterion, state in rows]
    return checklist


def checklist_line(project: Project, criterion_id: int) -> ChecklistLine | None:
    """One active criterion of the project's current stage with its state (None: not a
    criterion of that stage, or retired)."""
    row = db.session.execute(
        select(StageCriterion, ProjectCriterion)
        .outerjoin(ProjectCriterion, and_(ProjectCriterion.criterion_id == StageCriterion.id,
                                          ProjectCriterion.project_id == project.id))
        .where(StageCriterion.id == criterion_id, StageCriterion.stage_id == project.stage_id,
               StageCriterion.active)
        .options(joinedload(ProjectCriterion.changed_by))).first()
    return ChecklistLine(row[0], row[1]) if row else None


# Built once (its cache key too): every change of stage reads it.
_UNTICKED = (
    select(StageCriterion)
    .outerjoin(ProjectCriterion, and_(ProjectCriterion.criterion_id == StageCriterion.id,
                                      ProjectCriterion.project_id == bindparam("project_id")))
    .where(StageCriterion.stage_id == bindparam("stage_id"), StageCriterion.active,
           ProjectCriterion.ticked.is_not(True))
    .order_by(StageCriterion.position, StageCriterion.id))


def unticked_criteria(project_id: int, stage_id: int) -> list[StageCriterion]:
    """The active criteria of stage ``stage_id`` the project has not ticked, in order: what
    leaving the stage would leave undone. One statement (the board's move pays only this)."""
    return list(db.session.scalars(_UNTICKED, {"project_id": project_id, "stage_id": stage_id}))


def section(user: User, project: Project) -> dict[str, Any]:
    """The project page's checklist section (None when the user may not see it)."""
    if not sees_checklist(user, project):
        return {"checklist": None}
    return {"checklist": project_checklist(user, project)}


@dataclass
class UntickedAtMove:
    """The criteria a move left unticked (a timeline entry beside the move)."""

    id: int  # the move's
    move: StageMove
    criteria: Sequence[StageCriterion]
    at: datetime


def timeline_entries(user: User, project: Project) -> list[TimelineEntry]:
    """Ticks and unticks of the project's criteria, and the criteria its moves left
    unticked, for whoever sees its checklist."""
    if not sees_checklist(user, project):
        return []
    ticks = db.session.scalars(
        select(CriterionTick).where(CriterionTick.project_id == project.id)
        .options(joinedload(CriterionTick.criterion), joinedload(CriterionTick.by)))
    entries = [TimelineEntry("criterion", t.at, t, "checklists/_tick_entry.html")
               for t in ticks]
    unticked: dict[int, UntickedAtMove] = {}
    rows = db.session.execute(
        select(StageMove, StageCriterion)
        .join(StageMoveUntickedCriterion, StageMoveUntickedCriterion.move_id == StageMove.id)
        .join(StageCriterion, StageCriterion.id == StageMoveUntickedCriterion.criterion_id)
        .where(StageMove.project_id == project.id)
        .options(joinedload(StageMove.from_stage))
        .order_by(StageMove.id, StageCriterion.position, StageCriterion.id))
    for move, criterion in rows:
        entry = unticked.setdefault(move.id, UntickedAtMove(move.id, move, [], move.moved_at))
        entry.criteria.append(criterion)  # type: ignore[attr-defined]
    entries += [TimelineEntry("unticked", e.at, e, "checklists/_unticked_entry.html")
                for e in unticked.values()]
    return entries
