"""The exports page (/exports) and its downloads (/exports/<what>?format=csv|xlsx&…): the
filters travel in the URL (a GET form that needs no JavaScript: each download button sends
the form to its own address). Staff only; what an export holds follows
``permissions.exportable_projects`` and ``can_export_contacts`` (docs/exports.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..board.queries import filter_choices
from ..exports import FORMATS, stream_response
from ..forms import FIRST_DATE, LAST_DATE
from ..htmx import render
from ..i18n import date_long, pole_today
from ..labels import STATUS_LABELS
from ..params import parse_int
from ..permissions import can_export, can_export_contacts
from ..reference import active_stages
from . import bp, queries


def _may_export() -> None:
    if not can_export(current_user):
        abort(403)


def _day(name: str, errors: dict[str, str]) -> date | None:
    """The day ``name`` of the URL, None when absent; a message in ``errors`` when it is not
    a date or out of every date field's range."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Enter a valid date.")
        return None
    if not FIRST_DATE <= day <= LAST_DATE:
        # The bounds every date field keeps (forms.py): beyond them a day's midnight in the
        # pole's zone, or the day after, is out of Python's range.
        errors[name] = _("Choose a date between %(first)s and %(last)s.",
                         first=date_long(FIRST_DATE), last=date_long(LAST_DATE))
        return None
    return day


def _choice(name: str, known: Callable[[int], bool], message: str,
            errors: dict[str, str]) -> int | None:
    """The id ``name`` of the URL, None when absent; a message in ``errors`` when it is not
    one of the form's options (``known``): a forged or stale address."""
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return None
    value = parse_int(raw)
    if value is None or not known(value):
        errors[name] = message
        return None
    return value


def _filters() -> queries.ExportFilters:
    """The filters of the URL, with a message per field (``errors``) for a value that cannot
    be one: the form is then shown again with them (status 400)."""
    errors: dict[str, str] = {}
    status = (request.args.get("status") or "").strip()
    if status and status not in queries.STATUSES:
        errors["status"] = _("Choose a status from the list.")
        status = ""
    filters = queries.ExportFilters(
        start=_day("from", errors), end=_day("to", errors),
        stage=_choice("stage", queries.is_stage, _("Choose a stage from the list."), errors),
        advisor=_choice("advisor", queries.is_staff_member,
                        _("Choose an advisor from the list."), errors),
        theme=_choice("theme", queries.is_theme, _("Choose a theme from the list."), errors),
        cohort=_choice("cohort", queries.is_cohort, _("Choose a cohort from the list."), errors),
        commune=(request.args.get("commune") or "").strip()[:100], status=status,
        archived=request.args.get("archived") in ("1", "on", "true", "y"), errors=errors)
    if filters.start and filters.end and filters.start > filters.end:
        errors["to"] = _("The period ends before it starts: choose an end on or after "
                         "%(start)s.", start=date_long(filters.start))
    return filters


def _page(filters: queries.ExportFilters, status: int = 200):
    """The page with ``filters`` (and their errors: the user's input is shown as typed)."""
    return render("exports/index.html", status, filters=filters, args=request.args,
                  choices=filter_choices(), stages=active_stages(),
                  statuses={code: STATUS_LABELS[code] for code in queries.STATUSES},
                  with_contacts=can_export_contacts(current_user))


@bp.get("/exports")
@login_required
def index():
    """The exports offered to the user, with the filters they apply; with a filter that
    cannot be one, the same form with its errors (400)."""
    _may_export()
    filters = _filters() if request.args else queries.ExportFilters()
    return _page(filters, 400 if filters.errors else 200)


@bp.get("/exports/<what>")
@login_required
def download(what: str):
    """One export in the format asked, streamed, recorded in the security log. An unknown
    export or format, or a filter that cannot be one: the form again, with what to fix
    (400), never a broken download."""
    _may_export()
    filters = _filters()
    fmt = request.args.get("format", "csv")
    if what not in queries.BUILDERS:
        filters.errors["export"] = _("This export does not exist: choose one of the list.")
    elif fmt not in FORMATS:
        filters.errors["format"] = _("This format does not exist: choose CSV or XLSX.")
    if filters.errors:
        return _page(filters, 400)
    export = queries.BUILDERS[what](current_user, filters)
    filename = f"{export.title} {pole_today().isoformat()}"
    return stream_response(export.columns, export.rows, fmt, filename, what=f"entities.{what}",
                           title=export.title, **filters.as_log())
