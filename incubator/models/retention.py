"""How long each kind of personal data is kept (issue 14, "Retention"), as managers set it.

One row (``id = 1``) holds a duration in months per kind of data (``RETENTION_COLUMNS``);
while no manager has saved it there is no row and the defaults of
``incubator.privacy.retention.KINDS`` apply. Every save is version-checked and appends a
``RetentionSettingsVersion`` (who, when, what the durations became). Each real run of
``flask purge`` appends a ``PurgeRun`` with what it deleted or erased, per kind. Both history
tables are append-only (``models.pipeline._append_only_models``). See docs/retention.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .types import UTCDateTime, utcnow

#: The kinds of data with a duration, in the order the settings and the privacy notice show
#: them; each is a ``<kind>_months`` column of both tables below.
RETENTION_KINDS = ("closed_projects", "drafts", "connections", "notifications", "mails",
                   "security_log")


class RetentionSettings(db.Model):
    """The durations in force, in months."""

    __tablename__ = "retention_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=1)
    version: Mapped[int] = mapped_column(default=1)
    closed_projects_months: Mapped[int]
    drafts_months: Mapped[int]
    connections_months: Mapped[int]
    notifications_months: Mapped[int]
    mails_months: Mapped[int]
    security_log_months: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class RetentionSettingsVersion(db.Model):
    """What the durations became at one save, who saved them and when. Append-only."""

    __tablename__ = "retention_settings_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]
    closed_projects_months: Mapped[int]
    drafts_months: Mapped[int]
    connections_months: Mapped[int]
    notifications_months: Mapped[int]
    mails_months: Mapped[int]
    security_log_months: Mapped[int]
    changed_fields: Mapped[str] = mapped_column(String(200), default="")
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id])


class PurgeRun(db.Model):
    """One real run of ``flask purge``: when, and how many rows of each kind it deleted or
    people it erased (``counts``: {kind: number}). Append-only; no identity in it."""

    __tablename__ = "purge_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
