"""Tables of figures: the one shape every figure of the managers' review, the funders' report
and the territory page takes, so that the same rows are shown as an accessible HTML table
(``templates/macros/tables.html``), drawn as a chart beside it and exported to CSV or XLSX
without being computed twice (docs/pipeline.md).

A query builds a ``Table`` from the rows its SQL aggregation returned: ``columns`` say what
each value is (``Column.kind``), ``rows`` hold plain values (``None`` for "no figure").
Display follows the reader's language (``cell_text``); exports keep the raw values, typed.

Kinds of values (``Column.kind``):
- ``text``: a str (or a ``Link``: its text, and its ``href`` in the HTML table);
- ``id``: an int that names a row (a project's number): plain digits, never "1 234";
- ``count``: an int; ``decimal``: a Decimal or float (jobs in FTE, averages);
- ``money``: an int of euro cents; ``hours``: a Decimal of hours; ``days``: an int or Decimal;
- ``percent``: a ratio (0.127 is 12.7 %), Decimal or float; ``change``: a ratio of
  evolution, shown with its sign ("+140 %", "−12,5 %"; 0 without one);
- ``date``: a ``date``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import format_decimal, format_percent, get_locale

from .i18n import _money, date_short

KINDS = ("text", "id", "count", "decimal", "money", "hours", "days", "percent", "change",
         "date")
NUMERIC_KINDS = frozenset({"count", "decimal", "money", "hours", "days", "percent", "change"})
PERCENT_KINDS = frozenset({"percent", "change"})  # ratios, shown and exported as percents


@dataclass(frozen=True)
class Link:
    """A cell's text with where it leads (a project's page): the HTML table links it, the
    exports keep the text."""

    text: str
    href: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Column:
    """One column: ``key`` (stable, used in exports' headers' order and in tests), ``label``
    (the header in the reader's language), ``kind`` (see the module's docstring)."""

    key: str
    label: Any
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind of column: {self.kind!r}")

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass
class Table:
    """A table of figures.

    ``key``: its name on the page (``?table=key`` exports it; ``dom_id``-like element ids
    derive from it); ``title``: its caption; ``definition``: how its figures are computed,
    in a sentence or two (shown one click away, under the table); ``footer``: a totals row
    or None; ``empty``: what to say when there is no row; ``shown``: how many rows the page
    shows at most (a worklist: the first ones, and a line saying how many more are in the
    export), None for all. Exports always hold every row."""

    key: str
    title: Any
    columns: Sequence[Column]
    rows: list[tuple] = field(default_factory=list)
    definition: Any = ""
    footer: tuple | None = None
    empty: Any = ""
    shown: int | None = None

    def __post_init__(self) -> None:
        width = len(self.columns)
        for row in [*self.rows, *([self.footer] if self.footer is not None else [])]:
            if len(row) != width:
                raise ValueError(f"table {self.key}: a row of {len(row)} values for "
                                 f"{width} columns")

    @property
    def shown_rows(self) -> list[tuple]:
        """The rows the page shows (the first ``shown`` ones)."""
        return self.rows if self.shown is None else self.rows[:self.shown]

    @property
    def hidden_count(self) -> int:
        """How many rows the page leaves to the export."""
        return len(self.rows) - len(self.shown_rows)

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    def values(self, key: str) -> list:
        """The values of one column, in row order (for charts and tests)."""
        index = [column.key for column in self.columns].index(key)
        return [row[index] for row in self.rows]

    def as_dicts(self) -> list[dict[str, Any]]:
        """The rows as {column key: value} (tests, JSON)."""
        keys = [column.key for column in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


def cell_text(value: Any, kind: str) -> str:
    """``value`` of a column of ``kind`` as the reader reads it: "1 250,50 €", "12,7 %",
    "3,5" hours, "30 nov. 2026"; "" for None."""
    if value is None:
        return ""
    if kind == "money":
        return _money(value)
    if kind == "id":
        return str(value)
    if kind == "count":
        return format_decimal(value, format="#,##0")
    if kind in ("decimal", "hours", "days"):
        return format_decimal(value, format="#,##0.##")
    if kind in PERCENT_KINDS:
        # The language's own pattern ("12,7 %" with a narrow space in French, "12.7%" in
        # English), with one decimal at most; a change shows its sign ("+140 %").
        pattern = get_locale().percent_formats[None].pattern.replace("#,##0", "#,##0.#", 1)
        if kind == "change" and value:
            pattern = f"+{pattern};-{pattern}"
        return format_percent(value, format=pattern)
    if kind == "date" and isinstance(value, date):
        return date_short(value)
    return str(value)


def ratio(part: int | Decimal | None, whole: int | Decimal | None) -> Decimal | None:
    """``part / whole`` as a Decimal ratio for a ``percent`` column, None when ``whole`` is
    0 or unknown (no share of nothing)."""
    if part is None or not whole:
        return None
    return Decimal(part) / Decimal(whole)
