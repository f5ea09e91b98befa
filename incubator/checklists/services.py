"""Writes of the exit checklists (docs/checklists.md): a manager's changes to a stage's
criteria (each appends a ``StageCriterionChange``: who, when, what the criterion became), a
project's ticks (each appends a ``CriterionTick``), and the criteria a confirmed move left
unticked (``StageMoveUntickedCriterion``). Services flush; the route commits.

Every edit of a shared row is version-checked (``versions.save_version``): a rename from a
stale page, or two advisors ticking the same criterion from the same page, raise
StaleVersion (409) instead of overwriting each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    CriterionAction,
    CriterionTick,
    Project,
    ProjectCriterion,
    ProjectStatus,
    Stage,
    StageCriterion,
    StageCriterionChange,
    StageMove,
    StageMoveUntickedCriterion,
    User,
    utcnow,
)
from ..text import search_key
from ..versions import StaleVersion, check_version, save_version


class ChecklistError(Exception):
    """A change of a checklist that cannot be made; the message says why (422)."""

    status = 422


def _record(by: User, criterion: StageCriterion, action: CriterionAction,
            now: datetime | None = None) -> None:
    db.session.add(StageCriterionChange(
        criterion_id=criterion.id, stage_id=criterion.stage_id, action=action.value,
        name=criterion.name, name_en=criterion.name_en, position=criterion.position,
        active=criterion.active, changed_by_id=by.id, changed_at=now or utcnow()))


def _check_name(stage_id: int, name: str, other_than: int | None = None) -> None:
    """Raises ChecklistError when another criterion of the stage (than ``other_than``) has
    the name ``name``, accents and case aside."""
    key = search_key(name)
    taken = db.session.execute(select(StageCriterion.id, StageCriterion.name).where(
        StageCriterion.stage_id == stage_id))
    if any(search_key(existing) == key for cid, existing in taken if cid != other_than):
        raise ChecklistError(_("This stage already has a criterion called “%(name)s”.",
                               name=name))


def add_criterion(by: User, stage: Stage, name: str, name_en: str = "", *,
                  now: datetime | None = None) -> StageCriterion:
    """A new criterion, last of the stage's checklist. ``name`` (French) and ``name_en``
    (English, may be empty) are already stripped. Raises ChecklistError (the stage already
    has a criterion of that name, accents and case aside)."""
    _check_name(stage.id, name)
    last = db.session.scalar(select(func.max(StageCriterion.position))
                             .where(StageCriterion.stage_id == stage.id)) or 0
    criterion = StageCriterion(stage_id=stage.id, name=name, name_en=name_en,
                               position=last + 1, active=True, version=1)
    db.session.add(criterion)
    db.session.flush()
    _record(by, criterion, CriterionAction.ADDED, now)
    db.session.flush()
    return criterion


def rename_criterion(by: User, criterion: StageCriterion, seen_version: int | None,
                     name: str, name_en: str) -> bool:
    """Rename the criterion (French and English) from the version the manager saw. Returns
    False when nothing changed (nothing written). Old ticks and moves keep pointing at it
    and show its new name. Raises StaleVersion or ChecklistError (name taken)."""
    check_version(criterion, seen_version)
    if (criterion.name, criterion.name_en) == (name, name_en):
        return False
    _check_name(criterion.stage_id, name, other_than=criterion.id)
    save_version(criterion, seen_version, name=name, name_en=name_en)
    _record(by, criterion, CriterionAction.RENAMED)
    db.session.flush()
    return True


def move_criterion(by: User, criterion: StageCriterion, seen_version: int | None,
                   step: int) -> bool:
    """Swap the criterion with its neighbour above (``step`` -1) or below (+1) in the
    stage's checklist (retired ones included: they keep their place). Returns False at
    either end (nothing written). Raises StaleVersion."""
    check_version(criterion, seen_version)
    order = (StageCriterion.position.desc(), StageCriterion.id.desc()) if step < 0 else (
        StageCriterion.position, StageCriterion.id)
    beyond = (StageCriterion.position < criterion.position) if step < 0 else (
        StageCriterion.position > criterion.position)
    neighbour = db.session.scalar(
        select(StageCriterion).where(StageCriterion.stage_id == criterion.stage_id, beyond)
        .order_by(*order).limit(1))
    if neighbour is None:
        return False
    mine, theirs = criterion.position, neighbour.position
    save_version(criterion, seen_version, position=theirs)
    save_version(neighbour, neighbour.version, position=mine)
    _record(by, criterion, CriterionAction.MOVED)
    db.session.flush()
    return True


def set_active(by: User, criterion: StageCriterion, seen_version: int | None,
               active: bool) -> bool:
    """Retire the criterion (no longer asked for; old ticks and moves keep it) or bring it
    back. Returns False when it already was so. Raises StaleVersion."""
    check_version(criterion, seen_version)
    if criterion.active == active:
        return False
    save_version(criterion, seen_version, active=active)
    _record(by, criterion, CriterionAction.RESTORED if active else CriterionAction.RETIRED)
    db.session.flush()
    return True


def tick(by: User, project: Project, criterion: StageCriterion, seen_version: int | None,
         ticked: bool, *, now: datetime | None = None) -> ProjectCriterion:
    """Tick (``ticked`` True) or untick the criterion for the project, from the state's
    version the user saw (0: never ticked yet). Appends a CriterionTick; the project's
    last activity moves. The criterion must be an active one of the project's current stage
    (the route looks it up so). Raises StaleVersion (someone ticked or unticked it since,
    or the first tick raced another) or ChecklistError (the project is not in progress)."""
    if project.status != ProjectStatus.ACTIVE:
        raise ChecklistError(_("Only a project in progress has its checklist ticked."))
    now = now or utcnow()
    state = db.session.scalar(select(ProjectCriterion).where(
        ProjectCriterion.project_id == project.id,
        ProjectCriterion.criterion_id == criterion.id))
    if state is None:
        if seen_version != 0:
            raise StaleVersion()
        state = ProjectCriterion(project_id=project.id, criterion_id=criterion.id,
                                 ticked=ticked, changed_by_id=by.id, changed_at=now,
                                 version=1)
        try:
            with db.session.begin_nested():  # two first ticks at once: one wins
                db.session.add(state)
        except IntegrityError:
            raise StaleVersion() from None
    else:
        check_version(state, seen_version)
        if state.ticked == ticked:
            return state  # already so: nothing to record
        save_version(state, seen_version, ticked=ticked, changed_by_id=by.id, changed_at=now)
    db.session.add(CriterionTick(project_id=project.id, criterion_id=criterion.id,
                                 ticked=ticked, by_id=by.id, at=now))
    db.session.execute(update(Project)
                       .where(Project.id == project.id, Project.last_activity_at < now)
                       .values(last_activity_at=now)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    return state


def record_unticked(move: StageMove, criteria: Iterable[StageCriterion]) -> None:
    """Record, with ``move`` (flushed), the criteria of the stage it left that were not
    ticked (the mover confirmed leaving them so)."""
    db.session.add_all(StageMoveUntickedCriterion(move_id=move.id, criterion_id=c.id)
                       for c in criteria)
