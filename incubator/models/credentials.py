"""What guards accounts: failed logins per address and the e-mailed password links.

``LoginFailure`` counts failed logins per submitted e-mail address, whether or not an
account uses it, so that a delay answers the same for known and unknown addresses and is
shared by every process (the counter lives in the database, not in a worker's memory).

``PasswordToken`` is a link sent by e-mail (invitation, password reset): the link carries a
random token, the table keeps only its SHA-256, so a copy of the database gives no live link.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class LoginFailure(db.Model):
    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_delayed_until", "delayed_until"),)

    # The address as typed, normalised (lower case, trimmed): an account's e-mail or not.
    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # No attempt is checked before this time (None: the first failures cost nothing).
    delayed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PasswordToken(db.Model):
    __tablename__ = "password_tokens"
    __table_args__ = (Index("ix_password_tokens_user_id_used_at", "user_id", "used_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
