"""Writes of the reference lists: add, rename, reorder, retire and bring back an item of
themes, legal forms, committee criteria or note kinds, and delete a committee criterion no
review was scored on; each change appends a ``ReferenceListChange`` (who, when, what) in
the same transaction. These are the only writes of the committee criteria (the committees'
former criteria page redirects here).

Items in use are never deleted and never lose their id (or, for note kinds, their code):
old records keep pointing at them, retired or renamed. Names are unique in a list ignoring case
and accents (``text.search_key``): « Energie » is refused beside « Énergie ». Renames are
version-checked (``versions.save_version``: StaleVersion → 409). Flushes, never commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from ..extensions import db
from ..models import (
    CommitteeCriterion,
    CommitteeScore,
    LegalForm,
    NoteKind,
    ReferenceListChange,
    Theme,
    User,
)
from ..text import search_key
from ..versions import StaleVersion, check_version, save_version


@dataclass(frozen=True)
class ListSpec:
    """One editable list: its slug in the URLs, model, title, whether items have a
    description (criteria), the longest name its column takes, and whether an item no
    record uses may be deleted (criteria: a typo's fix leaves no retired twin behind)."""

    slug: str
    model: type
    title: Any
    name_max: int = 80
    has_description: bool = False
    deletable: bool = False


LISTS: dict[str, ListSpec] = {spec.slug: spec for spec in (
    ListSpec("themes", Theme, _l("Themes (filières)")),
    ListSpec("legal-forms", LegalForm, _l("Envisaged legal forms")),
    ListSpec("criteria", CommitteeCriterion, _l("Committee criteria"),
             name_max=120, has_description=True, deletable=True),
    ListSpec("note-kinds", NoteKind, _l("Note kinds")),
)}


class ListError(Exception):
    """A change refused, with a message for the user (``field``: the form field it is
    about)."""

    def __init__(self, message: str, field: str = "name") -> None:
        super().__init__(message)
        self.message, self.field = message, field


def record(spec_slug: str, change: str, by: User, item_id: int | None = None,
           detail: str = "") -> ReferenceListChange:
    """Append one change to the lists' history (flushed with the change)."""
    row = ReferenceListChange(list=spec_slug, item_id=item_id, change=change, detail=detail,
                              by_id=by.id)
    db.session.add(row)
    return row


def _check_names(spec: ListSpec, name: str, name_en: str, item_id: int | None = None) -> None:
    """Raise ListError when another item of the list has the same French or English name,
    ignoring case and accents."""
    model = spec.model
    others = db.session.execute(select(model.id, model.name, model.name_en)
                                .where(model.id != (item_id or 0))).all()
    key, key_en = search_key(name), search_key(name_en)
    for _id, other, other_en in others:
        if key and key in (search_key(other), search_key(other_en)):
            raise ListError(_("This list already has “%(name)s” (or the same name with "
                              "other capitals or accents).", name=other))
        if key_en and key_en in (search_key(other_en), search_key(other)):
            raise ListError(_("This list already has “%(name)s” (or the same name with "
                              "other capitals or accents).", name=other_en or other),
                            field="name_en")


def _new_code(name: str) -> str:
    """A note kind's stored code for a new kind: ascii letters of its name, at most 10
    characters, made unique with a number. Never changes afterwards."""
    base = re.sub(r"[^a-z0-9]+", "", search_key(name))[:8] or "kind"
    taken = set(db.session.scalars(select(NoteKind.code)))
    code, number = base, 1
    while code in taken:
        number += 1
        code = f"{base[:10 - len(str(number))]}{number}"
    return code


def add_item(spec: ListSpec, by: User, *, name: str, name_en: str = "",
             description: str = "") -> Any:
    """A new active item, last in the order. Raises ListError (name already used)."""
    _check_names(spec, name, name_en)
    last = db.session.scalar(select(func.max(spec.model.position))) or 0
    values: dict[str, Any] = {"name": name, "name_en": name_en, "position": last + 1,
                              "active": True, "version": 1}
    if spec.has_description:
        values["description"] = description
    if spec.model is NoteKind:
        values["code"] = _new_code(name)
    item = spec.model(**values)
    db.session.add(item)
    db.session.flush()
    record(spec.slug, "added", by, item.id, _describe(name, name_en))
    db.session.flush()
    return item


def _describe(name: str, name_en: str) -> str:
    return f"{name} / {name_en}" if name_en else name


def rename_item(spec: ListSpec, item: Any, by: User, seen_version: int | None, *, name: str,
                name_en: str, description: str = "") -> bool:
    """New French and English names (and description) from the version the manager saw.
    Old records show the new names: they point at the item, not at its words. Returns False
    when nothing changed. Raises StaleVersion, ListError (name already used)."""
    check_version(item, seen_version)
    _check_names(spec, name, name_en, item.id)
    values: dict[str, Any] = {"name": name, "name_en": name_en}
    if spec.has_description:
        values["description"] = description
    if all(getattr(item, field) == value for field, value in values.items()):
        return False
    before = _describe(item.name, item.name_en)
    save_version(item, seen_version, **values)
    record(spec.slug, "renamed", by, item.id, f"{before} → {_describe(name, name_en)}")
    db.session.flush()
    return True


class StaleOrder(Exception):
    """The list's order changed since the page that asked for a move was drawn."""


def move_item(spec: ListSpec, item: Any, by: User, direction: str,
              seen_order: list[int]) -> bool:
    """One place ``up`` or ``down`` in the list's order (retired items count: bringing one
    back puts it where it was), from ``seen_order`` (the ids in the order the page showed).
    Positions are renumbered 1…n in the same transaction. Returns False when it cannot go
    further (nothing written). Raises StaleOrder (nothing written) when the order is no
    longer ``seen_order``: another move, an added item."""
    model = spec.model
    items = list(db.session.scalars(select(model).order_by(model.position, model.id)
                                    .with_for_update()))
    if [each.id for each in items] != seen_order:
        raise StaleOrder()
    index = next(i for i, other in enumerate(items) if other.id == item.id)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(items):
        return False
    items[index], items[other] = items[other], items[index]
    for position, each in enumerate(items, 1):
        if each.position != position:
            each.position = position
    record(spec.slug, "moved", by, item.id,
           f"{item.name} ({index + 1} → {other + 1})")
    db.session.flush()
    return True


def set_active(spec: ListSpec, item: Any, by: User, active: bool) -> bool:
    """Retire an item (no longer offered in new records' forms; old records keep and show
    it) or bring it back. Returns False when it already was so."""
    if item.active == active:
        return False
    item.active = active
    record(spec.slug, "restored" if active else "retired", by, item.id, item.name)
    db.session.flush()
    return True


def is_used(spec: ListSpec, item: Any) -> bool:
    """Whether a record uses ``item`` (for criteria: a review scored on it)."""
    if spec.model is CommitteeCriterion:
        return bool(db.session.scalar(select(exists().where(
            CommitteeScore.criterion_id == item.id))))
    return True  # the other lists' items are never deleted


def delete_item(spec: ListSpec, item: Any, by: User, seen_version: int | None) -> str:
    """Delete an item of a ``deletable`` list that no record uses, from the version the
    manager saw; the history keeps its names. Returns the deleted item's French name.
    Raises StaleVersion (409), ListError (the list keeps its items, or the item is used:
    retire it instead)."""
    if not spec.deletable:
        raise ListError(_("Items of this list are retired, not deleted: old records keep "
                          "them."))
    check_version(item, seen_version)
    if is_used(spec, item):
        raise ListError(_("“%(name)s” was used to score projects: retire it instead, old "
                          "reviews keep their scores.", name=item.name))
    name = item.name
    record(spec.slug, "deleted", by, item.id, _describe(item.name, item.name_en))
    db.session.delete(item)
    db.session.flush()
    return name


__all__ = ["LISTS", "ListError", "ListSpec", "StaleVersion", "add_item", "delete_item",
           "is_used", "move_item",
           "record", "rename_item", "set_active"]
