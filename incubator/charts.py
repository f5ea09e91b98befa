"""Charts of a ``tables.Table``: the data a chart draws, taken from the same rows the accessible
table beside it shows, so both always say the same thing (``templates/macros/charts.html``,
``static/js/charts.js``; docs/exports.md).

The browser gets plain JSON in a ``<script type="application/json">`` element (the CSP allows
no inline script): labels, and per series its label, its column's kind and raw numbers the
JavaScript formats with ``Intl.NumberFormat`` in the page's language: money in euros (not
cents), percentages as a number of percent (12.7, not 0.127), ``None`` as ``null`` (a gap).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from .tables import Link, Table, cell_text

CHART_KINDS = ("bar", "line", "doughnut")


def chart_number(value: Any, kind: str) -> float | int | None:
    """``value`` of a column of ``kind`` as the number a chart draws."""
    value = value.text if isinstance(value, Link) else value
    if value is None:
        return None
    if kind == "money":
        return float(Decimal(int(value)) / 100)
    if kind in ("percent", "change"):
        return float(Decimal(str(value)) * 100)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number for a chart: {value!r}")
    return value


def chart_data(table: Table, kind: str, x: str, series: Sequence[str],
               stacked: bool = False) -> dict[str, Any]:
    """What ``static/js/charts.js`` needs to draw ``table`` as a ``kind`` chart (bar, line,
    doughnut): the labels from column ``x`` (as the table shows them), one data set per
    column of ``series`` (numeric columns only). Raises ValueError for an unknown kind or a
    column that is not a number."""
    if kind not in CHART_KINDS:
        raise ValueError(f"unknown kind of chart: {kind!r}")
    label_column = table.column(x)
    labels = [cell_text(value.text if isinstance(value, Link) else value, label_column.kind)
              for value in table.values(x)]
    sets = []
    for key in series:
        column = table.column(key)
        if not column.numeric:
            raise ValueError(f"column {key!r} of table {table.key!r} is not numeric")
        sets.append({"key": key, "label": str(column.label), "kind": column.kind,
                     "data": [chart_number(value, column.kind) for value in table.values(key)]})
    return {"type": kind, "stacked": bool(stacked), "title": str(table.title),
            "labels": labels, "series": sets}
