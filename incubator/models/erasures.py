"""The erasure log: one row per person erased on request (GDPR article 17).

A row says who erased whom and when, without the erased identity: only the ids needed to
replay the erasure after a backup restore (``user_id``, ``contact_id`` or
``partner_contact_id``, plain integers and
no foreign key, so the row never depends on what it erased), the documents the manager
decided to keep (ids) and where free text written by others still mentions the person
(table, column and row ids, never the text). Its ``id`` is the pseudonym's number:
« Personne supprimée n° 12 ». See docs/erasure.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .types import UTCDateTime, utcnow


class Erasure(db.Model):
    __tablename__ = "erasures"
    __table_args__ = (
        CheckConstraint("kind IN ('user', 'contact', 'partner_contact')", name="kind_known"),
        CheckConstraint("(kind = 'user' AND user_id IS NOT NULL) OR "
                        "(kind = 'contact' AND contact_id IS NOT NULL) OR "
                        "(kind = 'partner_contact' AND partner_contact_id IS NOT NULL)",
                        name="target_named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The erased account (kept as a pseudonymised shell) or organisation contact (deleted).
    user_id: Mapped[int | None] = mapped_column(unique=True)
    contact_id: Mapped[int | None] = mapped_column(unique=True)  # an organisation's contact
    partner_contact_id: Mapped[int | None] = mapped_column(unique=True)  # a partner's contact
    # Documents the person uploaded that the pole must keep (the manager's decision).
    kept_document_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Free text by others that still mentions the person: [[table, column, row id], …].
    mentions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    erased_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The last time ``flask erasures replay`` applied it again (after a restore).
    replayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    erased_by: Mapped[User | None] = relationship(foreign_keys=[erased_by_id],
                                                  lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Erasure {self.id} {self.kind}>"
