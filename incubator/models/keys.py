"""Search keys kept by the models: the one mechanism behind every search and filter on
people's text (docs/french.md).

A model lists, in ``__search_keys__``, each key column and the text columns it is made
from (``{"search_text": ("title", "pitch", "commune")}``). The key is ``text.search_key``
of those texts (casefolded, accents dropped), so SQLite and PostgreSQL match "epicerie"
against "Épicerie" the same way, with plain ``=`` or ``LIKE`` and the key's index.
A flush keeps the keys of new and changed rows; ``versions.save_version`` (an UPDATE that
bypasses the flush) asks ``derived_keys`` for the keys of what it writes.

A key can be longer than its text ("ß" → "ss", "…" → "...", "ﷺ" spells out as 18 letters),
so a key kept in a ``String(n)`` column is cut at ``n`` characters (PostgreSQL refuses a
longer one); a filter that compares such a column with ``=`` cuts its own key the same way
(``column_key``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, event, inspect
from sqlalchemy.orm import Session

from ..text import search_key

# Between the texts of one key, so that a phrase never matches across two fields.
SEPARATOR = "\n"


def _fitted(key: str, column: Any) -> str:
    length = getattr(column.type, "length", None)
    return key[:length] if length else key


def column_key(column: ColumnElement, text: str | None) -> str:
    """The search key of ``text`` as the key column ``column`` keeps it (cut at the
    column's length), for a filter that compares the column with ``=``."""
    return _fitted(search_key(text), column)


def _key(obj: Any, column: str, sources: tuple[str, ...], values: dict[str, Any]) -> str:
    texts = (values[name] if name in values else getattr(obj, name) for name in sources)
    return _fitted(SEPARATOR.join(search_key(text) for text in texts),
                   type(obj).__table__.c[column])


def derived_keys(obj: Any, values: dict[str, Any]) -> dict[str, str]:
    """The key columns to write beside ``values`` (column → new value) on ``obj``'s row."""
    keys = getattr(type(obj), "__search_keys__", {})
    return {column: _key(obj, column, sources, values) for column, sources in keys.items()
            if any(name in values for name in sources)}


@event.listens_for(Session, "before_flush")
def _keep_search_keys(session: Session, flush_context, instances) -> None:
    for obj in (*session.new, *session.dirty):
        keys = getattr(type(obj), "__search_keys__", None)
        if not keys:
            continue
        state = inspect(obj)
        for column, sources in keys.items():
            if state.pending or any(state.attrs[name].history.has_changes()
                                    for name in sources):
                setattr(obj, column, _key(obj, column, sources, {}))
