"""The exports page (/exports) and its downloads (/exports/<what>?format=csv|xlsx&…): the
filters travel in the URL (a GET form that needs no JavaScript: each download button sends
the form to its own address). Staff only; what an export holds follows
``permissions.exportable_projects`` and ``can_export_contacts`` (docs/exports.md)."""

from __future__ import annotations

from datetime import date

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..board.queries import filter_choices
from ..errors import fail
from ..exports import FORMATS, stream_response
from ..forms import FIRST_DATE, LAST_DATE
from ..htmx import render
from ..i18n import date_long, pole_today
from ..labels import STATUS_LABELS
from ..params import query_int
from ..permissions import can_export, can_export_contacts
from ..reference import active_stages
from . import bp, queries


def _may_export() -> None:
    if not can_export(current_user):
        abort(403)


def _day(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        fail(400, _("The address is not valid: “%(name)s” must be a date (YYYY-MM-DD).",
                    name=name))
    if not FIRST_DATE <= day <= LAST_DATE:
        # The bounds every date field keeps (forms.py): beyond them a day's midnight in the
        # pole's zone, or the day after, is out of Python's range.
        fail(400, _("The address is not valid: “%(name)s” must be a date between %(first)s "
                    "and %(last)s.", name=name, first=date_long(FIRST_DATE),
                    last=date_long(LAST_DATE)))
    return day


def _filters() -> queries.ExportFilters:
    """The filters of the URL; a 400 for a value that cannot be one."""
    status = (request.args.get("status") or "").strip()
    if status and status not in queries.STATUSES:
        fail(400, _("The address is not valid: unknown status “%(status)s”.", status=status))
    filters = queries.ExportFilters(
        start=_day("from"), end=_day("to"), stage=query_int("stage"),
        advisor=query_int("advisor"), theme=query_int("theme"),
        commune=(request.args.get("commune") or "").strip()[:100], status=status,
        archived=request.args.get("archived") in ("1", "on", "true", "y"))
    if filters.start and filters.end and filters.start > filters.end:
        fail(400, _("The period is not valid: its start is after its end."))
    return filters


@bp.get("/exports")
@login_required
def index():
    """The exports offered to the user, with the filters they apply."""
    _may_export()
    return render("exports/index.html", filters=queries.ExportFilters() if not request.args
                  else _filters(), choices=filter_choices(), stages=active_stages(),
                  statuses={code: STATUS_LABELS[code] for code in queries.STATUSES},
                  with_contacts=can_export_contacts(current_user))


@bp.get("/exports/<what>")
@login_required
def download(what: str):
    """One export in the format asked, streamed, recorded in the security log."""
    _may_export()
    if what not in queries.BUILDERS:
        abort(404)
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        fail(400, _("The address is not valid: the format must be CSV or XLSX."))
    filters = _filters()
    export = queries.BUILDERS[what](current_user, filters)
    filename = f"{export.title} {pole_today().isoformat()}"
    return stream_response(export.columns, export.rows, fmt, filename, what=f"entities.{what}",
                           title=export.title, **filters.as_log())
