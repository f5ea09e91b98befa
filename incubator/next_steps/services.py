"""Writes of next steps: add one (telling its assignee), mark it done, reopen it.

Ticking and reopening each add a NextStepChange (append-only): the timeline keeps the "done"
entry of a step reopened since, and shows the reopening beside it.

Services flush, never commit. A step added or done counts as activity on the project (its
"stalled" mark on the board clears), without bumping the project's version: that version
guards moves on the board, and a ticked step must not turn an advisor's open move into a
conflict.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import NextStep, NextStepChange, Project, User, utcnow
from ..notifications.services import NEXT_STEP_ASSIGNED, notify


def add_step(project: Project, by: User, *, title: str, due_on: date,
             assignee: User, now: datetime | None = None) -> NextStep:
    """A new open step; its assignee is notified (unless they wrote it themselves).
    ``now`` back-dates it (demo data only)."""
    now = now or utcnow()
    step = NextStep(project_id=project.id, title=title, due_on=due_on, assignee_id=assignee.id,
                    created_by_id=by.id, created_at=now)
    db.session.add(step)
    project.last_activity_at = now
    db.session.flush()
    notify([assignee], NEXT_STEP_ASSIGNED, project, by, step=title)
    return step


def _switch(step: NextStep, still: ColumnElement[bool], **values) -> bool:
    """Write ``values`` on the step's row only while ``still`` holds, in one UPDATE: of two
    requests that read the step at once, only one changes it (and records the change)."""
    result = db.session.execute(
        update(NextStep).where(NextStep.id == step.id, still).values(**values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    for name, value in values.items():
        set_committed_value(step, name, value)
    return True


def mark_done(project: Project, step: NextStep, by: User,
              now: datetime | None = None) -> bool:
    """Tick the step done (by ``by``, now or at ``now`` for demo data) and record it.
    False when it already was, even ticked a moment ago by another request: the first
    tick stays, recorded once."""
    if step.done_at is not None:
        return False
    now = now or utcnow()
    if not _switch(step, NextStep.done_at.is_(None), done_at=now, done_by_id=by.id):
        return False  # ticked by a request that read it at the same time (a double click)
    set_committed_value(step, "done_by", by)
    project.last_activity_at = now
    db.session.add(NextStepChange(project_id=project.id, step_id=step.id, kind="done",
                                  by_id=by.id, at=now))
    db.session.flush()
    return True


def reopen(step: NextStep, by: User) -> bool:
    """Untick a done step (a mistaken tick, or work to do again) and record the reopening;
    the "done" record stays. False when it was open."""
    if step.done_at is None:
        return False
    if not _switch(step, NextStep.done_at.is_not(None), done_at=None, done_by_id=None):
        return False  # reopened by a request that read it at the same time
    set_committed_value(step, "done_by", None)
    db.session.add(NextStepChange(project_id=step.project_id, step_id=step.id,
                                  kind="reopened", by_id=by.id, at=utcnow()))
    db.session.flush()
    return True
