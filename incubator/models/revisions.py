"""Revisions: one row per name whose value changes at every commit that writes what it
watches (``incubator/revisions.py`` bumps it). The board's whole-columns cache and its
``ETag`` are keyed by the ``board`` revision (docs/performance.md "Conditional GET")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class Revision(db.Model):
    """``value`` is a random 63-bit number drawn at each bump (not a counter: a restored
    backup or a rebuilt database must not reuse a value some process still caches)."""

    __tablename__ = "revisions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
