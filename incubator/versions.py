"""Optimistic locking: the one version-checked UPDATE every edit of shared data goes through.

An edit carries the version of the object the user read (a hidden field in the form). The
UPDATE writes only while the row is still at that version and bumps it in the same
statement (``… SET …, version = version + 1 WHERE id = :id AND version = :seen``), so two
people editing from the same version cannot both win, even in two app processes at the same
instant; the loser gets ``StaleVersion`` and the route answers 409 with their input kept.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Update, bindparam, update
from sqlalchemy.orm.attributes import set_committed_value

from .extensions import db
from .models import derived_keys


class StaleVersion(Exception):
    """The object changed (or went away) since the version the user saw."""

    status = 409


def check_version(obj: Any, seen_version: int | None) -> None:
    """Fail early, before any other write, when the loaded ``obj`` is already newer than
    ``seen_version``. Raises StaleVersion. (The UPDATE checks again: this only saves work.)"""
    if seen_version is None or obj.version != seen_version:
        raise StaleVersion()


def save_version(obj: Any, seen_version: int | None, *,
                 where: tuple[ColumnElement[bool], ...] = (), **values: Any) -> int:
    """Write ``values`` on ``obj``'s row and bump its version, if the row is still at
    ``seen_version`` (and matches the extra ``where`` conditions, e.g. a status or "not
    deleted"). The loaded ``obj`` is told what was written without reading it back (its
    eager-loaded relationships stay). Returns the new version.

    Raises StaleVersion when no row matched: someone changed or deleted it since."""
    if seen_version is None:
        raise StaleVersion()
    model = type(obj)
    values.update(derived_keys(obj, values))  # search keys of the texts written
    result = db.session.execute(
        update(model)
        .where(model.id == obj.id, model.version == seen_version, *where)
        .values(version=model.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return _written(obj, result.rowcount, seen_version, values)


def _written(obj: Any, rowcount: int, seen_version: int, values: dict[str, Any]) -> int:
    """After a version-checked UPDATE of ``obj``'s row that matched ``rowcount`` rows: tell
    the loaded ``obj`` what was written and return its new version. Raises StaleVersion
    when no row matched."""
    if rowcount != 1:
        raise StaleVersion()
    new_version = seen_version + 1
    for name, value in {**values, "version": new_version}.items():
        set_committed_value(obj, name, value)
    return new_version


@cache
def versioned_update(model: type, names: tuple[str, ...], **where: Any) -> Update:
    """``save_version``'s UPDATE built once, for a caller that writes the same columns
    ``names`` at every call (a move): ``… SET <names>, version = version + 1 WHERE id = :id_
    AND version = :seen_version AND <column> = <value> for each of where``, the values bound
    as ``new_<name>``. Building the statement (and SQLAlchemy's cache key for it) at every
    call cost more Python than running it (docs/performance.md, "Issue 15, third pass:
    move"). ``names`` and ``where``'s keys are column names (the model's attributes of
    the same names); ``where``'s values must be constants (they are part of the cache
    key). Raises ValueError for a column a search key is derived from (``models.keys``):
    a prebuilt statement cannot compute the key."""
    sources = {name for keyed in getattr(model, "__search_keys__", {}).values() for name in keyed}
    keyed = [name for name in names if name in sources]
    if keyed:  # their search keys would go stale: save_version computes them
        raise ValueError(f"{model.__name__}: {', '.join(keyed)} have search keys")
    table = model.__table__  # Core: the ORM's bulk UPDATE path costs ~0.1 ms more a call
    return (update(table)
            .where(table.c.id == bindparam("id_"), table.c.version == bindparam("seen_version"),
                   *(table.c[column] == value for column, value in where.items()))
            .values(version=table.c.version + 1,
                    **{name: bindparam(f"new_{name}") for name in names}))


def save_version_prebuilt(obj: Any, seen_version: int | None, statement: Update,
                          **values: Any) -> int:
    """``save_version`` through ``statement``, a ``versioned_update(type(obj), names, …)``
    whose ``names`` are ``values``' keys: the same check, the same answer (the loaded
    ``obj`` is told what was written; returns the new version). ``versioned_update``
    refuses columns with derived search keys (``models.keys``).

    Raises StaleVersion when no row matched: someone changed or deleted it since."""
    if seen_version is None:
        raise StaleVersion()
    result = db.session.execute(statement, {
        "id_": obj.id, "seen_version": seen_version,
        **{f"new_{name}": value for name, value in values.items()}})
    return _written(obj, result.rowcount, seen_version, values)
