"""Working groups: the pole's thematic working groups and cooperative workshops, the
organisations and projects taking part, and their meetings with attendance (PRODUCT.md,
Working group; docs/groups.md)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .network import Organisation
from .pipeline import Project
from .types import UTCDateTime, utcnow


class GroupKind(enum.StrEnum):
    WORKING_GROUP = "working_group"  # groupe de travail thématique
    WORKSHOP = "workshop"  # atelier coopératif


class WorkingGroup(db.Model):
    """A thematic working group or cooperative workshop."""

    __tablename__ = "working_groups"
    __search_keys__ = {"search_text": ("name", "theme", "description"),
                       "name_key": ("name",)}
    __table_args__ = (
        CheckConstraint("kind IN ('working_group', 'workshop')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(14), default=GroupKind.WORKING_GROUP.value)
    theme: Mapped[str] = mapped_column(String(120), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="", deferred=True)
    name_key: Mapped[str] = mapped_column(String(160), default="", server_default="",
                                          index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    organisation_links: Mapped[list[GroupOrganisation]] = relationship(
        back_populates="group", cascade="all, delete-orphan", lazy="raise_on_sql",
        passive_deletes=True)
    project_links: Mapped[list[GroupProject]] = relationship(
        back_populates="group", cascade="all, delete-orphan", lazy="raise_on_sql",
        passive_deletes=True)
    meetings: Mapped[list[GroupMeeting]] = relationship(
        back_populates="group", order_by="GroupMeeting.starts_at",
        lazy="raise_on_sql", passive_deletes=True)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class GroupOrganisation(db.Model):
    """An organisation taking part in a group, since a day."""

    __tablename__ = "group_organisations"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), primary_key=True)
    # RESTRICT: an organisation in a group is archived, never deleted.
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True, index=True)
    joined_on: Mapped[date] = mapped_column(Date)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    group: Mapped[WorkingGroup] = relationship(back_populates="organisation_links")
    organisation: Mapped[Organisation] = relationship(lazy="raise_on_sql")


class GroupProject(db.Model):
    """A project taking part in a group, since a day."""

    __tablename__ = "group_projects"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True, index=True)
    joined_on: Mapped[date] = mapped_column(Date)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    group: Mapped[WorkingGroup] = relationship(back_populates="project_links")
    project: Mapped[Project] = relationship(lazy="raise_on_sql")


class GroupMeeting(db.Model):
    """A meeting of a group: when (aware UTC datetimes, shown in the pole's time zone),
    where, agenda, minutes (plain text) and attendance. ``uid`` is its stable iCalendar UID."""

    __tablename__ = "group_meetings"
    __table_args__ = (
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
        Index("ix_group_meetings_group_starts", "group_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("working_groups.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    agenda: Mapped[str] = mapped_column(Text, default="", server_default="")
    minutes: Mapped[str] = mapped_column(Text, default="", server_default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)
    # iCalendar SEQUENCE too: bumped by each change.
    version: Mapped[int] = mapped_column(default=1)

    group: Mapped[WorkingGroup] = relationship(back_populates="meetings")
    attendance: Mapped[list[MeetingAttendance]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingAttendance.id",
        lazy="raise_on_sql", passive_deletes=True)


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    EXCUSED = "excused"
    ABSENT = "absent"


class MeetingAttendance(db.Model):
    """Someone at (or excused from) a meeting: a person named as they were, from an
    organisation or a project of the group, or a user of the tool."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (
        CheckConstraint("status IN ('present', 'excused', 'absent')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("group_meetings.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(8), default=AttendanceStatus.PRESENT.value)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    meeting: Mapped[GroupMeeting] = relationship(back_populates="attendance")
    organisation: Mapped[Organisation | None] = relationship(lazy="raise_on_sql")
    project: Mapped[Project | None] = relationship(lazy="raise_on_sql")
    user: Mapped[User | None] = relationship(lazy="raise_on_sql")
