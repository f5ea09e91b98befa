"""Committees: sittings of a selection or support committee, the people sitting, the
projects on the agenda and each project's review (decision, scores on the pole's criteria,
conditions, comments). PRODUCT.md: Committee review; docs/committees.md.

Criteria are editable data with an order; a score points at the criterion it was given on,
and a criterion once scored is retired, never deleted, so old reviews keep their criteria.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .network import Organisation, OrganisationContact
from .partners import Partner, PartnerContact
from .pipeline import Project, Stage
from .types import UTCDateTime, utcnow

# Scores are whole numbers from SCORE_MIN to SCORE_MAX ("note sur 5").
SCORE_MIN = 0
SCORE_MAX = 5


class CommitteeCriterion(db.Model):
    """A criterion the pole scores projects on (dimension collective, utilité sociale…)."""

    __tablename__ = "committee_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_en: Mapped[str] = mapped_column(String(120), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    position: Mapped[int] = mapped_column(default=0)
    # Retired criteria are not offered for new reviews; old scores keep pointing at them.
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class CommitteeDecision(enum.StrEnum):
    GO = "go"  # avis favorable
    GO_WITH_CONDITIONS = "go_conditions"  # favorable sous conditions
    POSTPONE = "postpone"  # ajourné
    NO = "no"  # défavorable


class CommitteeSitting(db.Model):
    """A sitting (séance) of a committee: its name (comité de sélection, comité d'appui…),
    date and place, who sat, and the projects on its agenda (CommitteeReview)."""

    __tablename__ = "committee_sittings"
    __search_keys__ = {"search_text": ("name", "place")}
    __table_args__ = (Index("ix_committee_sittings_held_on", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="", deferred=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    seats: Mapped[list[CommitteeSeat]] = relationship(
        back_populates="sitting", cascade="all, delete-orphan", order_by="CommitteeSeat.id",
        lazy="raise_on_sql", passive_deletes=True)
    reviews: Mapped[list[CommitteeReview]] = relationship(
        back_populates="sitting", order_by="CommitteeReview.position, CommitteeReview.id",
        lazy="raise_on_sql", passive_deletes=True)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class CommitteeSeat(db.Model):
    """A person sitting at a sitting: from a partner or a member organisation (optionally
    one of its contact people), or named alone. ``name`` keeps the person's name as it was."""

    __tablename__ = "committee_seats"
    __table_args__ = (
        CheckConstraint("partner_id IS NULL OR organisation_id IS NULL", name="one_body"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(
        ForeignKey("committee_sittings.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(120), default="", server_default="")
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    partner_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner_contacts.id", ondelete="SET NULL"))
    organisation_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation_contacts.id", ondelete="SET NULL"))

    sitting: Mapped[CommitteeSitting] = relationship(back_populates="seats")
    partner: Mapped[Partner | None] = relationship(lazy="raise_on_sql")
    organisation: Mapped[Organisation | None] = relationship(lazy="raise_on_sql")
    partner_contact: Mapped[PartnerContact | None] = relationship(lazy="raise_on_sql")
    organisation_contact: Mapped[OrganisationContact | None] = relationship(
        lazy="raise_on_sql")


class CommitteeReview(db.Model):
    """A project on a sitting's agenda and the committee's review of it: the decision (None
    until taken), scores (CommitteeScore), conditions and internal comments.

    Holders see the decision and the conditions once ``shared_with_holders`` is set; they
    never see scores or comments."""

    __tablename__ = "committee_reviews"
    __table_args__ = (
        CheckConstraint(
            "decision IS NULL OR decision IN ('go', 'go_conditions', 'postpone', 'no')",
            name="decision_known"),
        UniqueConstraint("sitting_id", "project_id"),
        Index("ix_committee_reviews_project", "project_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(
        ForeignKey("committee_sittings.id", ondelete="RESTRICT"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # Order on the agenda.
    position: Mapped[int] = mapped_column(default=0)
    decision: Mapped[str | None] = mapped_column(String(14))
    conditions: Mapped[str] = mapped_column(Text, default="", server_default="")
    comments: Mapped[str] = mapped_column(Text, default="", server_default="")
    shared_with_holders: Mapped[bool] = mapped_column(default=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The stage the project was moved to after the decision (the one-click move), if any.
    moved_to_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    sitting: Mapped[CommitteeSitting] = relationship(back_populates="reviews")
    project: Mapped[Project] = relationship(lazy="raise_on_sql")
    moved_to_stage: Mapped[Stage | None] = relationship(lazy="raise_on_sql")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id],
                                                   lazy="raise_on_sql")
    scores: Mapped[list[CommitteeScore]] = relationship(
        back_populates="review", cascade="all, delete-orphan", lazy="raise_on_sql",
        passive_deletes=True)


class CommitteeScore(db.Model):
    """A review's score on one criterion (SCORE_MIN to SCORE_MAX)."""

    __tablename__ = "committee_scores"
    __table_args__ = (
        CheckConstraint(f"score BETWEEN {SCORE_MIN} AND {SCORE_MAX}", name="score_range"),
        UniqueConstraint("review_id", "criterion_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("committee_reviews.id", ondelete="CASCADE"))
    # RESTRICT: a criterion that was scored is retired, never deleted.
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("committee_criteria.id", ondelete="RESTRICT"), index=True)
    score: Mapped[int] = mapped_column(SmallInteger)

    review: Mapped[CommitteeReview] = relationship(back_populates="scores")
    criterion: Mapped[CommitteeCriterion] = relationship(lazy="raise_on_sql")
