"""People: accounts and their roles; and what a person asks about their own account: a
new e-mail address waiting for its confirmation link, and a request to close the account.

``EmailChange`` is a link mailed to the new address: the link carries a random token, the
table keeps only its SHA-256 (like ``PasswordToken``), so a copy of the database gives no
live link. At most one change per account is pending (a new request cancels the earlier
one); the address changes only when the owner opens the link while logged in.

``ClosureRequest`` is a person's request that the pole close (erase) their account: the
managers see the list, answer each request (handled or declined, with a message) and erase
the person with the erasure feature. At most one request per account is pending (a partial
unique index decides between two submissions at once).
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    HOLDER = "holder"
    MENTOR = "mentor"
    ADVISOR = "advisor"
    MANAGER = "manager"

    @property
    def is_staff(self) -> bool:
        return self in (Role.ADVISOR, Role.MANAGER)


STAFF_ROLES = (Role.ADVISOR, Role.MANAGER)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __search_keys__ = {"name_key": ("name",)}
    __table_args__ = (
        CheckConstraint(
            "role IN ('holder', 'mentor', 'advisor', 'manager')", name="role_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # search_key(name), kept by the models (models/keys.py): search and French order.
    name_key: Mapped[str] = mapped_column(String(120), default="", server_default="", index=True)
    # None until an invited person chooses a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.HOLDER.value)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Notifications are always shown in the app; e-mailed unless the user turns it off.
    email_notifications: Mapped[bool] = mapped_column(default=True)
    # Edits of the account (its name on /account) are version-checked (versions.py).
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive accounts cannot log in
        return self.active

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_staff(self) -> bool:
        return self.role_enum.is_staff

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_holder(self) -> bool:
        return self.role == Role.HOLDER

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.replace("-", " ").split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or self.email[0].upper()


class EmailChange(db.Model):
    __tablename__ = "email_changes"
    __table_args__ = (Index("ix_email_changes_user_pending", "user_id", "confirmed_at",
                            "cancelled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The address asked for, normalised (lower case, trimmed).
    new_email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Cancelled by its owner, or replaced by a newer request.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def is_pending(self, now: datetime) -> bool:
        return self.confirmed_at is None and self.cancelled_at is None and self.expires_at > now


class ClosureStatus(enum.StrEnum):
    PENDING = "pending"
    CANCELLED = "cancelled"  # by the person who asked
    HANDLED = "handled"  # a manager closed the account (or will: erasure is theirs)
    DECLINED = "declined"  # a manager explained why not (e.g. a project still followed)


class ClosureRequest(db.Model):
    __tablename__ = "closure_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'cancelled', 'handled', 'declined')",
                        name="status_known"),
        Index("ix_closure_requests_one_pending", "user_id", unique=True,
              sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
        Index("ix_closure_requests_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default=ClosureStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                  ondelete="SET NULL"))
    # The manager's message to the person (why declined, what happens next).
    answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="raise_on_sql")
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id],
                                                    lazy="raise_on_sql")

    @property
    def status_enum(self) -> ClosureStatus:
        return ClosureStatus(self.status)
