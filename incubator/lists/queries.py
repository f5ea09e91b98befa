"""Reads of the reference lists (/admin/lists): the items of a list in order with how many
records use each, and the lists' recent history. A fixed number of statements per page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    CommitteeCriterion,
    CommitteeScore,
    Commune,
    LegalForm,
    Note,
    NoteKind,
    Project,
    ReferenceListChange,
    Theme,
)
from .services import ListSpec

#: How many changes the history sections show.
HISTORY_SHOWN = 20


def items(spec: ListSpec) -> list[Any]:
    """Every item of the list, retired ones too, in the pole's order."""
    model = spec.model
    return list(db.session.scalars(select(model).order_by(model.position, model.id)))


def item(spec: ListSpec, item_id: int) -> Any | None:
    """The item ``item_id`` of this list (None: no such item in THIS list)."""
    return db.session.get(spec.model, item_id)


def usage_counts(spec: ListSpec) -> dict[int, int]:
    """How many records use each item, by item id (one grouped query): projects for themes
    and legal forms, scores for criteria, notes (deleted ones too) for note kinds."""
    if spec.model is Theme:
        query = select(Project.theme_id, func.count()).group_by(Project.theme_id)
    elif spec.model is LegalForm:
        query = select(Project.legal_form_id, func.count()).group_by(Project.legal_form_id)
    elif spec.model is CommitteeCriterion:
        query = select(CommitteeScore.criterion_id, func.count()).group_by(
            CommitteeScore.criterion_id)
    else:
        query = (select(NoteKind.id, func.count(Note.id))
                 .join(Note, Note.kind == NoteKind.code).group_by(NoteKind.id))
    return {item_id: count for item_id, count in db.session.execute(query)
            if item_id is not None}



def history(slug: str | None = None, limit: int = HISTORY_SHOWN) -> list[ReferenceListChange]:
    """The last ``limit`` changes of one list (``slug``) or of all, newest first, with who
    made them."""
    query = select(ReferenceListChange).options(joinedload(ReferenceListChange.by))
    if slug is not None:
        query = query.where(ReferenceListChange.list == slug)
    return list(db.session.scalars(query.order_by(ReferenceListChange.at.desc(),
                                                  ReferenceListChange.id.desc()).limit(limit)))


def commune_count() -> int:
    """How many communes the reference holds."""
    return db.session.scalar(select(func.count()).select_from(Commune)) or 0
