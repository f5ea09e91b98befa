"""Charts of a tables.Table (incubator/charts.py, templates/macros/charts.html): the numbers
the chart draws are the table's (money in euros, percentages ×100), the data sits in an
attribute (no inline script, nothing htmx would drop), the table is always there, a table
without rows has no chart. The drawing itself: tests/browser/test_charts.py."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from flask import render_template_string

from incubator.charts import chart_data, chart_number
from incubator.tables import Column, Link, Table

MACRO = '{% from "macros/charts.html" import chart %}'


def _table(rows=None) -> Table:
    return Table(
        key="by-year", title="Montants <par> année",
        columns=(Column("year", "Année"), Column("granted", "Accordé", "money"),
                 Column("share", "Part", "percent"), Column("jobs", "Emplois", "decimal"),
                 Column("on", "Date", "date")),
        rows=rows if rows is not None else [
            ("2025", 1200050, Decimal("0.127"), Decimal("1.50"), date(2025, 3, 1)),
            (Link("2026 '<x>'", "/y"), None, None, Decimal("2"), None)])


def test_numbers_are_drawn_as_the_reader_reads_them():
    assert chart_number(1200050, "money") == 12000.5
    assert chart_number(Decimal("0.127"), "percent") == pytest.approx(12.7)
    assert chart_number(Decimal("2.00"), "decimal") == 2
    assert chart_number(Decimal("1.5"), "hours") == 1.5
    assert chart_number(None, "count") is None
    with pytest.raises(ValueError):
        chart_number("12", "count")


def test_chart_data_takes_labels_and_series_from_the_table(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        data = chart_data(_table(), "bar", "year", ["granted", "share"], stacked=True)
    assert data["type"] == "bar" and data["stacked"] is True
    assert data["labels"] == ["2025", "2026 '<x>'"]
    assert data["series"] == [
        {"key": "granted", "label": "Accordé", "kind": "money", "data": [12000.5, None]},
        {"key": "share", "label": "Part", "kind": "percent", "data": [pytest.approx(12.7), None]}]


def test_only_known_kinds_and_numeric_series_are_drawn(app):
    with app.test_request_context(), pytest.raises(ValueError):
        chart_data(_table(), "pie3d", "year", ["granted"])
    with app.test_request_context(), pytest.raises(ValueError):
        chart_data(_table(), "bar", "year", ["on"])
    with app.test_request_context(), pytest.raises(KeyError):
        chart_data(_table(), "bar", "year", ["nope"])


def test_the_macro_puts_the_data_in_an_attribute_beside_the_accessible_table(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        html = render_template_string(
            MACRO + '{{ chart(table, "line", "year", ["granted", "jobs"], id_prefix="p-1") }}',
            table=_table())
    assert "<script" not in html
    assert '<figure class="chart" id="p-1-by-year">' in html
    assert re.search(r'<div class="chart-box chart-line" hidden>', html)
    canvas = re.search(r"<canvas id=\"p-1-by-year-canvas\" role=\"img\" aria-label=\"([^\"]*)\"\s+"
                       r"data-chart='([^']*)'>", html)
    assert canvas, html
    assert unescape(canvas.group(1)).startswith("Graphique\u202f: Montants <par> année")
    data = json.loads(unescape(canvas.group(2)))
    assert data["labels"][1] == "2026 '<x>'"
    assert data["series"][1]["data"] == [1.5, 2]
    assert '<table>' in html and 'id="p-1-table-by-year"' in html
    assert "Montants &lt;par&gt; année" in html


def test_a_table_without_rows_has_no_chart(app):
    with app.test_request_context():
        html = render_template_string(MACRO + '{{ chart(table, "bar", "year", ["granted"]) }}',
                                      table=_table(rows=[]))
    assert "<canvas" not in html and "<table>" in html


def test_a_worklist_shows_its_first_rows_and_its_export_holds_them_all(app):
    """``Table.shown`` caps the rows the page shows (a long worklist), says how many more
    the export holds; the export itself has every row."""
    from incubator.exports import table_response

    table = Table(key="late", title="En retard", columns=(Column("what", "Quoi"),),
                  rows=[(f"Tâche {n}",) for n in range(5)], shown=2)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        html = render_template_string(
            '{% from "macros/tables.html" import figure_table %}{{ figure_table(table) }}',
            table=table)
        response = table_response(table, "csv", "late")
        lines = response.get_data().decode("utf-8-sig").splitlines()
    assert "Tâche 1" in html and "Tâche 2" not in html
    assert "The first 2 rows are shown; 3 more are in the export." in html
    assert len(lines) == 6  # the header and the five rows
