"""Exit checklists (issue 13, stages): the criteria a project should meet before it leaves a
stage, their state per project, and the history of both (docs/checklists.md).

- ``StageCriterion``: one criterion of a stage's checklist, named in French and English,
  ordered, retired rather than deleted (old ticks and moves keep naming it).
- ``StageCriterionChange``: every change a manager made to a criterion (added, renamed,
  moved, retired, restored), with who and when. Append-only.
- ``ProjectCriterion``: whether a project meets a criterion now, who ticked it and when;
  created at the first tick, version-checked like any shared edit.
- ``CriterionTick``: every tick and untick (who, when, which way). Append-only.
- ``StageMoveUntickedCriterion``: the criteria still unticked when a project left their
  stage after the mover confirmed (one row per criterion of the move). Append-only.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .types import UTCDateTime, utcnow

CRITERION_NAME_MAX = 200


class CriterionAction(enum.StrEnum):
    ADDED = "added"
    RENAMED = "renamed"
    MOVED = "moved"
    RETIRED = "retired"
    RESTORED = "restored"


class StageCriterion(db.Model):
    """A criterion of a stage's exit checklist (« Collectif constitué »)."""

    __tablename__ = "stage_criteria"
    __table_args__ = (Index("ix_stage_criteria_stage", "stage_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    name: Mapped[str] = mapped_column(String(CRITERION_NAME_MAX))
    # The English interface's wording (empty: the French one is shown); see i18n.localized.
    name_en: Mapped[str] = mapped_column(String(CRITERION_NAME_MAX), default="",
                                         server_default="")
    position: Mapped[int] = mapped_column(default=0)
    # Retired criteria are no longer asked for but stay named on old ticks and moves.
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    def __repr__(self) -> str:
        return f"<StageCriterion {self.stage_id}.{self.position} {self.name!r}>"


class StageCriterionChange(db.Model):
    """What a criterion became at one change, who made it and when. Append-only."""

    __tablename__ = "stage_criterion_changes"
    __table_args__ = (
        CheckConstraint("action IN ('added', 'renamed', 'moved', 'retired', 'restored')",
                        name="action_known"),
        Index("ix_stage_criterion_changes_criterion", "criterion_id", "changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("stage_criteria.id"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    action: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(CRITERION_NAME_MAX))
    name_en: Mapped[str] = mapped_column(String(CRITERION_NAME_MAX), default="")
    position: Mapped[int]
    active: Mapped[bool]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id])


class ProjectCriterion(db.Model):
    """Whether a project meets a criterion now (a row appears at the first tick)."""

    __tablename__ = "project_criteria"
    __table_args__ = (UniqueConstraint("project_id", "criterion_id",
                                       name="uq_project_criteria_project_criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("stage_criteria.id"), index=True)
    ticked: Mapped[bool] = mapped_column(default=False)
    # Who last ticked or unticked it, and when.
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id],
                                                   lazy="raise_on_sql")


class CriterionTick(db.Model):
    """One tick (``ticked`` true) or untick of a criterion on a project. Append-only."""

    __tablename__ = "criterion_ticks"
    __table_args__ = (Index("ix_criterion_ticks_project", "project_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("stage_criteria.id"), index=True)
    ticked: Mapped[bool]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    criterion: Mapped[StageCriterion] = relationship(lazy="raise_on_sql")
    by: Mapped[User | None] = relationship(foreign_keys=[by_id], lazy="raise_on_sql")


class StageMoveUntickedCriterion(db.Model):
    """A criterion still unticked when the project left its stage (the mover confirmed).
    Append-only."""

    __tablename__ = "stage_move_unticked_criteria"

    move_id: Mapped[int] = mapped_column(ForeignKey("stage_moves.id", ondelete="CASCADE"),
                                         primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("stage_criteria.id"),
                                              primary_key=True, index=True)

    criterion: Mapped[StageCriterion] = relationship(lazy="raise_on_sql")
