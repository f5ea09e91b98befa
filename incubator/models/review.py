"""What the managers' review needs beyond the pipeline's history: the accompaniment time
advisors spend on projects, and the territory's salaried jobs that give the ESS share
(docs/pipeline.md).

PRODUCT.md: Manager ("what to report to funders"); issue 12: accompaniment time is counted
the way funders of support schemes count it (hours per project and per kind of contact).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .types import UTCDateTime, utcnow


class AccompanimentKind(enum.StrEnum):
    """How the time was spent with the project's people."""

    INDIVIDUAL_MEETING = "individual_meeting"  # rendez-vous individuel
    COLLECTIVE_WORKSHOP = "collective_workshop"  # atelier collectif
    PHONE = "phone"  # téléphone
    VIDEO = "video"  # visioconférence
    ON_SITE = "on_site"  # sur site (visite, chantier, local)


class AccompanimentTime(db.Model):
    """Time an advisor spent accompanying a project on a day (temps d'accompagnement):
    ``minutes`` (1 to 24 × 60) of one kind, with an optional note. Editable by staff,
    version-checked; each change is told on the project's timeline (ProjectEvent)."""

    __tablename__ = "accompaniment_times"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('individual_meeting', 'collective_workshop', 'phone', 'video', "
            "'on_site')", name="kind_known"),
        CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes_in_a_day"),
        Index("ix_accompaniment_times_project", "project_id", "spent_on"),
        Index("ix_accompaniment_times_spent_on", "spent_on", "advisor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # Who spent the time (a staff account); None once that account is deleted.
    advisor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    spent_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20),
                                      default=AccompanimentKind.INDIVIDUAL_MEETING.value)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    advisor: Mapped[User | None] = relationship(foreign_keys=[advisor_id], lazy="raise_on_sql")


class TerritoryEmployment(db.Model):
    """The territory's total salaried jobs for a year (all employers, ESS or not), entered by
    a manager with its source (e.g. "INSEE, Flores 2023"): the denominator of the ESS share
    of salaried jobs on the territory page ("soit 12,7 % des effectifs salariés")."""

    __tablename__ = "territory_employment"
    __table_args__ = (
        CheckConstraint("year BETWEEN 1900 AND 2100", name="year_in_range"),
        CheckConstraint("salaried_jobs > 0", name="salaried_jobs_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    salaried_jobs: Mapped[int]
    source: Mapped[str] = mapped_column(String(300), default="", server_default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
