"""Writes of accompaniment time: log time spent on a project, change it, delete it.

Each change is a ``ProjectEvent`` on the project's timeline (append-only; kinds
``accompaniment_added``, ``accompaniment_changed``, ``accompaniment_deleted``, with a
``detail`` keeping the day, the minutes, the kind and the advisor's name as they were, never
the note) that only staff see. Logging time is activity on the project (its last activity
moves, so it is not stalled). Services flush, never commit; they refuse with
``AccompanimentError`` (a message for the user) what docs/accompaniment.md forbids, before
writing anything.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..i18n import pole_today
from ..models import AccompanimentKind, AccompanimentTime, Project, ProjectEvent, User, utcnow
from ..permissions import can_be_advisor
from ..versions import StaleVersion, check_version, save_version
from .durations import MAX_MINUTES

KINDS = frozenset(k.value for k in AccompanimentKind)


class AccompanimentError(ValueError):
    """A change the rules refuse; ``str()`` is the message for the user."""


def _check(project: Project, advisor: User, spent_on: date, minutes: int, kind: str,
           now: datetime, *, check_advisor: bool = True) -> None:
    """Raises AccompanimentError: unknown kind, minutes out of a day, a day in the future or
    before the project existed, an advisor who is not active staff."""
    if kind not in KINDS:
        raise AccompanimentError(_("Choose a kind of contact."))
    if not 0 < minutes <= MAX_MINUTES:
        raise AccompanimentError(_("A duration is at most 24 hours (one day): log each day "
                                   "on its own."))
    if spent_on > pole_today(now):
        raise AccompanimentError(_("The day cannot be in the future: log the time once it "
                                   "is spent."))
    # A day before the project was entered is allowed: the pole often meets people before
    # their idea is written down, and that time counts for the funders too.
    if check_advisor and not can_be_advisor(advisor):
        raise AccompanimentError(_("%(name)s is not an active staff member: choose someone "
                                   "else.", name=advisor.name))


def _touch(project: Project, now: datetime) -> None:
    if project.last_activity_at is None or project.last_activity_at < now:
        project.last_activity_at = now


def _event(project: Project, event_kind: str, actor: User | None, at: datetime,
           entry: AccompanimentTime, advisor_name: str, **more) -> None:
    db.session.add(ProjectEvent(
        project_id=project.id, kind=event_kind, actor_id=actor.id if actor else None, at=at,
        subject_id=entry.advisor_id,
        detail={"entry_id": entry.id, "spent_on": entry.spent_on.isoformat(),
                "minutes": entry.minutes, "kind": entry.kind, "advisor": advisor_name,
                **more}))


def log_time(actor: User | None, project: Project, advisor: User, *, spent_on: date,
             minutes: int, kind: str, note: str = "",
             now: datetime | None = None) -> AccompanimentTime:
    """Log ``minutes`` that ``advisor`` spent on ``project`` on ``spent_on``. ``now``
    back-dates the record (demo data only).

    Raises AccompanimentError (see ``_check``)."""
    now = now or utcnow()
    _check(project, advisor, spent_on, minutes, kind, now)
    entry = AccompanimentTime(project_id=project.id, advisor_id=advisor.id, spent_on=spent_on,
                              minutes=minutes, kind=kind, note=note,
                              created_by_id=actor.id if actor else None, created_at=now,
                              updated_at=now)
    db.session.add(entry)
    db.session.flush()
    set_committed_value(entry, "advisor", advisor)
    _touch(project, now)
    _event(project, "accompaniment_added", actor, now, entry, advisor.name)
    db.session.flush()
    return entry


def change_time(actor: User | None, project: Project, entry: AccompanimentTime,
                advisor: User, *, spent_on: date, minutes: int, kind: str, note: str,
                seen_version: int | None, now: datetime | None = None) -> list[str]:
    """Change an entry's day, duration, kind, advisor or note, if it is still at
    ``seen_version``. Returns the names of the fields changed (none: nothing written).

    Raises AccompanimentError (see ``_check``; a former advisor kept as is is accepted) or
    versions.StaleVersion (changed or deleted since)."""
    now = now or utcnow()
    values = {"advisor_id": advisor.id, "spent_on": spent_on, "minutes": minutes,
              "kind": kind, "note": note}
    changed = [name for name, value in values.items() if getattr(entry, name) != value]
    if not changed:
        check_version(entry, seen_version)
        return []
    # Someone who left the team stays the advisor of the time they spent.
    _check(project, advisor, spent_on, minutes, kind, now,
           check_advisor=advisor.id != entry.advisor_id)
    save_version(entry, seen_version, updated_at=now, **values)
    set_committed_value(entry, "advisor", advisor)
    _touch(project, now)
    _event(project, "accompaniment_changed", actor, now, entry, advisor.name,
           changed=changed)
    db.session.flush()
    return changed


def delete_time(actor: User | None, project: Project, entry: AccompanimentTime,
                seen_version: int | None, now: datetime | None = None) -> None:
    """Delete an entry if it is still at ``seen_version``; the timeline keeps an
    ``accompaniment_deleted`` event with its day, minutes, kind and advisor.

    Raises versions.StaleVersion (changed or deleted since)."""
    check_version(entry, seen_version)
    now = now or utcnow()
    advisor = entry.advisor.name if entry.advisor is not None else ""
    result = db.session.execute(
        delete(AccompanimentTime).where(AccompanimentTime.id == entry.id,
                                        AccompanimentTime.version == seen_version)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise StaleVersion()
    db.session.expunge(entry)
    _touch(project, now)
    _event(project, "accompaniment_deleted", actor, now, entry, advisor)
    db.session.flush()
