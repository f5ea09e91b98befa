"""The funders' report page, ``/pipeline/report?year=2026``: every table of the year (the
year chosen in a GET form that htmx enhances, kept in the URL), printable on A4, and its
exports: ``&table=KEY&format=csv|xlsx`` one table, ``&format=xlsx`` the whole report as
one workbook (a sheet per table). Managers only (``permissions.can_read_report``)."""

from __future__ import annotations

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import fail
from ..exports import FORMATS, table_response, workbook_response
from ..htmx import page_or_fragment
from ..i18n import pole_today
from ..params import query_int
from ..permissions import can_read_report
from . import bp, cache, queries


def _export(span: queries.Period, fmt: str, key: str | None):
    if fmt not in FORMATS:
        fail(400, _("Unknown export format: choose CSV or XLSX."))
    name = _("Funders' report %(year)s", year=span.year)  # in the reader's language
    if not key:
        if fmt != "xlsx":
            fail(400, _("A CSV file holds one table: choose a table, or the XLSX workbook "
                        "of the whole report."))
        return workbook_response(cache.report(span)[0], name, what=f"report.{span.year}")
    if key not in queries.BUILDERS:
        fail(400, _("This report has no such table."))
    table = cache.table(key, span)
    return table_response(table, fmt, f"{name} - {table.title}",
                          what=f"report.{span.year}.{key}")


@bp.get("")
@login_required
def index():
    """The report of ``year`` (default: this year in the pole's time zone), or one of its
    exports. A year out of range answers 400 with the range."""
    if not can_read_report(current_user):
        abort(403)
    this_year = pole_today().year
    year = query_int("year", this_year, minimum=queries.FIRST_YEAR, maximum=this_year)
    span = queries.period(year)
    fmt = request.args.get("format")
    if fmt is not None:
        return _export(span, fmt, request.args.get("table"))
    report, produced_at = cache.report(span)
    tables = {table.key: table for table in report}
    sections = [(name, [tables[key] for key in keys]) for name, keys in queries.SECTIONS]
    return page_or_fragment("report/index.html", "report/_report.html", year=year,
                            years=sorted({*queries.years_available(), year}, reverse=True), sections=sections,
                            produced_at=produced_at, span=span)
