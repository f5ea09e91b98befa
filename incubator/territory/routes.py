"""The territory key figures page (``/pipeline/territory?year=…``: the page, or its figures
for htmx; ``&table=…&format=csv|xlsx`` exports one of its tables) and the managers' form of
the territory's salaried jobs of a year (create, version-checked correction). Staff read
(``can_read_territory``); managers enter the salaried jobs
(``can_enter_territory_employment``)."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import once
from ..errors import fail
from ..exports import FORMATS, table_response
from ..extensions import db
from ..htmx import hx_redirect, page_or_fragment, render
from ..i18n import pole_today
from ..models import TerritoryEmployment
from ..params import query_int
from ..permissions import can_enter_territory_employment, can_read_territory
from ..versions import StaleVersion
from . import bp, phrasing, queries, services
from .forms import EmploymentForm


def _may_read() -> None:
    if not can_read_territory(current_user):
        abort(403)


def _may_enter() -> None:
    if not can_enter_territory_employment(current_user):
        abort(403)


def _year() -> tuple[int, int]:
    """The year asked (default: this year in the pole's time zone) and this year."""
    this_year = pole_today().year
    return query_int("year", this_year, minimum=1900, maximum=this_year), this_year


def _table(key: str, year: int):
    editable = can_enter_territory_employment(current_user)
    makers = {
        "families": lambda: queries.families_table(year, queries.family_counts(year)),
        "communes": lambda: queries.communes_table(year),
        "sectors": lambda: queries.sectors_table(year),
        "employment": lambda: queries.employment_table(queries.employment_entries(),
                                                       editable=editable),
    }
    return makers[key]()


def _export(year: int):
    """``?table=KEY&format=csv|xlsx``: one table of the page as a download (400 for an
    unknown table or format)."""
    key, fmt = request.args.get("table", ""), request.args.get("format", "")
    if key not in queries.TABLE_KEYS or fmt not in FORMATS:
        fail(400, _("This download does not exist: choose one of the page's CSV or XLSX "
                    "links."))
    table = _table(key, year)
    return table_response(table, fmt, f"{_('Territory key figures')} {year} - {table.title}",
                          what=f"territory.{key}")


@bp.get("")
@login_required
def index():
    _may_read()
    year, this_year = _year()
    if "table" in request.args or "format" in request.args:
        return _export(year)
    summary = queries.summary(year)
    counts = queries.family_counts(year)
    employment = queries.employment_for(year)
    entries = queries.employment_entries()
    editable = can_enter_territory_employment(current_user)
    return page_or_fragment(
        "territory/index.html", "territory/_figures.html",
        year=year, years=range(this_year, queries.first_year(this_year) - 1, -1),
        summary=summary, employment=employment,
        sentences=phrasing.key_sentences(summary, counts, employment),
        tables=(queries.families_table(year, counts), queries.communes_table(year),
                queries.sectors_table(year)),
        employment_table=queries.employment_table(entries, editable=editable),
        entered_this_year=any(entry.year == year for entry in entries))


# The territory's salaried jobs (managers)


def _back_to(year: int) -> str:
    return url_for("territory.index", year=year) + "#territory-employment"


def _render_form(form: EmploymentForm, entry: TerritoryEmployment | None, status: int = 200,
                 conflict: bool = False):
    if form.is_submitted() and form.errors and status == 200:
        status = 422
    return render("territory/employment_form.html", status, form=form, entry=entry,
                  conflict=conflict)


@bp.route("/employment/new", methods=["GET", "POST"])
@login_required
def new_employment():
    _may_enter()
    year, _this_year = _year()
    form = EmploymentForm(year=year) if request.method == "GET" else EmploymentForm()
    if form.validate_on_submit():
        try:
            ticket = once.claim("territory-employment")
        except once.AlreadyUsed as used:
            db.session.rollback()
            entry = queries.employment_entry(used.id) if used.id is not None else None
            return once.replayed(_back_to(entry.year if entry else form.year.data),
                                 _("These salaried jobs were already saved: here they are."))
        except once.InvalidFormToken:
            form.form_errors.append(once.stale_message())
            return _render_form(form, None, 422)
        try:
            entry = services.create_employment(current_user, **form.values())
        except services.YearTaken as taken:
            db.session.rollback()  # the token stays unspent: the form can be corrected
            form.year.errors.append(str(taken))
            return _render_form(form, None, 422)
        once.created(ticket, entry)
        db.session.commit()
        flash(_("Salaried jobs of %(year)s saved.", year=entry.year), "success")
        return hx_redirect(_back_to(entry.year))
    return _render_form(form, None)


@bp.route("/employment/<int:employment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_employment(employment_id: int):
    _may_enter()
    entry = queries.employment_entry(employment_id)
    if entry is None:
        abort(404)
    form = EmploymentForm(obj=entry)
    if form.validate_on_submit():
        try:
            services.update_employment(entry, form.seen_version(), **form.values())
        except services.YearTaken as taken:
            db.session.rollback()
            form.year.errors.append(str(taken))
            return _render_form(form, queries.employment_entry(employment_id), 422)
        except StaleVersion:
            db.session.rollback()
            entry = queries.employment_entry(employment_id)
            if entry is None:
                abort(404)
            form.show_version(entry.version)
            return _render_form(form, entry, 409, conflict=True)
        db.session.commit()
        flash(_("Salaried jobs of %(year)s saved.", year=entry.year), "success")
        return hx_redirect(_back_to(entry.year))
    return _render_form(form, entry)
