"""The network: the ESS organisations of the territory, the pole's members among them, and
their contact people (docs/members.md)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .types import UTCDateTime, utcnow


class OrganisationFamily(enum.StrEnum):
    ASSOCIATION = "association"
    COOPERATIVE = "cooperative"
    MUTUAL = "mutual"
    FOUNDATION = "foundation"
    ESUS_COMPANY = "esus_company"
    OTHER = "other"


# INSEE salaried-headcount bands (trancheEffectifs of the Sirene files), in order.
HEADCOUNT_BANDS = ("NN", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32",
                   "41", "42", "51", "52", "53")


def clean_siret(value: str | None) -> str:
    """A SIREN (9 digits) or SIRET (14 digits) without spaces, or "" when empty.
    Raises ValueError when it is neither (wrong length, digits or check digit)."""
    # Imported here: python-stdnum's modules (~1 MiB) are needed by forms and imports only.
    from stdnum.fr import siren as stdnum_siren
    from stdnum.fr import siret as stdnum_siret

    compact = stdnum_siret.compact(value or "")
    if not compact:
        return ""
    if len(compact) == 9 and stdnum_siren.is_valid(compact):
        return compact
    if len(compact) == 14 and stdnum_siret.is_valid(compact):
        return compact
    raise ValueError(compact)


class Organisation(db.Model):
    """An ESS organisation of the territory: a member of the pole or not."""

    __tablename__ = "organisations"
    __search_keys__ = {"search_text": ("name", "sector", "commune", "skills"),
                       "name_key": ("name",), "commune_key": ("commune",),
                       "sector_key": ("sector",), "skills_key": ("skills",)}
    __table_args__ = (
        CheckConstraint(
            "family IN ('association', 'cooperative', 'mutual', 'foundation', "
            "'esus_company', 'other')", name="family_known"),
        CheckConstraint("headcount IS NULL OR headcount >= 0", name="headcount"),
        CheckConstraint("mentoring_capacity >= 0", name="mentoring_capacity"),
        CheckConstraint("member_since IS NULL OR member_since BETWEEN 1900 AND 2100",
                        name="member_since"),
        Index("ix_organisations_siret", "siret"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # SIREN (9) or SIRET (14 digits), checked by clean_siret; "" when unknown.
    siret: Mapped[str] = mapped_column(String(14), default="", server_default="")
    family: Mapped[str] = mapped_column(String(16), default=OrganisationFamily.OTHER.value)
    legal_category: Mapped[str] = mapped_column(String(4), default="", server_default="")
    naf_code: Mapped[str] = mapped_column(String(6), default="", server_default="")
    sector: Mapped[str] = mapped_column(String(100), default="", server_default="")
    commune: Mapped[str] = mapped_column(String(100), default="", server_default="")
    commune_insee: Mapped[str] = mapped_column(String(5), default="", server_default="")
    # Exact salaried headcount when known, else the INSEE band ("" when neither).
    headcount: Mapped[int | None]
    headcount_band: Mapped[str] = mapped_column(String(2), default="", server_default="")
    employer: Mapped[bool] = mapped_column(default=False)
    is_member: Mapped[bool] = mapped_column(default=False, index=True)
    member_since: Mapped[int | None]
    # Skills offered for mentoring: free text, one per line (see docs/members.md).
    skills: Mapped[str] = mapped_column(Text, default="", server_default="")
    mentoring_capacity: Mapped[int] = mapped_column(default=0)
    website: Mapped[str] = mapped_column(String(300), default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Kept by the models (models/keys.py): casefolded, accents dropped; never shown.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="", deferred=True)
    name_key: Mapped[str] = mapped_column(String(200), default="", server_default="",
                                          index=True)
    commune_key: Mapped[str] = mapped_column(String(100), default="", server_default="",
                                             index=True)
    sector_key: Mapped[str] = mapped_column(String(100), default="", server_default="",
                                            index=True)
    skills_key: Mapped[str] = mapped_column(Text, default="", server_default="", deferred=True)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    contacts: Mapped[list[OrganisationContact]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan",
        order_by="OrganisationContact.id", lazy="raise_on_sql", passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def skill_list(self) -> list[str]:
        return [line.strip() for line in self.skills.splitlines() if line.strip()]


class OrganisationContact(db.Model):
    """A contact person of an organisation: personal data, shown to staff only."""

    __tablename__ = "organisation_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(120), default="", server_default="")
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # The mentor account this person received (role "mentor"), if any: one account a person.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="contacts")
    # The mentor account (loaded explicitly: members.queries.organisation).
    user: Mapped[User | None] = relationship(lazy="raise_on_sql")


class MentorshipRole(enum.StrEnum):
    """The part an organisation plays beside a project (PRODUCT.md, Mentorship)."""

    SPONSOR = "sponsor"  # parrain / marraine
    EXPERT = "expert"  # expert
    SUPPORT_BODY = "support_body"  # structure d'appui


class Mentorship(db.Model):
    """An organisation mentoring a project (parrainage): a role, a contact person, start and
    end dates, and the volunteer hours given (MentoringHours). Current while ``ended_on`` is
    None. Ending it ends the access of the contact's mentor account to the project."""

    __tablename__ = "mentorships"
    __table_args__ = (
        CheckConstraint("role IN ('sponsor', 'expert', 'support_body')", name="role_known"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates_in_order"),
        Index("ix_mentorships_project", "project_id", "ended_on"),
        Index("ix_mentorships_organisation", "organisation_id", "ended_on"),
        # One current mentorship per organisation and project: two staff linking the same
        # organisation at once cannot both succeed (migration 5b0e2c7d9a41).
        Index("uq_mentorships_current", "project_id", "organisation_id", unique=True,
              sqlite_where=text("ended_on IS NULL"),
              postgresql_where=text("ended_on IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # RESTRICT: an organisation with mentorships cannot be deleted (archive it instead).
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"))
    role: Mapped[str] = mapped_column(String(16), default=MentorshipRole.SPONSOR.value)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation_contacts.id", ondelete="SET NULL"), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    organisation: Mapped[Organisation] = relationship(lazy="raise_on_sql")
    contact: Mapped[OrganisationContact | None] = relationship(lazy="raise_on_sql")
    hours: Mapped[list[MentoringHours]] = relationship(
        back_populates="mentorship", order_by="MentoringHours.worked_on",
        lazy="raise_on_sql", passive_deletes=True)

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


class MentoringHours(db.Model):
    """Volunteer hours given for a mentorship on a day (decimal hours, e.g. 1.5)."""

    __tablename__ = "mentoring_hours"
    __table_args__ = (
        CheckConstraint("hours > 0 AND hours <= 24", name="hours_in_a_day"),
        Index("ix_mentoring_hours_mentorship", "mentorship_id", "worked_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorships.id", ondelete="CASCADE"))
    worked_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    mentorship: Mapped[Mentorship] = relationship(back_populates="hours")


class Commune(db.Model):
    """The communes reference (INSEE's Code officiel géographique with coordinates): what
    "nearby" means for mentoring suggestions. Shipped for the demo territory, importable."""

    __tablename__ = "communes"
    __search_keys__ = {"name_key": ("name",)}

    insee_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100), default="", server_default="",
                                          index=True)
    # Postcodes, space-separated (a commune may have several).
    postcodes: Mapped[str] = mapped_column(String(60), default="", server_default="")
    epci_code: Mapped[str] = mapped_column(String(9), default="", server_default="")
    epci_name: Mapped[str] = mapped_column(String(150), default="", server_default="")
    # WGS 84 degrees of the town centre (chef-lieu).
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class OrganisationImport(db.Model):
    """One import of organisations from a file: who, when, which file, what it did.
    Undone (``undone_at``) while no row it touched changed since (see imports)."""

    __tablename__ = "organisation_imports"
    __table_args__ = (
        CheckConstraint("kind IN ('spreadsheet', 'sirene')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    filename: Mapped[str] = mapped_column(String(255))
    imported_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    unchanged_count: Mapped[int] = mapped_column(default=0)
    refused_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    # The column → field mapping used, for the record.
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class OrganisationImportChange(db.Model):
    """What an import did to one organisation: created it, or updated it from ``before``
    (the changed fields' previous values). ``version_after`` tells whether anything
    changed the organisation since, which forbids the undo."""

    __tablename__ = "organisation_import_changes"
    __table_args__ = (
        CheckConstraint("action IN ('created', 'updated')", name="action_known"),
        UniqueConstraint("import_id", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("organisation_imports.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(8))
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version_after: Mapped[int] = mapped_column(default=1)
