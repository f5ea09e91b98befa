"""The network: the ESS organisations of the territory, the pole's members among them, and
their contact people (docs/members.md)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from ..extensions import db
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="contacts")
