"""Login sessions kept on the server, so that they can be ended (issue 7, point 2).

A ``UserSession`` row is created at each login. Its secret is stored as a SHA-256 hash; the
clear value lives only in the signed Flask session cookie (and, for "stay logged in", a
second secret in the remember cookie). Ending the row ends the session whatever cookie a
browser still holds.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .types import UTCDateTime, utcnow


class EndReason(enum.StrEnum):
    LOGOUT = "logout"
    ENDED_BY_USER = "ended_by_user"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105
    PASSWORD_RESET = "password_reset"  # noqa: S105
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"
    ROLE_CHANGED = "role_changed"
    IDLE = "idle"
    EXPIRED = "expired"
    REMEMBER_REUSED = "remember_reused"  # an already rotated remember token came back
    TWO_FACTOR_CHANGED = "two_factor_changed"  # set up, turned off, or reset by a manager


class UserSession(db.Model):
    __tablename__ = "user_sessions"
    __table_args__ = (
        # "The open sessions of this user": the account page and every revocation.
        Index("ix_user_sessions_user_open", "user_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Absolute end of the current lease (login, or remember-me resume, + SESSION_HOURS).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # "Stay logged in": the current remember token's hash, the previous one (to detect the
    # reuse of a stolen, already rotated token) and when it was rotated.
    remember_hash: Mapped[str | None] = mapped_column(String(64))
    remember_previous_hash: Mapped[str | None] = mapped_column(String(64))
    remember_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    remember_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str | None] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(45))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_reason: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id} ended={self.ended_reason}>"
