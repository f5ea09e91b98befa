"""Writes on the board: moving a project between or within stages, pausing, closing and
reopening it. Both the htmx endpoints and the plain forms call these.

Each service checks the project's version in the UPDATE itself (``versions.save_version``),
so two advisors moving the same card from the same version cannot both win, even across
app processes; the loser gets ``Conflict``. History is recorded here (StageMove,
StatusChange), never by the caller. Services flush; the route commits.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from ..checklists.queries import unticked_criteria
from ..checklists.services import record_unticked
from ..extensions import db
from ..models import Project, ProjectStatus, Stage, StageCriterion, StatusChange, User, utcnow
from ..notifications.services import project_moved
from ..positions import PositionTaken, place_at_end, take_position
from ..projects.services import record_jobs_created
from ..stage_history import record_stage_move, record_status_change
from ..versions import StaleVersion, save_version, save_version_prebuilt, versioned_update


class BoardError(Exception):
    """A board change that cannot be made; ``status`` is the HTTP answer."""

    status = 422


class Conflict(BoardError):
    """Someone changed the project since the version the user saw."""

    status = 409


class UnknownStage(BoardError):
    status = 422


class CommentRequired(BoardError):
    """Moving back a stage needs a word of explanation."""

    status = 422


class NotOnBoard(BoardError):
    """The project is not active (draft, paused or closed): it is not on the board."""

    status = 409


class UntickedCriteria(BoardError):
    """The project would leave its stage with exit criteria unticked: the mover confirms
    first (``criteria``: those criteria, in the checklist's order). Nothing was written."""

    status = 200

    def __init__(self, criteria: list[StageCriterion]):
        super().__init__()
        self.criteria = criteria


@dataclass
class MoveResult:
    project: Project
    from_stage_id: int | None
    stage_changed: bool


def _claim(project: Project, seen_version: int, current_status: str, **values) -> None:
    """Update the project only if it is still at ``seen_version`` and ``current_status``
    (the loaded project is told the new values); raises Conflict otherwise."""
    try:
        save_version(project, seen_version, where=(Project.status == current_status,),
                     **values)
    except StaleVersion:
        raise Conflict() from None


def active_stage(stage_id: int | None) -> Stage:
    """The active stage ``stage_id``; raises UnknownStage when there is none."""
    stage = db.session.get(Stage, stage_id) if stage_id else None
    if stage is None or not stage.active:
        raise UnknownStage()
    return stage


def move_project(project: Project, by: User, *, stage_id: int, seen_version: int,
                 after_id: int | None = None, index: int | None = None,
                 comment: str | None = None, now: datetime | None = None,
                 leave_unticked: bool | Collection[int] = False) -> MoveResult:
    """Put ``project`` in stage ``stage_id``, after card ``after_id`` (0: at the top) or at
    ``index`` (1-based), or at the end. A change of stage records a StageMove; a reorder
    inside the column does not. Writes the project row and, on a change of stage, one
    StageMove (plus, rarely, a renumbering of the target column). ``now`` back-dates the
    move (demo data only). Leaving a stage whose exit criteria are not all ticked needs
    ``leave_unticked``: True, or the ids of the criteria the mover confirmed leaving (a
    criterion unticked since the question was asked makes it ask again); the unticked ones
    are recorded with the move.

    Raises UnknownStage (no such active stage), NotOnBoard (the project is not active),
    Conflict (it changed since ``seen_version``, or concurrent moves kept taking the free
    place: ``positions.take_position``), CommentRequired (a move back a stage
    without a comment) or UntickedCriteria (exit criteria unticked and not left knowingly,
    see ``leave_unticked``); every one is a BoardError carrying its HTTP status."""
    target = active_stage(stage_id)
    if project.status != ProjectStatus.ACTIVE:
        raise NotOnBoard()
    if project.version != seen_version:
        raise Conflict()
    source_id = project.stage_id
    stage_changed = source_id != target.id
    backwards = False
    if stage_changed and source_id is not None:
        source = db.session.get(Stage, source_id)
        backwards = source is not None and target.position < source.position
    comment = (comment or "").strip() or None
    if backwards and not comment:
        raise CommentRequired()
    # One statement, only when the stage changes: the exit criteria left undone.
    unticked = unticked_criteria(project.id, source_id) if (
        stage_changed and source_id is not None) else []
    if unticked and not (leave_unticked is True or (
            leave_unticked and {c.id for c in unticked} <= set(leave_unticked))):
        raise UntickedCriteria(unticked)

    now = now or utcnow()
    values = {"stage_id": target.id, "last_activity_at": now}
    if stage_changed:
        values["stage_entered_at"] = now
    claim = versioned_update(Project, (*values, "position"), status=ProjectStatus.ACTIVE.value)

    def claim_at(position: int) -> None:
        # One UPDATE claims the row at the version the user saw (the concurrency check)
        # and puts it in its new place: positions.take_position calls it in its savepoint
        # with the free place it found among the other cards (again if a concurrent move
        # took that place first).
        try:
            save_version_prebuilt(project, seen_version, claim, **values, position=position)
        except StaleVersion:
            raise Conflict() from None

    try:
        take_position(project, target.id, after_id=after_id, index=index, write=claim_at)
    except PositionTaken:  # concurrent moves kept taking the free place: the true state
        raise Conflict() from None
    # The loaded project's stage follows its stage_id (the route keeps it across the commit).
    set_committed_value(project, "stage", target)
    if stage_changed:
        move = record_stage_move(project.id, source_id, target.id, moved_by_id=by.id,
                                 moved_at=now, comment=comment)
        if unticked:
            db.session.flush()  # the move's id
            record_unticked(move, unticked)
    db.session.flush()
    if stage_changed:  # a reorder inside the column tells nobody
        project_moved(project, by, target)
    return MoveResult(project, source_id, stage_changed)


def _change_status(project: Project, by: User, seen_version: int, to_status: ProjectStatus,
                   *, outcome: str | None = None, reason: str | None = None,
                   values: dict | None = None, now: datetime | None = None) -> StatusChange:
    """Set the status (checking the version in the UPDATE) and record the change.
    Raises Conflict when the project changed since ``seen_version``."""
    now = now or utcnow()
    from_status, stage_id = project.status, project.stage_id
    _claim(project, seen_version, from_status, status=to_status.value,
           last_activity_at=now, **(values or {}))
    change = record_status_change(project.id, from_status, to_status.value,
                                  stage_id=stage_id, changed_at=now, outcome=outcome,
                                  reason=reason, changed_by_id=by.id)
    db.session.flush()
    return change


def close_project(project: Project, by: User, seen_version: int, outcome: str,
                  reason: str, *, jobs_created: Decimal | None = None,
                  now: datetime | None = None) -> StatusChange:
    """Close an active or paused project with an outcome; it leaves the board, keeps its
    stage and history, and can be reopened. Launched, the jobs it created (FTE, optional)
    are recorded with it (a ``jobs_created`` event when they change); otherwise none are.
    ``now`` back-dates it (demo data only).

    Raises NotOnBoard (the project is a draft or already closed) or Conflict (it changed
    since ``seen_version``)."""
    if project.status not in (ProjectStatus.ACTIVE, ProjectStatus.PAUSED):
        raise NotOnBoard()
    now = now or utcnow()
    jobs_before = project.jobs_created
    if outcome != "launched" or jobs_created is None:
        jobs_created = None if outcome != "launched" else jobs_before
    else:
        jobs_created = jobs_created.quantize(Decimal("0.01"))
    change = _change_status(
        project, by, seen_version, ProjectStatus.CLOSED, outcome=outcome, reason=reason,
        values={"position": None, "outcome": outcome, "outcome_reason": reason,
                "closed_at": now, "jobs_created": jobs_created}, now=now,
    )
    record_jobs_created(project, by, jobs_before, now=now)
    db.session.flush()
    return change


def pause_project(project: Project, by: User, seen_version: int,
                  reason: str | None, *, now: datetime | None = None) -> StatusChange:
    """Take an active project off the board for a while, keeping its stage. ``now``
    back-dates it (demo data only).

    Raises NotOnBoard (the project is not active) or Conflict (it changed since
    ``seen_version``)."""
    if project.status != ProjectStatus.ACTIVE:
        raise NotOnBoard()
    return _change_status(project, by, seen_version, ProjectStatus.PAUSED, reason=reason,
                          values={"position": None}, now=now)


def reopen_project(project: Project, by: User, seen_version: int) -> StatusChange:
    """Put a paused or closed project back on the board, at the end of its stage's column
    (or of the first stage if its stage was retired).

    Raises NotOnBoard (the project is neither paused nor closed), UnknownStage (no stage is
    active to take it) or Conflict (it changed since ``seen_version``, or concurrent moves
    kept taking the end of the column)."""
    if project.status not in (ProjectStatus.PAUSED, ProjectStatus.CLOSED):
        raise NotOnBoard()
    stage = db.session.get(Stage, project.stage_id) if project.stage_id else None
    if stage is None or not stage.active:
        stage = db.session.scalar(select(Stage).where(Stage.active).order_by(Stage.position))
        if stage is None:
            raise UnknownStage()
    values = {"stage_id": stage.id, "outcome": None, "outcome_reason": None, "closed_at": None}
    previous_stage = project.stage_id
    if stage.id != previous_stage:
        values["stage_entered_at"] = utcnow()
    change = _change_status(project, by, seen_version, ProjectStatus.ACTIVE, values=values)
    if stage.id != previous_stage:  # its stage was retired: the move is history too
        record_stage_move(project.id, previous_stage, stage.id, moved_by_id=by.id,
                          moved_at=change.changed_at)
        db.session.flush()
    try:
        place_at_end(project, stage.id)
    except PositionTaken:
        raise Conflict() from None
    return change
