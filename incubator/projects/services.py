"""Writes around projects: creating, editing and submitting an idea.

Services flush and record history themselves (a submission always writes its StageMove);
the route commits once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .. import notify
from ..board.positions import place_at_end
from ..extensions import db
from ..models import (
    Project,
    ProjectEvent,
    ProjectHolder,
    ProjectStatus,
    StageMove,
    User,
    utcnow,
)
from .queries import first_stage

EDITABLE_FIELDS = (
    "title", "pitch", "need", "target_public", "planned_activity", "theme_id", "commune",
    "kind", "legal_form_id", "jobs_envisaged",
)


class NotSubmittable(ValueError):
    """The project is not a draft, or no stage is open to receive it."""


def euros_to_cents(amount: Decimal | None) -> int | None:
    if amount is None:
        return None
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def apply_fields(project: Project, data: dict[str, Any]) -> None:
    """Copy the idea form's values onto ``project``."""
    for name in EDITABLE_FIELDS:
        if name in data:
            value = data[name]
            if name in ("pitch", "need", "target_public", "planned_activity", "commune"):
                value = value or ""
            setattr(project, name, value)
    if "funding_need" in data:
        project.funding_need_cents = euros_to_cents(data["funding_need"])
    if project.jobs_envisaged is not None:
        project.jobs_envisaged = project.jobs_envisaged.quantize(Decimal("0.1"))


def create_project(author: User, data: dict[str, Any], *, as_holder: bool = True,
                   now: datetime | None = None) -> Project:
    """A new draft written by ``author`` (linked as its holder when ``as_holder``).
    ``now`` back-dates it (demo data only)."""
    now = now or utcnow()
    project = Project(
        status=ProjectStatus.DRAFT.value, created_by_id=author.id, created_at=now,
        last_activity_at=now,
    )
    apply_fields(project, data)
    db.session.add(project)
    db.session.flush()
    if as_holder:
        db.session.add(ProjectHolder(project_id=project.id, user_id=author.id,
                                     added_by_id=author.id, added_at=now))
        db.session.flush()
    return project


def update_project(project: Project, data: dict[str, Any], by: User | None = None) -> None:
    """Save the description; once submitted, the edit is recorded in the timeline."""
    apply_fields(project, data)
    project.last_activity_at = utcnow()
    project.version += 1
    if by is not None and not project.is_draft:
        db.session.add(ProjectEvent(project_id=project.id, kind="description_edited",
                                    actor_id=by.id, detail={}))
    db.session.flush()


def submit_project(project: Project, by: User, *, now: datetime | None = None) -> StageMove:
    """Send a draft into the pipeline: first stage, end of its column, one stage move.
    ``now`` back-dates it (demo data only).

    Raises NotSubmittable when the project is not a draft or no stage is active."""
    if project.status != ProjectStatus.DRAFT:
        raise NotSubmittable("not a draft")
    stage = first_stage()
    if stage is None:
        raise NotSubmittable("no active stage")
    now = now or utcnow()
    project.status = ProjectStatus.ACTIVE.value
    project.stage_id = stage.id
    project.submitted_at = now
    project.stage_entered_at = now
    project.last_activity_at = now
    project.version += 1
    move = StageMove(
        project_id=project.id, from_stage_id=None, to_stage_id=stage.id, moved_by_id=by.id,
        moved_at=now,
    )
    db.session.add(move)
    db.session.flush()
    place_at_end(project, stage.id)
    notify.idea_submitted(project, by)
    return move
