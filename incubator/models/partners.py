"""Partner bodies and what they do for projects: supports (funding, premises, expertise…)
with their status history, and referrals to or from other support bodies (docs/partners.md).

PRODUCT.md: Partner, Support, Referral. A partner may be an organisation of the directory
(a network body that is also a member): it then points at it (``organisation_id``) and takes
its name, SIRET and contacts from it, so nothing is entered twice.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
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
from .types import UTCDateTime, utcnow


class PartnerKind(enum.StrEnum):
    """Kinds of partner bodies (PRODUCT.md, Partner)."""

    COMMUNE = "commune"
    INTERCOMMUNALITE = "intercommunalite"  # EPCI: communauté de communes, d'agglomération
    DEPARTEMENT = "departement"
    REGION = "region"
    STATE = "state"  # État and its services (DREETS, préfecture…)
    SOLIDARITY_FUNDER = "solidarity_funder"  # financeur solidaire (France Active…)
    BANK = "bank"
    ESS_NETWORK = "ess_network"  # réseau ESS (CRESS, URSCOP, TAg BZH…)
    FOUNDATION = "foundation"
    OTHER = "other"


class Partner(db.Model):
    """A partner body (partenaire): funds, houses, advises or decides on projects.

    When ``organisation_id`` is set, the organisation of the directory is the partner: its
    name, SIRET and contacts are the partner's (``name`` and ``siret`` here stay empty and
    ``display_name`` reads the organisation's)."""

    __tablename__ = "partners"
    __search_keys__ = {"search_text": ("name", "notes"), "name_key": ("name",)}
    __table_args__ = (
        CheckConstraint(
            "kind IN ('commune', 'intercommunalite', 'departement', 'region', 'state', "
            "'solidarity_funder', 'bank', 'ess_network', 'foundation', 'other')",
            name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Empty when the partner is an organisation of the directory (its name is used).
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    kind: Mapped[str] = mapped_column(String(20), default=PartnerKind.OTHER.value)
    # SIREN (9) or SIRET (14 digits), checked by network.clean_siret; "" when unknown.
    siret: Mapped[str] = mapped_column(String(14), default="", server_default="")
    # One partner per organisation of the directory (RESTRICT: archive, never delete).
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), unique=True)
    website: Mapped[str] = mapped_column(String(300), default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Kept by the models (models/keys.py); for a linked organisation, its own keys serve.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="", deferred=True)
    name_key: Mapped[str] = mapped_column(String(200), default="", server_default="",
                                          index=True)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    organisation: Mapped[Organisation | None] = relationship(lazy="raise_on_sql")
    contacts: Mapped[list[PartnerContact]] = relationship(
        back_populates="partner", cascade="all, delete-orphan",
        order_by="PartnerContact.id", lazy="raise_on_sql", passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Partner {self.id} {self.name!r}>"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def display_name(self) -> str:
        """The name to show: the organisation's when the partner is one (load it first)."""
        if self.organisation_id is not None:
            return self.organisation.name
        return self.name


class PartnerContact(db.Model):
    """A contact person of a partner that is not an organisation of the directory (those
    use the organisation's contacts). Personal data, shown to staff only."""

    __tablename__ = "partner_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"),
                                            index=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(120), default="", server_default="")
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)

    partner: Mapped[Partner] = relationship(back_populates="contacts")


class SupportKind(enum.StrEnum):
    """Kinds of support (PRODUCT.md, Support)."""

    GRANT = "grant"  # subvention
    LOAN = "loan"  # prêt
    HONOUR_LOAN = "honour_loan"  # prêt d'honneur
    GUARANTEE = "guarantee"  # garantie
    PREMISES = "premises"  # locaux
    EXPERTISE = "expertise"  # expertise
    NETWORKING = "networking"  # mise en réseau


# Kinds that carry an amount in EUR (the others: premises, expertise, networking may too,
# as a valuation, but need not).
FINANCIAL_SUPPORT_KINDS = frozenset({SupportKind.GRANT, SupportKind.LOAN,
                                     SupportKind.HONOUR_LOAN, SupportKind.GUARANTEE})


class SupportStatus(enum.StrEnum):
    """Where a support stands (PRODUCT.md, Support): envisagé, demandé, accordé, refusé,
    versé."""

    ENVISAGED = "envisaged"
    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"
    PAID = "paid"


# The status moves allowed (from → to): a support is paid only once granted; a refused
# request may be made again; a granted support may still be withdrawn (refused).
SUPPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    "envisaged": frozenset({"requested", "granted", "refused"}),
    "requested": frozenset({"granted", "refused", "envisaged"}),
    "granted": frozenset({"paid", "refused"}),
    "refused": frozenset({"requested", "envisaged"}),
    "paid": frozenset(),
}


class Support(db.Model):
    """A support (soutien) of a partner to a project: kind, amount (exact integer cents,
    None where it does not apply), status with its history (SupportStatusChange), the
    programme or call it answers, a comment."""

    __tablename__ = "supports"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('grant', 'loan', 'honour_loan', 'guarantee', 'premises', 'expertise', "
            "'networking')", name="kind_known"),
        CheckConstraint(
            "status IN ('envisaged', 'requested', 'granted', 'refused', 'paid')",
            name="status_known"),
        CheckConstraint("amount_cents IS NULL OR amount_cents >= 0", name="amount"),
        Index("ix_supports_project", "project_id", "status"),
        Index("ix_supports_partner", "partner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # RESTRICT: a partner with supports cannot be deleted (archive it instead).
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(12))
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default=SupportStatus.ENVISAGED.value)
    # The day of the current status (the last SupportStatusChange's).
    status_on: Mapped[date] = mapped_column(Date)
    programme: Mapped[str] = mapped_column(String(200), default="", server_default="")
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    partner: Mapped[Partner] = relationship(lazy="raise_on_sql")
    changes: Mapped[list[SupportStatusChange]] = relationship(
        back_populates="support", order_by="SupportStatusChange.changed_on, SupportStatusChange.id",
        lazy="raise_on_sql", passive_deletes=True)


class SupportStatusChange(db.Model):
    """A support's status set on a day, with the amount it had then (requested, granted
    and paid amounts may differ). Append-only: the partner's yearly totals and the funders'
    report are computed from these rows. The first row of a support has ``from_status``
    None (its creation)."""

    __tablename__ = "support_status_changes"
    __table_args__ = (
        CheckConstraint(
            "to_status IN ('envisaged', 'requested', 'granted', 'refused', 'paid')",
            name="to_status_known"),
        CheckConstraint("amount_cents IS NULL OR amount_cents >= 0", name="amount"),
        Index("ix_support_status_changes_support", "support_id", "changed_on"),
        Index("ix_support_status_changes_status_on", "to_status", "changed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    support_id: Mapped[int] = mapped_column(ForeignKey("supports.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    changed_on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    support: Mapped[Support] = relationship(back_populates="changes")
    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id],
                                                   lazy="raise_on_sql")


class ReferralDirection(enum.StrEnum):
    OUTGOING = "outgoing"  # the pole hands the project to the partner
    INCOMING = "incoming"  # the partner hands the project to the pole


class ReferralOutcome(enum.StrEnum):
    PENDING = "pending"  # en attente
    TAKEN_UP = "taken_up"  # pris en charge
    DECLINED = "declined"  # non retenu
    UNKNOWN = "unknown"  # sans nouvelles


class Referral(db.Model):
    """An orientation: a project handed to another support body (a partner: TAg incubator,
    France Active, DLA, CAE…) or received from one, with date, reason and outcome."""

    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint("direction IN ('outgoing', 'incoming')", name="direction_known"),
        CheckConstraint("outcome IN ('pending', 'taken_up', 'declined', 'unknown')",
                        name="outcome_known"),
        Index("ix_referrals_project", "project_id", "referred_on"),
        Index("ix_referrals_partner", "partner_id", "referred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # RESTRICT: a partner with referrals cannot be deleted (archive it instead).
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="RESTRICT"))
    direction: Mapped[str] = mapped_column(String(8))
    referred_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    outcome: Mapped[str] = mapped_column(String(10), default=ReferralOutcome.PENDING.value)
    outcome_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    partner: Mapped[Partner] = relationship(lazy="raise_on_sql")
