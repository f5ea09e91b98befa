"""Writes of the working groups: create, edit (version-checked), archive, delete a group; add
and remove the organisations and projects taking part; create, edit, cancel and delete
meetings; record attendance.

A project joining or leaving a group is written on its timeline as a ``ProjectEvent``
(``group_joined``, ``group_left``; ``detail`` keeps the group's name as it was). An
organisation has no timeline: its joining day shows on the group page. Services flush, never
commit; they refuse with ``GroupError`` (a message for the user) before writing anything.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    AttendanceStatus,
    GroupKind,
    GroupMeeting,
    GroupOrganisation,
    GroupProject,
    MeetingAttendance,
    Organisation,
    Project,
    ProjectEvent,
    ProjectStatus,
    User,
    WorkingGroup,
    utcnow,
)
from ..versions import StaleVersion, save_version

#: Projects that may join a group: those being followed.
JOINABLE = (ProjectStatus.ACTIVE.value, ProjectStatus.PAUSED.value)


class GroupError(ValueError):
    """A change of a group the rules refuse; ``str()`` is the message for the user."""


def _check_kind(kind: str) -> None:
    """Raises GroupError for a kind that is not a GroupKind."""
    if kind not in {k.value for k in GroupKind}:
        raise GroupError(_("Choose a kind."))


# Groups


def create_group(author: User | None, *, name: str, kind: str, theme: str = "",
                 description: str = "", now: datetime | None = None) -> WorkingGroup:
    """A new group. Raises GroupError for an unknown kind."""
    _check_kind(kind)
    now = now or utcnow()
    group = WorkingGroup(name=name, kind=kind, theme=theme, description=description,
                         created_by_id=author.id if author else None, created_at=now,
                         updated_at=now)
    db.session.add(group)
    db.session.flush()
    return group


def update_group(group: WorkingGroup, seen_version: int | None, **values) -> None:
    """Write ``values`` (name, kind, theme, description) if nobody changed the group since
    ``seen_version`` (raises versions.StaleVersion otherwise; GroupError for an unknown
    kind)."""
    _check_kind(values.get("kind", group.kind))
    save_version(group, seen_version, updated_at=utcnow(), **values)


def set_archived(group: WorkingGroup, archived: bool, seen_version: int | None) -> None:
    """Archive (out of the list by default, kept with its meetings) or bring back;
    version-checked."""
    save_version(group, seen_version, archived_at=utcnow() if archived else None,
                 updated_at=utcnow())


def links_of(group: WorkingGroup) -> list[str]:
    """What keeps ``group`` from being deleted (its meetings, its participants), as
    sentences; empty when it may be. One statement."""
    meetings, organisations, projects = db.session.execute(select(
        select(func.count()).where(GroupMeeting.group_id == group.id).scalar_subquery(),
        select(func.count()).where(GroupOrganisation.group_id == group.id).scalar_subquery(),
        select(func.count()).where(GroupProject.group_id == group.id).scalar_subquery(),
    )).one()
    links = []
    if meetings:
        links.append(ngettext("it has %(num)d meeting", "it has %(num)d meetings", meetings))
    if organisations:
        links.append(ngettext("%(num)d organisation takes part", "%(num)d organisations take part",
                              organisations))
    if projects:
        links.append(ngettext("%(num)d project takes part", "%(num)d projects take part",
                              projects))
    return links


def delete_group(group: WorkingGroup, seen_version: int | None) -> None:
    """Delete a group with no meeting and no participant (raises GroupError naming what
    links it; versions.StaleVersion when it changed since ``seen_version``, or got a meeting
    or a participant meanwhile)."""
    if links := links_of(group):
        raise GroupError(_("%(name)s cannot be deleted: %(links)s. Archive it instead.",
                           name=group.name, links=", ".join(links)))
    if seen_version is None:
        raise StaleVersion()
    # One statement decides: a meeting or a participant added by a colleague since the
    # check above leaves the row in place (the cascade would have taken them with it).
    deleted = db.session.execute(
        delete(WorkingGroup).where(
            WorkingGroup.id == group.id, WorkingGroup.version == seen_version,
            ~exists().where(GroupMeeting.group_id == group.id),
            ~exists().where(GroupOrganisation.group_id == group.id),
            ~exists().where(GroupProject.group_id == group.id))
        .execution_options(synchronize_session=False))
    if deleted.rowcount != 1:
        raise StaleVersion()
    db.session.expunge(group)
    db.session.flush()


# Participants


def _event(project_id: int, kind: str, actor: User | None, at: datetime, **detail) -> None:
    db.session.add(ProjectEvent(project_id=project_id, kind=kind,
                                actor_id=actor.id if actor else None, at=at, detail=detail))


def _refuse_archived(group: WorkingGroup) -> None:
    """Raises GroupError when the group is archived (nothing joins it, no meeting)."""
    if group.is_archived:
        raise GroupError(_("%(name)s is archived: bring it back first.", name=group.name))


def add_organisation(actor: User | None, group: WorkingGroup, organisation: Organisation,
                     joined_on: date) -> GroupOrganisation:
    """``organisation`` takes part in ``group`` from ``joined_on``. Raises GroupError when
    the group or the organisation is archived, or it already takes part."""
    _refuse_archived(group)
    if organisation.is_archived:
        raise GroupError(_("%(name)s is archived: bring it back into the directory first.",
                           name=organisation.name))
    link = GroupOrganisation(group_id=group.id, organisation_id=organisation.id,
                             joined_on=joined_on, added_by_id=actor.id if actor else None)
    try:
        with db.session.begin_nested():  # the primary key decides between two adds
            db.session.add(link)
    except IntegrityError:
        raise GroupError(_("%(name)s already takes part in this group.",
                           name=organisation.name)) from None
    return link


def remove_organisation(group: WorkingGroup, organisation_id: int) -> bool:
    """``organisation_id`` no longer takes part (False: it did not)."""
    removed = db.session.execute(delete(GroupOrganisation).where(
        GroupOrganisation.group_id == group.id,
        GroupOrganisation.organisation_id == organisation_id))
    db.session.flush()
    return removed.rowcount > 0


def add_project(actor: User | None, group: WorkingGroup, project: Project, joined_on: date,
                now: datetime | None = None) -> GroupProject:
    """``project`` (being followed: active or paused) takes part in ``group`` from
    ``joined_on``; written on its timeline (``group_joined``). Raises GroupError when the
    group is archived, the project is not followed, or it already takes part."""
    _refuse_archived(group)
    if project.status not in JOINABLE:
        raise GroupError(_("Only a project in progress or paused can join a group."))
    now = now or utcnow()
    link = GroupProject(group_id=group.id, project_id=project.id, joined_on=joined_on,
                        added_by_id=actor.id if actor else None)
    try:
        with db.session.begin_nested():
            db.session.add(link)
    except IntegrityError:
        raise GroupError(_("This project already takes part in this group.")) from None
    _event(project.id, "group_joined", actor, now, group=group.name, group_id=group.id,
           joined_on=joined_on.isoformat())
    return link


def remove_project(actor: User | None, group: WorkingGroup, project_id: int,
                   now: datetime | None = None) -> bool:
    """``project_id`` no longer takes part (False: it did not); written on its timeline
    (``group_left``)."""
    removed = db.session.execute(delete(GroupProject).where(
        GroupProject.group_id == group.id, GroupProject.project_id == project_id))
    if removed.rowcount:
        _event(project_id, "group_left", actor, now or utcnow(), group=group.name,
               group_id=group.id)
    db.session.flush()
    return removed.rowcount > 0


# Meetings


def _check_times(starts_at: datetime, ends_at: datetime | None) -> None:
    """Raises GroupError when the end is not after the start."""
    if ends_at is not None and ends_at <= starts_at:
        raise GroupError(_("The end must come after the start."))


def new_uid() -> str:
    """A meeting's iCalendar UID: random, kept for its life (calendars update the event)."""
    return secrets.token_hex(16) + "@incubateur"


def create_meeting(author: User | None, group: WorkingGroup, *, starts_at: datetime,
                   ends_at: datetime | None = None, place: str = "", agenda: str = "",
                   minutes: str = "", now: datetime | None = None) -> GroupMeeting:
    """A meeting of ``group`` (aware datetimes). Raises GroupError when the group is
    archived or the end is not after the start."""
    _refuse_archived(group)
    _check_times(starts_at, ends_at)
    now = now or utcnow()
    meeting = GroupMeeting(group_id=group.id, uid=new_uid(), starts_at=starts_at,
                           ends_at=ends_at, place=place, agenda=agenda, minutes=minutes,
                           created_by_id=author.id if author else None, created_at=now,
                           updated_at=now)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def update_meeting(meeting: GroupMeeting, seen_version: int | None, **values) -> None:
    """Write ``values`` (times, place, agenda, minutes) if the meeting is still at
    ``seen_version`` (versions.StaleVersion otherwise; GroupError when the end is not after
    the start); the version is the calendar's SEQUENCE."""
    _check_times(values.get("starts_at", meeting.starts_at),
                 values.get("ends_at", meeting.ends_at))
    save_version(meeting, seen_version, updated_at=utcnow(), **values)


def set_cancelled(meeting: GroupMeeting, cancelled: bool, seen_version: int | None) -> None:
    """Cancel (kept, shown struck, STATUS:CANCELLED in calendars) or restore."""
    save_version(meeting, seen_version, cancelled_at=utcnow() if cancelled else None,
                 updated_at=utcnow())


def delete_meeting(meeting: GroupMeeting, seen_version: int | None) -> None:
    """Delete a meeting with no minutes and no attendance (GroupError otherwise: cancel
    it instead); version-checked (versions.StaleVersion)."""
    attendance = db.session.scalar(select(func.count()).where(
        MeetingAttendance.meeting_id == meeting.id))
    if meeting.minutes or attendance:
        raise GroupError(_("This meeting has minutes or attendance: it cannot be deleted. "
                           "Cancel it instead."))
    if seen_version is None:
        raise StaleVersion()
    deleted = db.session.execute(
        delete(GroupMeeting).where(GroupMeeting.id == meeting.id,
                                   GroupMeeting.version == seen_version)
        .execution_options(synchronize_session=False))
    if deleted.rowcount != 1:
        raise StaleVersion()
    db.session.expunge(meeting)
    db.session.flush()


def record_attendance(meeting: GroupMeeting, *, name: str, status: str,
                      organisation_id: int | None = None, project_id: int | None = None,
                      user_id: int | None = None) -> MeetingAttendance:
    """``name`` (as it is now: kept so) was present, excused or absent. The same person
    recorded again (a second submit, a correction) has their status changed, not a second
    line. Raises GroupError for an unknown status or no name."""
    if status not in {s.value for s in AttendanceStatus}:
        raise GroupError(_("Choose present, excused or absent."))
    if not name:
        raise GroupError(_("Choose a person or type a name."))
    same = [MeetingAttendance.meeting_id == meeting.id]
    if user_id is not None:
        same.append(MeetingAttendance.user_id == user_id)
    else:
        same += [MeetingAttendance.name == name, MeetingAttendance.user_id.is_(None)]
    existing = db.session.scalars(select(MeetingAttendance).where(*same)).first()
    if existing is not None:
        existing.status = status
        db.session.flush()
        return existing
    entry = MeetingAttendance(meeting_id=meeting.id, name=name, status=status,
                              organisation_id=organisation_id, project_id=project_id,
                              user_id=user_id)
    db.session.add(entry)
    db.session.flush()
    return entry


def remove_attendance(meeting: GroupMeeting, attendance_id: int) -> bool:
    """Forget one line of the attendance (False: not of this meeting)."""
    removed = db.session.execute(delete(MeetingAttendance).where(
        MeetingAttendance.id == attendance_id, MeetingAttendance.meeting_id == meeting.id))
    db.session.flush()
    return removed.rowcount > 0
