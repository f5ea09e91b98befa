"""Writes around projects: creating, editing and submitting an idea.

Services flush and record history themselves (a submission always writes its StageMove);
the route commits once.
"""

from __future__ import annotations

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
from ..versions import StaleVersion, save_version
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


def field_values(data: dict[str, Any]) -> dict[str, Any]:
    """The project's column values from the idea form's data."""
    values: dict[str, Any] = {}
    for name in EDITABLE_FIELDS:
        if name in data:
            value = data[name]
            if name in ("pitch", "need", "target_public", "planned_activity", "commune"):
                value = value or ""
            if name == "jobs_envisaged" and value is not None:
                value = value.quantize(Decimal("0.1"))
            values[name] = value
    if "funding_need" in data:
        values["funding_need_cents"] = euros_to_cents(data["funding_need"])
    return values


def apply_fields(project: Project, data: dict[str, Any]) -> None:
    """Copy the idea form's values onto ``project``."""
    for name, value in field_values(data).items():
        setattr(project, name, value)


def create_project(author: User, data: dict[str, Any], *, as_holder: bool = True) -> Project:
    """A new draft written by ``author`` (linked as its holder when ``as_holder``)."""
    now = utcnow()
    project = Project(
        status=ProjectStatus.DRAFT.value, created_by_id=author.id, created_at=now,
        last_activity_at=now,
    )
    apply_fields(project, data)
    db.session.add(project)
    db.session.flush()
    if as_holder:
        db.session.add(ProjectHolder(project_id=project.id, user_id=author.id, added_by_id=author.id))
        db.session.flush()
    return project


def update_project(project: Project, data: dict[str, Any], by: User | None = None, *,
                   seen_version: int | None) -> None:
    """Save the description and key facts if the project is still at ``seen_version`` (the
    version the editor's form was rendered from); once submitted, the edit is recorded in
    the timeline.

    Raises versions.StaleVersion when someone changed the project since: the holder and
    the advisor editing from the same version do not both get "saved"."""
    save_version(project, seen_version, **field_values(data), last_activity_at=utcnow())
    if by is not None and not project.is_draft:
        db.session.add(ProjectEvent(project_id=project.id, kind="description_edited",
                                    actor_id=by.id, detail={}))
    db.session.flush()


def submit_project(project: Project, by: User) -> StageMove:
    """Send a draft into the pipeline: first stage, end of its column, one stage move.

    Raises NotSubmittable when the project is not a draft or no stage is active."""
    if project.status != ProjectStatus.DRAFT:
        raise NotSubmittable("not a draft")
    stage = first_stage()
    if stage is None:
        raise NotSubmittable("no active stage")
    now = utcnow()
    try:  # a second submission of the same draft (another tab) finds it submitted
        save_version(project, project.version,
                     where=(Project.status == ProjectStatus.DRAFT.value,),
                     status=ProjectStatus.ACTIVE.value, stage_id=stage.id, submitted_at=now,
                     stage_entered_at=now, last_activity_at=now)
    except StaleVersion:
        raise NotSubmittable("not a draft any more") from None
    move = StageMove(
        project_id=project.id, from_stage_id=None, to_stage_id=stage.id, moved_by_id=by.id,
        moved_at=now,
    )
    db.session.add(move)
    db.session.flush()
    place_at_end(project, stage.id)
    notify.idea_submitted(project, by)
    return move
