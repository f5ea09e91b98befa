"""People: accounts and their roles."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

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
