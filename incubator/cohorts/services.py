"""Writes of the cohorts: create, edit (version-checked), archive or bring back a cohort,
each change appending a ``CohortVersion`` (who, when, what it became); add a project to a
cohort and take it out (the membership row stays, its ``left_at`` set once).

A project joining or leaving a cohort is written on its timeline as a ``ProjectEvent``
(``cohort_joined``, ``cohort_left``; ``detail`` keeps the cohort's name as it was).
Services flush, never commit; they refuse with ``CohortError`` (a message for the user)
before writing anything, or ``versions.StaleVersion`` when the cohort changed since the
version the user saw.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    Cohort,
    CohortProject,
    CohortVersion,
    Project,
    ProjectEvent,
    ProjectStatus,
    User,
    column_key,
    utcnow,
)
from ..versions import StaleVersion, check_version, save_version

#: The fields a manager edits, in the history's order.
FIELDS = ("name", "name_en", "description", "starts_on", "ends_on")


class CohortError(ValueError):
    """A change of a cohort the rules refuse; ``str()`` is the message for the user."""


def _taken_message(name: str) -> str:
    return _("A cohort is already named %(name)s (capitals and accents aside): choose "
             "another name.", name=name)


def _check(values: dict, cohort_id: int | None = None) -> None:
    """Raises CohortError when the end is not after the start, or another cohort has the
    same name whatever the case and accents (one statement)."""
    starts_on: date = values["starts_on"]
    ends_on: date = values["ends_on"]
    if ends_on <= starts_on:
        raise CohortError(_("The cohort must end after it starts."))
    same = select(Cohort.id).where(Cohort.name_key == column_key(Cohort.name_key,
                                                                   values["name"]))
    if cohort_id is not None:
        same = same.where(Cohort.id != cohort_id)
    if db.session.scalar(same.limit(1)) is not None:
        raise CohortError(_taken_message(values["name"]))


def _record(cohort: Cohort, by: User | None, changed: list[str], at: datetime) -> None:
    db.session.add(CohortVersion(
        cohort_id=cohort.id, version=cohort.version, archived=cohort.is_archived,
        changed_fields=",".join(changed), changed_by_id=by.id if by else None, changed_at=at,
        **{name: getattr(cohort, name) for name in FIELDS}))


def create_cohort(by: User | None, *, name: str, starts_on: date, ends_on: date,
                  name_en: str = "", description: str = "",
                  now: datetime | None = None) -> Cohort:
    """A new cohort and its first history row ("created"). Raises CohortError (dates,
    name taken, two managers creating the same name at once)."""
    values = {"name": name, "name_en": name_en, "description": description,
              "starts_on": starts_on, "ends_on": ends_on}
    _check(values)
    now = now or utcnow()
    cohort = Cohort(created_by_id=by.id if by else None, created_at=now, updated_at=now,
                    version=1, **values)
    try:
        with db.session.begin_nested():  # the unique name key decides between two creations
            db.session.add(cohort)
    except IntegrityError:
        raise CohortError(_taken_message(name)) from None
    _record(cohort, by, ["created"], now)
    db.session.flush()
    return cohort


def update_cohort(cohort: Cohort, by: User | None, seen_version: int | None,
                  **values) -> list[str]:
    """Write ``values`` (the FIELDS) if nobody changed the cohort since ``seen_version``;
    appends a history row naming the fields changed. Returns them (empty: nothing changed,
    nothing written). Raises StaleVersion, or CohortError (dates, name taken)."""
    check_version(cohort, seen_version)
    merged = {name: values.get(name, getattr(cohort, name)) for name in FIELDS}
    _check(merged, cohort.id)
    changed = [name for name in FIELDS if getattr(cohort, name) != merged[name]]
    if not changed:
        return []
    now = utcnow()
    try:
        with db.session.begin_nested():
            save_version(cohort, seen_version, updated_at=now, **merged)
    except IntegrityError:
        raise CohortError(_taken_message(merged["name"])) from None
    _record(cohort, by, changed, now)
    db.session.flush()
    return changed


def set_archived(cohort: Cohort, by: User | None, archived: bool,
                 seen_version: int | None) -> None:
    """Archive (out of the filters' lists and of the default comparison, kept with its
    members) or bring back; version-checked, recorded in the history."""
    now = utcnow()
    save_version(cohort, seen_version, archived_at=now if archived else None, updated_at=now)
    _record(cohort, by, ["archived" if archived else "unarchived"], now)
    db.session.flush()


# Members


def _event(project_id: int, kind: str, actor: User | None, at: datetime, **detail) -> None:
    db.session.add(ProjectEvent(project_id=project_id, kind=kind,
                                actor_id=actor.id if actor else None, at=at, detail=detail))


def add_project(actor: User | None, cohort: Cohort, project: Project,
                now: datetime | None = None) -> CohortProject:
    """``project`` (submitted: not a draft) joins ``cohort``; written on its timeline
    (``cohort_joined``). Raises CohortError when the cohort is archived, the project is a
    draft, or it is already a member (the partial unique index decides between two adds)."""
    if cohort.is_archived:
        raise CohortError(_("%(name)s is archived: bring it back first.", name=cohort.name))
    if project.status == ProjectStatus.DRAFT.value:
        raise CohortError(_("A draft cannot join a cohort: it must be submitted first."))
    now = now or utcnow()
    link = CohortProject(cohort_id=cohort.id, project_id=project.id, added_at=now,
                         added_by_id=actor.id if actor else None)
    try:
        with db.session.begin_nested():
            db.session.add(link)
    except IntegrityError:
        raise CohortError(_("%(title)s is already in this cohort.",
                            title=project.title)) from None
    _event(project.id, "cohort_joined", actor, now, cohort=cohort.name, cohort_id=cohort.id)
    db.session.flush()
    return link


def remove_project(actor: User | None, cohort: Cohort, project_id: int,
                   now: datetime | None = None) -> bool:
    """``project_id`` leaves ``cohort``: its membership gets ``left_at`` and who removed
    it (once: one UPDATE of the current row, so two removals at once write one). Written
    on its timeline (``cohort_left``). False when it was not a member."""
    now = now or utcnow()
    result = db.session.execute(
        update(CohortProject)
        .where(CohortProject.cohort_id == cohort.id, CohortProject.project_id == project_id,
               CohortProject.left_at.is_(None))
        .values(left_at=now, removed_by_id=actor.id if actor else None)
        .execution_options(synchronize_session=False))
    if result.rowcount:
        _event(project_id, "cohort_left", actor, now, cohort=cohort.name, cohort_id=cohort.id)
    db.session.flush()
    return result.rowcount > 0


__all__ = ["CohortError", "StaleVersion", "add_project", "create_cohort", "remove_project",
           "set_archived", "update_cohort"]
