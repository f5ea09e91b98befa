"""French text as French readers expect it: the one place that says when two texts match
and in which order names are listed (docs/french.md).

- ``search_key(text)``: what search and filters compare. Case folded, accents and other
  diacritics dropped, ligatures spelt out (œ → oe, æ → ae, ß → ss), typographic apostrophes
  and dashes made plain, white space collapsed: "Écolieu", "ECOLIEU" and "ecolieu" are one
  key. The models keep such keys in columns (``models/keys.py``), so SQLite and PostgreSQL
  compare the same ASCII-like text with plain ``=`` and ``LIKE``.
- ``sort_key(text)``: French order for every list shown to people. Letters first, without
  regard to accents or case ("Émilie" before "Yann"); then accents (e < é < è < ê < ë);
  then case, lower first ("Elan" < "élan" < "Emile"). Built on ``unicodedata``: the same
  order as ICU's root/French collation for the names and words the app lists, without a
  compiled dependency (PyICU has no wheels).
- ``one_spelling(values)``: free-text values offered back as choices (communes), grouped by
  search key and shown in one spelling.

A pure leaf (it imports nothing from the application), so the models may use it too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from sqlalchemy import ColumnElement

# Letters NFKD does not decompose, and typographic signs people type interchangeably.
_SPELT_OUT = str.maketrans({
    "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ẞ": "SS",
    "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i",
    "’": "'", "‘": "'", "ʼ": "'", "‛": "'", "`": "'", "´": "'", "′": "'",
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "−": "-",
    "«": '"', "»": '"', "“": '"', "”": '"', "„": '"',
})

# Accents at the second level, in the order French dictionaries use: e é è ê ë.
_ACCENT_ORDER = {"\u0301": 1, "\u0300": 2, "\u0302": 3, "\u0308": 4, "\u0327": 5}


def _decomposed(text: str) -> str:
    return unicodedata.normalize("NFKD", text.translate(_SPELT_OUT))


def search_key(text: str | None) -> str:
    """``text`` as search compares it: casefolded, without accents, on one spaced line."""
    if not text:
        return ""
    bare = "".join(c for c in _decomposed(text) if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def sort_key(text: str | None) -> tuple:
    """A key that sorts ``text`` in French order (letters, then accents, then case)."""
    text = " ".join((text or "").split())
    accents: list[tuple[int, ...]] = []
    cases: list[int] = []
    for char in _decomposed(text):
        if unicodedata.combining(char):
            if accents:
                accents[-1] += (_ACCENT_ORDER.get(char, 10 + ord(char)),)
            continue
        accents.append(())
        cases.append(1 if char.isupper() else 0)
    return (search_key(text), tuple(accents), tuple(cases), text)


def sorted_french(items: Iterable, key=lambda item: item) -> list:
    """``items`` in French order of ``key(item)`` (a name, a title…)."""
    return sorted(items, key=lambda item: sort_key(key(item)))


def like_key(column: ColumnElement, text: str) -> ColumnElement[bool]:
    """``column`` (a search-key column) contains the search key of ``text``."""
    escaped = search_key(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def one_spelling(counts: Iterable[tuple[str, int]], reference: Iterable[str] = (),
                 spellings: Iterable[str] = ()) -> list[str]:
    """Free-text values offered back as choices, one per search key, in French order.

    ``counts`` are (spelling, times used); ``reference`` values are offered as well,
    ``spellings`` only lend their spelling to values in use. A group takes the reference
    spelling when there is one (a territory's commune), else its most used spelling (ties:
    the first in French order). "redon", "REDON" and "Redon" are offered once, as "Redon".
    """
    used: dict[str, int] = {}
    for spelling, count in counts:
        spelling = " ".join((spelling or "").split())
        if search_key(spelling):
            used[spelling] = used.get(spelling, 0) + count
    chosen: dict[str, str] = {search_key(spelling): spelling for spelling in reference}
    known = {search_key(spelling): spelling for spelling in (*spellings, *reference)}
    groups: dict[str, list[tuple[int, tuple, str]]] = {}
    for spelling, count in used.items():
        groups.setdefault(search_key(spelling), []).append((-count, sort_key(spelling), spelling))
    for key, spellings in groups.items():
        chosen.setdefault(key, known.get(key) or min(spellings)[2])
    return sorted_french(chosen.values())
