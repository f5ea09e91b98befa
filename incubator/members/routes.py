"""The organisations directory: the list with live search, filters, sort and pagination
(one URL for the page and, for htmx, the results fragment), and an organisation's page.

Staff and mentors read (``can_read_directory``); contact people only for staff."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user, login_required

from ..htmx import page_or_fragment, render
from ..params import query_int
from ..permissions import can_read_directory, can_see_contacts
from . import bp, queries
from .forms import FAMILY_LABELS, SORT_LABELS


@bp.app_context_processor
def _member_labels() -> dict:
    return {"family_labels": FAMILY_LABELS}


def _may_read() -> None:
    if not can_read_directory(current_user):
        abort(403)


@bp.get("/members")
@login_required
def index():
    _may_read()
    filters = queries.DirectoryFilters.from_args(request.args)
    page = queries.directory_page(filters, query_int("page", 1))
    return page_or_fragment("members/index.html", "members/_results.html", page=page,
                            filters=filters, choices=queries.filter_choices(),
                            sort_labels=SORT_LABELS)


@bp.get("/members/<int:organisation_id>")
@login_required
def show(organisation_id: int):
    _may_read()
    contacts = can_see_contacts(current_user)
    organisation = queries.organisation(organisation_id, with_contacts=contacts)
    if organisation is None:
        abort(404)
    return render("members/show.html", organisation=organisation, show_contacts=contacts)
