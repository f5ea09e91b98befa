"""Reference lists the managers keep (/admin/lists): note kinds, and the append-only record
of every change made to any list (themes, legal forms, committee criteria, note kinds,
communes).

Themes and legal forms live with the projects (pipeline.py), criteria with the committees
(committees.py); each carries ``position``, ``active`` (retired items stay on old records)
and ``version`` (renames are version-checked).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .types import UTCDateTime, utcnow

#: The lists a ReferenceListChange may name (the slugs of /admin/lists/<list>).
LIST_SLUGS = ("themes", "legal-forms", "criteria", "note-kinds", "communes")
#: What a change did.
CHANGE_KINDS = ("added", "renamed", "moved", "retired", "restored", "imported")


class NoteKind(db.Model):
    """A kind of follow-up note (rendez-vous, appel, e-mail…). ``code`` is what notes store:
    the five original kinds keep theirs (meeting, call, email, visit, other); a new kind gets
    a generated code that never changes, whatever its names become."""

    __tablename__ = "note_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    name_en: Mapped[str] = mapped_column(String(80), default="", server_default="")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class ReferenceListChange(db.Model):
    """One change of a reference list: which list, which item (its id; None for an import
    of communes), who, when, what (``change``) and, in words, the details (old and new
    names, counts of an import; a deleted criterion's names). Append-only."""

    __tablename__ = "reference_list_changes"
    __table_args__ = (
        CheckConstraint("list IN ('themes', 'legal-forms', 'criteria', 'note-kinds', "
                        "'communes')", name="list_known"),
        CheckConstraint("change IN ('added', 'renamed', 'moved', 'retired', 'restored', "
                        "'imported', 'deleted')", name="change_known"),
        Index("ix_reference_list_changes_list_at", "list", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list: Mapped[str] = mapped_column(String(12))
    item_id: Mapped[int | None]
    change: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(Text, default="", server_default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    by: Mapped[User | None] = relationship(foreign_keys=[by_id])
