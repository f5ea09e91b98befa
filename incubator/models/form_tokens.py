"""Spent one-time form tokens: a creating form is accepted once.

A form that creates something (an idea, a note, a next step, a document, a holder) carries
a signed token issued when the page was rendered (``incubator/once.py``). Nothing is written
when the form is shown; the token is recorded here when the form is accepted, in the same
transaction as what it created, so a replay of the same rendered form (a double click, a
resend after a slow answer) finds the row and is pointed at what the first one created.
Only the SHA-256 of the token is kept; rows older than the token's lifetime are deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class UsedFormToken(db.Model):
    __tablename__ = "used_form_tokens"
    __table_args__ = (Index("ix_used_form_tokens_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    form: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # What the accepted submission created, for the answer to a replay.
    object_kind: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column()

    def __repr__(self) -> str:
        return f"<UsedFormToken {self.form} user={self.user_id} → {self.object_kind} {self.object_id}>"
