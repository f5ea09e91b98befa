"""The pole's identity as its managers set it on /admin/pole (issue 13, "The pole").

One row (``id = 1``, a check constraint keeps it single) overrides the configuration
(``INCUBATOR_POLE_NAME``…) once a manager saves it; until then there is no row and the
configuration speaks (``incubator.pole.current_pole``). Every save is version-checked and
appends a ``PoleSettingsVersion``: who changed what, when, kept with the data (see
docs/pole.md for why a history table rather than the security log).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .types import UTCDateTime, utcnow

NAME_MAX = 200
SHORT_NAME_MAX = 40
TERRITORY_MAX = 200
EMAIL_MAX = 254
ADDRESS_MAX = 500
ZONE_MAX = 64


class PoleSettings(db.Model):
    """The settings in force: name, short name, territory, logo (already resized, stored
    like documents in the database), contact e-mail, postal address, time zone."""

    __tablename__ = "pole_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=1)
    version: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    short_name: Mapped[str] = mapped_column(String(SHORT_NAME_MAX))
    territory: Mapped[str] = mapped_column(String(TERRITORY_MAX), default="")
    contact_email: Mapped[str] = mapped_column(String(EMAIL_MAX), default="")
    postal_address: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(ZONE_MAX))
    logo_content_type: Mapped[str | None] = mapped_column(String(30))
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    logo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])


class PoleSettingsVersion(db.Model):
    """What the settings became at one save, who saved them and when. Append-only. The
    logo is named by its SHA-256 (its bytes stay in the settings row only)."""

    __tablename__ = "pole_settings_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    short_name: Mapped[str] = mapped_column(String(SHORT_NAME_MAX))
    territory: Mapped[str] = mapped_column(String(TERRITORY_MAX))
    contact_email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    postal_address: Mapped[str] = mapped_column(Text)
    time_zone: Mapped[str] = mapped_column(String(ZONE_MAX))
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    changed_fields: Mapped[str] = mapped_column(String(200), default="")
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id])
