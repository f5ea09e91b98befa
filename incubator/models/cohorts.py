"""Cohorts (promotions): a batch of projects the pole accompanies together, e.g.
« Idéateur — printemps 2027 », with its dates; the projects that joined it (who added them,
when, and when they left); and every change of a cohort, append-only (docs/cohorts.md).

A project may belong to several cohorts over time (idéateur, then incubateur). Leaving a
cohort keeps the membership row: ``left_at`` and ``removed_by_id`` are set once, and joining
again makes a new row. The figures (board filter, pipeline review) count the current
members (``left_at`` NULL).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .types import UTCDateTime, utcnow

NAME_MAX = 160


class Cohort(db.Model):
    """A cohort: French name (English optional), first and last day, description,
    archived or not. ``name_key`` (the name's search key) is unique: two cohorts cannot be
    named alike whatever the case or accents."""

    __tablename__ = "cohorts"
    __search_keys__ = {"name_key": ("name",)}
    __table_args__ = (
        CheckConstraint("ends_on > starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    name_en: Mapped[str] = mapped_column(String(NAME_MAX), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    name_key: Mapped[str] = mapped_column(String(NAME_MAX), default="", server_default="",
                                          unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class CohortVersion(db.Model):
    """What a cohort became at one change, who made it and when (``changed_fields``: the
    names of the fields changed, comma-separated; "created", "archived", "unarchived" for
    those). Append-only."""

    __tablename__ = "cohort_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"),
                                           index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    name_en: Mapped[str] = mapped_column(String(NAME_MAX))
    description: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    archived: Mapped[bool]
    changed_fields: Mapped[str] = mapped_column(String(200), default="")
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id],
                                                   lazy="raise_on_sql")


class CohortProject(db.Model):
    """A project's membership of a cohort: added by whom and when; ``left_at`` and
    ``removed_by_id`` set once when it leaves (the row stays). At most one current row per
    cohort and project (a partial unique index)."""

    __tablename__ = "cohort_projects"
    __table_args__ = (
        Index("ix_cohort_projects_current", "cohort_id", "project_id", unique=True,
              sqlite_where=text("left_at IS NULL"),
              postgresql_where=text("left_at IS NULL")),
        Index("ix_cohort_projects_project", "project_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    cohort: Mapped[Cohort] = relationship(lazy="raise_on_sql")
    project: Mapped[Project] = relationship(lazy="raise_on_sql")  # noqa: F821
    added_by: Mapped[User | None] = relationship(foreign_keys=[added_by_id], lazy="raise_on_sql")
