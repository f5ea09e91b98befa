"""Follow-up of a project: notes, next steps, documents, project events, notifications and
the outgoing mail queue.

History is never rewritten (see docs/architecture.md, "History"): NoteRevision,
NextStepChange and ProjectEvent are append-only, and notes and documents are never deleted,
only marked deleted (by whom, when), once."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .types import UTCDateTime, utcnow


class Visibility(enum.StrEnum):
    INTERNAL = "internal"  # staff (and mentors) only
    SHARED = "shared"  # also the project's holders


class Note(db.Model):
    """A follow-up note (suivi). Edits keep the previous text in NoteRevision; a deleted
    note keeps its row (deleted_at) so the history stays honest."""

    __tablename__ = "notes"
    __table_args__ = (
        CheckConstraint("visibility IN ('internal', 'shared')", name="visibility_known"),
        Index("ix_notes_project_happened", "project_id", "happened_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A NoteKind's code (note_kinds.code): retired kinds stay on old notes.
    kind: Mapped[str] = mapped_column(ForeignKey("note_kinds.code"), default="meeting")
    happened_on: Mapped[date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(10), default=Visibility.INTERNAL.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set once (the append-only guard compares with the stored value: active history).
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), active_history=True)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                      active_history=True)
    version: Mapped[int] = mapped_column(default=1)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id])

    @property
    def is_shared(self) -> bool:
        return self.visibility == Visibility.SHARED


class NoteRevision(db.Model):
    """The text a note had before an edit. Append-only."""

    __tablename__ = "note_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    happened_on: Mapped[date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(10))
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    edited_by: Mapped[User | None] = relationship(foreign_keys=[edited_by_id])


class NextStep(db.Model):
    """A dated action on a project, with an assignee (staff or a holder)."""

    __tablename__ = "next_steps"
    __table_args__ = (
        Index("ix_next_steps_assignee_open", "assignee_id", "done_at", "due_on"),
        Index("ix_next_steps_project", "project_id", "done_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])

    def is_overdue(self, today: date) -> bool:
        return self.done_at is None and self.due_on < today


class NextStepChange(db.Model):
    """A next step ticked done or reopened, by whom and when. Append-only: reopening a step
    adds a "reopened" row and keeps the "done" one, so the timeline keeps both."""

    __tablename__ = "next_step_changes"
    __table_args__ = (
        CheckConstraint("kind IN ('done', 'reopened')", name="kind_known"),
        Index("ix_next_step_changes_project_at", "project_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("next_steps.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(10))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    step: Mapped[NextStep] = relationship()
    by: Mapped[User | None] = relationship(foreign_keys=[by_id])


class Document(db.Model):
    """A file attached to a project, stored in the database (see README: every app
    instance reads it, backups include it). The content is loaded only on download."""

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint("visibility IN ('internal', 'shared')", name="visibility_known"),
        Index("ix_documents_project", "project_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200))  # for display and download only
    content_type: Mapped[str] = mapped_column(String(100))  # detected from the content
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    visibility: Mapped[str] = mapped_column(String(10), default=Visibility.SHARED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set once (the append-only guard compares with the stored value: active history).
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), active_history=True)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                      active_history=True)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))

    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id])

    @property
    def is_shared(self) -> bool:
        return self.visibility == Visibility.SHARED


class ProjectEvent(db.Model):
    """Other things that happened to a project (holders added or removed, advisor changed,
    description edited). Append-only; ``detail`` holds names as they were."""

    __tablename__ = "project_events"
    __table_args__ = (Index("ix_project_events_project_at", "project_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The organisation or partner the event concerns, if any: their pages list it too.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="SET NULL"), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])


class Notification(db.Model):
    """Something a user should know about. The text is rendered at display time from
    ``kind`` and ``detail``, in the reader's language."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class OutgoingMail(db.Model):
    """An e-mail waiting to be sent: written in the same transaction as what caused it,
    sent by the worker (``flask --app incubator worker``, see ``incubator.worker``), retried
    with a growing delay (``next_attempt_at``) when the server fails, marked failed
    (``failed_at``) after the last attempt. ``claimed_at``: when a worker took it (a claim
    older than the stuck delay means that worker died). A ``secret`` one holds a live link
    (invitation, password reset): its row is deleted once sent (see ``incubator.outbox``)."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_pending", "sent_at", "attempts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    secret: Mapped[bool] = mapped_column(default=False, server_default=false())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Job(db.Model):
    """Work done by the worker rather than by a request (``incubator.jobs``): a ``kind``
    (the name its handler was registered under) and a JSON ``payload``. Same life as an
    OutgoingMail: due at ``next_attempt_at``, claimed (``claimed_at``, ``attempts`` + 1),
    retried with a growing delay, ``failed_at`` after the last attempt; deleted once done
    (a payload may hold an address someone typed, kept no longer than needed)."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "failed_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
