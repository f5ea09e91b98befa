"""Two-factor authentication (issue 14): a TOTP secret per account, its recovery codes, and
the pole's rule of who must use it.

``TwoFactor`` holds an account's TOTP secret (RFC 6238, base32) *as is*: the codebase has no
key management for encrypting columns, so a copy of the database gives the second factors
with it (docs/two-factor.md says so). ``confirmed_at`` is None while the person is enrolling
(the secret is shown, no code typed yet). ``last_used_step`` is the TOTP time step of the
last accepted code: a code is accepted only by one UPDATE that moves it forward, so a code
(or an older one) cannot be used twice, even by two requests at the same instant.

``RecoveryCode`` keeps each single-use code as a salted SHA-256 (the codes are random, 50
bits each: a slow hash adds nothing), and when it was used.

``SecuritySettings`` is the single row of the pole's rule (which roles must use two-factor),
saved by a manager, version-checked; ``SecuritySettingsChange`` is its append-only history.
Until a manager saves it, the configuration (``TWO_FACTOR_REQUIRED_ROLES``) speaks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .types import UTCDateTime, utcnow

SECRET_MAX = 64
RECOVERY_HASH_MAX = 100


class TwoFactor(db.Model):
    __tablename__ = "user_two_factor"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    secret: Mapped[str] = mapped_column(String(SECRET_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # None: enrolment started, not confirmed by a first code (the factor is not in use).
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)
    # Bumped by every change (enrolment, confirmation, reset): a manager's reset is checked
    # against the version their page showed.
    version: Mapped[int] = mapped_column(default=1)

    user: Mapped[User] = relationship(lazy="raise_on_sql")

    @property
    def enabled(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(db.Model):
    __tablename__ = "recovery_codes"
    __table_args__ = (Index("ix_recovery_codes_user_id_used_at", "user_id", "used_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # "<salt hex>$<sha256 hex of salt + code>"
    code_hash: Mapped[str] = mapped_column(String(RECOVERY_HASH_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SecuritySettings(db.Model):
    """Which roles must use two-factor authentication (holders never must)."""

    __tablename__ = "security_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=1)
    version: Mapped[int] = mapped_column(default=1)
    two_factor_managers: Mapped[bool] = mapped_column(default=True)
    two_factor_advisors: Mapped[bool] = mapped_column(default=False)
    two_factor_mentors: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class SecuritySettingsChange(db.Model):
    """What the rule became at one save, who saved it and when. Append-only."""

    __tablename__ = "security_settings_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]
    two_factor_managers: Mapped[bool]
    two_factor_advisors: Mapped[bool]
    two_factor_mentors: Mapped[bool]
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id])
