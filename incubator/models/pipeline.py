"""The support pipeline: stages, projects, their holders and the stage history."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .types import UTCDateTime, utcnow


class ProjectStatus(enum.StrEnum):
    DRAFT = "draft"  # written by a holder, not yet submitted
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class ProjectKind(enum.StrEnum):
    INDIVIDUAL = "individual"
    COLLECTIVE = "collective"


class Stage(db.Model):
    """A support stage (étape d'accompagnement): one column of the board."""

    __tablename__ = "stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    # The English interface's wording (empty: the French one is shown); see i18n.localized.
    name_en: Mapped[str] = mapped_column(String(80), default="", server_default="")
    description_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    position: Mapped[int] = mapped_column(default=0)
    wip_limit: Mapped[int | None]
    # Days without activity after which a project in this stage is stalled (None: the
    # configured STALLED_DAYS); set in the stage settings.
    stalled_days: Mapped[int | None]
    # Retired stages keep their history but take no new projects.
    active: Mapped[bool] = mapped_column(default=True)
    # Optimistic concurrency of the stage settings (/admin/stages): bumped by every edit,
    # retirement and return; the order is checked on the positions themselves.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    def __repr__(self) -> str:
        return f"<Stage {self.position} {self.name}>"


class StageSettingChange(db.Model):
    """One change of a stage's settings (/admin/stages): what the stage became, what
    changed, who and when. Append-only.

    ``action``: created, edited, moved (reordered), retired, restored; ``changed_fields``:
    the names of the settings that changed, comma-separated (``name,wip_limit``)."""

    __tablename__ = "stage_setting_changes"
    __table_args__ = (
        CheckConstraint(
            "action IN ('created', 'edited', 'moved', 'retired', 'restored')",
            name="action_known"),
        Index("ix_stage_setting_changes_changed_at", "changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))
    changed_fields: Mapped[str] = mapped_column(String(200), default="")
    # The stage as it was after the change.
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int]
    wip_limit: Mapped[int | None]
    stalled_days: Mapped[int | None]
    active: Mapped[bool]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    stage: Mapped[Stage] = relationship(foreign_keys=[stage_id], lazy="raise_on_sql")
    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id],
                                                   lazy="raise_on_sql")


class Theme(db.Model):
    """A filière: reference list, editable by managers later."""

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    name_en: Mapped[str] = mapped_column(String(80), default="", server_default="")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class LegalForm(db.Model):
    """An envisaged legal form (association loi 1901, SCOP, SCIC…)."""

    __tablename__ = "legal_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    name_en: Mapped[str] = mapped_column(String(80), default="", server_default="")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class Project(db.Model):
    __tablename__ = "projects"
    # Search keys (models/keys.py): the board's text search and commune filter.
    __search_keys__ = {"search_text": ("title", "pitch", "commune"), "commune_key": ("commune",)}
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'active', 'paused', 'closed')", name="status_known"
        ),
        CheckConstraint("kind IS NULL OR kind IN ('individual', 'collective')", name="kind_known"),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('launched', 'redirected', 'abandoned')",
            name="outcome_known",
        ),
        CheckConstraint("funding_need_cents IS NULL OR funding_need_cents >= 0", name="funding"),
        CheckConstraint("jobs_envisaged IS NULL OR jobs_envisaged >= 0", name="jobs"),
        CheckConstraint("jobs_created IS NULL OR jobs_created >= 0", name="jobs_created"),
        # The board reads a column in order: stage, status, position.
        Index("ix_projects_board", "stage_id", "status", "position"),
        # The board's poll fingerprints each column from these alone (an index-only scan).
        Index("ix_projects_fingerprint", "status", "stage_id", "version", "id"),
        # The board's commune filter lists the communes in use from these alone (an
        # index-only scan: 1–2 against 22–44 ms at 10,000 active on PostgreSQL). Not partial
        # (WHERE status = 'active'): the driver's prepared statement binds the status, and
        # PostgreSQL's generic plan cannot use a partial index (docs/performance.md "third pass").
        Index("ix_projects_communes", "status", "commune", "commune_key"),
        # No two cards share a place in a column (NULL positions: paused, closed, drafts).
        UniqueConstraint("stage_id", "position", name="uq_projects_stage_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    pitch: Mapped[str] = mapped_column(Text, default="")
    need: Mapped[str] = mapped_column(Text, default="")
    target_public: Mapped[str] = mapped_column(Text, default="")
    planned_activity: Mapped[str] = mapped_column(Text, default="")
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"))
    commune: Mapped[str] = mapped_column(String(100), default="")
    # Kept by the models (models/keys.py): casefolded, accents dropped; never shown.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="", deferred=True)
    commune_key: Mapped[str] = mapped_column(String(100), default="", server_default="",
                                             index=True)
    kind: Mapped[str | None] = mapped_column(String(12))
    legal_form_id: Mapped[int | None] = mapped_column(ForeignKey("legal_forms.id"))
    jobs_envisaged: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # FTE, e.g. 0.75
    # Jobs (FTE) the launched structure created or consolidated, recorded at or after launch.
    jobs_created: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    funding_need_cents: Mapped[int | None] = mapped_column(BigInteger)

    status: Mapped[str] = mapped_column(String(10), default=ProjectStatus.DRAFT.value)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id"))
    # Sparse ordering key inside the column (see incubator.positions): gaps let a move write one row.
    position: Mapped[int | None] = mapped_column(BigInteger)
    stage_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    advisor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    outcome: Mapped[str | None] = mapped_column(String(12))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Optimistic concurrency: bumped by every change an advisor could race on.
    version: Mapped[int] = mapped_column(default=1)

    stage: Mapped[Stage | None] = relationship(lazy="raise_on_sql")
    theme: Mapped[Theme | None] = relationship(lazy="raise_on_sql")
    legal_form: Mapped[LegalForm | None] = relationship(lazy="raise_on_sql")
    advisor: Mapped[User | None] = relationship(foreign_keys=[advisor_id], lazy="raise_on_sql")
    holder_links: Mapped[list[ProjectHolder]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        order_by="ProjectHolder.added_at",
        lazy="raise_on_sql",
    )
    moves: Mapped[list[StageMove]] = relationship(
        back_populates="project", order_by="StageMove.moved_at.desc(), StageMove.id.desc()",
        lazy="raise_on_sql", passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Project {self.id} {self.title!r} {self.status}>"

    @property
    def holders(self) -> list[User]:
        return [link.user for link in self.holder_links]

    @property
    def is_draft(self) -> bool:
        return self.status == ProjectStatus.DRAFT


class ProjectHolder(db.Model):
    """A holder account attached to a project (a project may have several, or none)."""

    __tablename__ = "project_holders"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    project: Mapped[Project] = relationship(back_populates="holder_links")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class StageMove(db.Model):
    """One passage from a stage to another. Append-only: the history pipeline figures use."""

    __tablename__ = "stage_moves"
    __table_args__ = (
        # A project's moves in time order; the stage too, so the review's conversion ("a
        # later move to a further stage") reads the index alone.
        Index("ix_stage_moves_project_moved_at", "project_id", "moved_at", "to_stage_id"),
        # Moves by date (the conversion's entries of a period), covering as above.
        Index("ix_stage_moves_moved_at", "moved_at", "project_id", "to_stage_id"),
        # Submissions by date (the review's entries, the report's ideas, lead times).
        Index("ix_stage_moves_submitted", "moved_at", "project_id",
              sqlite_where=text("from_stage_id IS NULL"),
              postgresql_where=text("from_stage_id IS NULL")),
        # The stays that ended in a period, or still ran at its start (the review's time in
        # stage and cumulative flow): a range scan that also covers the columns they read.
        # The paused time last: time in stage reads it with the rest.
        Index("ix_stage_moves_left_at", "left_at", "to_stage_id", "project_id", "moved_at",
              "paused_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # None for the entry into the pipeline (submission).
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id"))
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    moved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text)
    # Derived, set once (stage_history.record_stage_move): the instant of the project's next
    # stage move, which ended this stay; None while it is the last one. The append-only guard
    # allows exactly None → a value (active history: it compares with the stored value).
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), active_history=True)
    # Derived, set once with left_at: the days (with their fraction) within this stay that
    # the project spent off the board (paused, or closed and reopened); None while the stay
    # runs (stage_history.paused_days; the review's time in stage).
    paused_days: Mapped[float | None] = mapped_column(Float, active_history=True)

    project: Mapped[Project] = relationship(back_populates="moves")
    from_stage: Mapped[Stage | None] = relationship(foreign_keys=[from_stage_id])
    to_stage: Mapped[Stage] = relationship(foreign_keys=[to_stage_id])
    moved_by: Mapped[User | None] = relationship(foreign_keys=[moved_by_id])


class StatusChange(db.Model):
    """A change of status: paused, closed with an outcome, reopened. Append-only."""

    __tablename__ = "status_changes"
    __table_args__ = (Index("ix_status_changes_project_changed_at", "project_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    from_status: Mapped[str] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str | None] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id])


class StageFlowDay(db.Model):
    """Derived summary of the stage history for the review's cumulative flow: for one day in
    the pole's time zone and one stage, the net change of the projects on the board in that
    stage (moves in and out, pauses, closings, reopenings). The number on the board in a
    stage at the end of day D is the sum of the changes of the days up to D. Kept in the
    writer's transaction by ``stage_flow`` (every stage move and status change); rebuilt
    from the history by ``flask --app incubator rebuild-stage-flow`` and when the pole's
    time zone changes. Not history: rows are updated in place (docs/performance.md)."""

    __tablename__ = "stage_flow_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    stage_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    change: Mapped[int] = mapped_column(default=0)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a history row."""


def _append_only_models() -> tuple[type, ...]:
    from .checklists import CriterionTick, StageCriterionChange, StageMoveUntickedCriterion
    from .cohorts import CohortProject, CohortVersion
    from .followup import NextStepChange, NoteRevision, ProjectEvent
    from .partners import SupportStatusChange
    from .pole import PoleSettingsVersion
    from .reference import ReferenceListChange
    from .retention import PurgeRun, RetentionSettingsVersion
    from .two_factor import SecuritySettingsChange

    return (StageMove, StatusChange, NoteRevision, ProjectEvent, NextStepChange,
            SupportStatusChange, PoleSettingsVersion, StageSettingChange, CriterionTick,
            StageCriterionChange, StageMoveUntickedCriterion, ReferenceListChange, CohortVersion,
            CohortProject, SecuritySettingsChange, RetentionSettingsVersion, PurgeRun)


# Derived columns of history rows written once after the insert (None → a value, never again).
SET_ONCE = {StageMove: ("left_at", "paused_days")}


def _sets_once_only(obj) -> bool:
    """True when the only change to a history row gives a set-once column its first value."""
    state = inspect(obj)
    allowed = SET_ONCE.get(type(obj)) or _set_once_elsewhere().get(type(obj), ())
    changed = [attr for attr in state.attrs if attr.history.has_changes()]
    return bool(changed) and all(
        attr.key in allowed and list(attr.history.deleted) in ([], [None])
        and attr.history.added and attr.history.added[0] is not None
        for attr in changed)


def _set_once_elsewhere() -> dict[type, tuple[str, ...]]:
    """Set-once columns of history rows defined in other modules: a cohort membership's
    leaving (who and when)."""
    from .cohorts import CohortProject

    return {CohortProject: ("left_at", "removed_by_id")}


#: The session flag ``erasing`` sets (docs/erasure.md).
_ERASING = "incubator.erasing"


def _erasable_columns() -> dict[type, tuple[str, ...]]:
    """The one exception to append-only history, for the right to erasure only: the columns
    of history rows that copy a person's name or e-mail as it was, which ``erasing`` lets
    the erasure rewrite with the pseudonym (docs/erasure.md). Nothing else, never a DELETE."""
    from .followup import ProjectEvent

    return {ProjectEvent: ("detail",)}


@contextmanager
def erasing(session: Session) -> Iterator[None]:
    """Within this block (and its flushes), the guard lets ``_erasable_columns`` of history
    rows change; it refuses every other UPDATE and DELETE as always. Used by
    ``incubator.privacy.erasure`` only."""
    session.info[_ERASING] = True
    try:
        yield
    finally:
        session.info.pop(_ERASING, None)


def _erases_copied_names_only(session: Session, obj) -> bool:
    """True inside ``erasing`` when the only changes to a history row are to its erasable
    columns."""
    if not session.info.get(_ERASING):
        return False
    allowed = _erasable_columns().get(type(obj), ())
    changed = [attr.key for attr in inspect(obj).attrs if attr.history.has_changes()]
    return bool(changed) and all(key in allowed for key in changed)


def _soft_deleted_models() -> tuple[type, ...]:
    """Rows the timeline tells about even after their deletion: marked deleted, once."""
    from .followup import Document, Note

    return (Note, Document)


@event.listens_for(Session, "before_flush")
def _history_is_append_only(session: Session, flush_context, instances) -> None:
    """History tables take inserts only; notes and documents are marked deleted, never
    deleted, and a deletion is never undone or rewritten (docs/architecture.md, History)."""
    for obj in session.dirty:
        if isinstance(obj, _append_only_models()) and session.is_modified(
            obj, include_collections=False
        ) and not _sets_once_only(obj) and not _erases_copied_names_only(session, obj):
            raise AppendOnlyError(f"{type(obj).__name__} rows are never edited")
        if isinstance(obj, _soft_deleted_models()):
            state = inspect(obj)
            for name in ("deleted_at", "deleted_by_id"):
                history = state.attrs[name].history
                if history.deleted and history.deleted[0] is not None:
                    raise AppendOnlyError(f"a {type(obj).__name__}'s deletion is never undone")
    for obj in session.deleted:
        if isinstance(obj, _append_only_models()):
            raise AppendOnlyError(f"{type(obj).__name__} rows are never deleted")
        if isinstance(obj, _soft_deleted_models()):
            raise AppendOnlyError(f"{type(obj).__name__} rows are marked deleted, never deleted")
