"""The organisations directory: the list with live search, filters, sort and pagination
(one URL for the page and, for htmx, the results fragment), an organisation's page, and
staff's create, edit (version-checked), archive and delete (guarded by what links it).

Staff and mentors read (``can_read_directory``); staff write (``can_edit_directory``);
contact people only for staff (``can_see_contacts``)."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import once
from ..confirm import ask_first, confirmed
from ..errors import fail
from ..extensions import db
from ..groups.queries import organisation_groups
from ..htmx import hx_redirect, page_or_fragment, render
from ..mentoring.queries import organisation_mentoring
from ..models import Organisation
from ..params import parse_int, query_int
from ..partners.queries import organisation_partnering
from ..permissions import can_edit_directory, can_read_directory, can_see_contacts
from ..versions import StaleVersion
from . import bp, queries, services
from .forms import FAMILY_LABELS, SORT_LABELS, ContactForm, OrganisationForm


@bp.app_context_processor
def _member_labels() -> dict:
    return {"family_labels": FAMILY_LABELS}


def _may_read() -> None:
    if not can_read_directory(current_user):
        abort(403)


def _may_write() -> None:
    if not can_edit_directory(current_user):
        abort(403)


def _organisation(organisation_id: int, *, with_contacts: bool = False) -> Organisation:
    organisation = queries.organisation(organisation_id, with_contacts=with_contacts)
    if organisation is None:
        abort(404)
    return organisation


def _show_url(organisation_id: int) -> str:
    return url_for("members.show", organisation_id=organisation_id)


# Reading


@bp.get("/members")
@login_required
def index():
    _may_read()
    choices = queries.filter_choices()
    filters = queries.DirectoryFilters.from_args(request.args).spelt_as(choices)
    page = queries.directory_page(filters, query_int("page", 1))
    return page_or_fragment("members/index.html", "members/_results.html", page=page,
                            filters=filters, choices=choices, sort_labels=SORT_LABELS)


@bp.get("/members/<int:organisation_id>")
@login_required
def show(organisation_id: int):
    _may_read()
    contacts = can_see_contacts(current_user)
    organisation = _organisation(organisation_id, with_contacts=contacts)
    return render("members/show.html", organisation=organisation, show_contacts=contacts,
                  contact_form=ContactForm() if contacts else None,
                  mentoring=organisation_mentoring(current_user, organisation),
                  organisation_groups=organisation_groups(organisation.id),
                  partnering=organisation_partnering(current_user, organisation))


# Writing


def _back(message: str, to: str, category: str = "success"):
    """After a change made from a plain form: ``message`` shown on the page ``to`` (303, or
    ``HX-Redirect`` for htmx: the whole page changes, so it is loaded again)."""
    flash(message, category)
    return hx_redirect(to)


def _render_form(form: OrganisationForm, organisation: Organisation | None, status: int = 200,
                 conflict: bool = False):
    if form.is_submitted() and form.errors and status == 200:
        status = 422
    return render("members/form.html", status, form=form, organisation=organisation,
                  conflict=conflict, choices=queries.filter_choices())


def _already_in_directory(form: OrganisationForm, organisation_id: int | None = None) -> bool:
    """Whether the form describes an organisation already in the directory (then the
    form's SIRET or name field says which one): sent again from the browser's history,
    or added by a colleague meanwhile."""
    found = queries.already_in_directory(form.siret.data, form.name.data, form.commune.data,
                                         other_than=organisation_id)
    if found is None:
        return False
    field, existing = found
    if field == "siret":
        message = _("%(name)s is already in the directory with this SIREN or SIRET.",
                    name=existing.name)
    elif existing.commune:
        message = _("%(name)s (%(commune)s) is already in the directory. If this is another "
                    "organisation, tell them apart in the name (its town, its agency).",
                    name=existing.name, commune=existing.commune)
    else:
        message = _("%(name)s is already in the directory. If this is another organisation, "
                    "tell them apart in the name (its town, its agency).", name=existing.name)
    if existing.is_archived:
        message += " " + _("It is archived: bring it back rather than adding it again.")
    (form.siret if field == "siret" else form.name).errors.append(message)
    return True


@bp.route("/members/new", methods=["GET", "POST"])
@login_required
def new():
    _may_write()
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            ticket = once.claim("organisation")
        except once.AlreadyUsed as used:
            db.session.rollback()
            if used.kind == "organisation" and used.id is not None:
                return once.replayed(_show_url(used.id),
                                     _("This organisation was already created: here it is."))
            fail(409, _("This form was already sent. Look at the directory before sending "
                        "it again."))
        except once.InvalidFormToken:
            form.form_errors.append(once.stale_message())
            return _render_form(form, None, 422)
        # After the token: a replay of this very form is answered above, with a link.
        if _already_in_directory(form):
            db.session.rollback()  # the token stays unspent: the form can be corrected
            return _render_form(form, None, 422)
        organisation = services.create_organisation(current_user, **form.values())
        once.created(ticket, organisation)
        db.session.commit()
        flash(_("Organisation added to the directory."), "success")
        return hx_redirect(_show_url(organisation.id))
    return _render_form(form, None)


@bp.route("/members/<int:organisation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(organisation_id: int):
    _may_write()
    organisation = _organisation(organisation_id)
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        seen = form.seen_version()
        if _already_in_directory(form, organisation_id):
            return _render_form(form, organisation, 422)
        try:
            services.update_organisation(organisation, seen, **form.values())
        except StaleVersion:
            db.session.rollback()
            organisation = _organisation(organisation_id)
            form.show_version(organisation.version)
            return _render_form(form, organisation, 409, conflict=True)
        db.session.commit()
        flash(_("Changes saved."), "success")
        return hx_redirect(_show_url(organisation_id))
    return _render_form(form, organisation)


@bp.post("/members/<int:organisation_id>/archive")
@login_required
def archive(organisation_id: int):
    """Archive (archived=1) or bring back (archived=0), after confirmation."""
    _may_write()
    organisation = _organisation(organisation_id)
    archived = request.form.get("archived") == "1"
    if archived == organisation.is_archived:  # already so (another tab, a replay)
        return _back(_("Already archived.") if archived else _("Already in the directory."),
                     _show_url(organisation_id), "info")
    if not confirmed():
        question = (_("Archive %(name)s? It leaves the list but keeps its history.",
                      name=organisation.name) if archived else
                    _("Bring %(name)s back into the directory?", name=organisation.name))
        return ask_first(question, _show_url(organisation_id),
                         action_label=_("Archive") if archived else _("Unarchive"))
    # No version (or a forged one) is a page that cannot prove what it showed: refused like
    # a stale one, never archived unchecked.
    seen = parse_int(request.form.get("version"))
    try:
        if seen is None:
            raise StaleVersion()
        services.set_archived(organisation, archived, seen)
    except StaleVersion:
        db.session.rollback()
        fail(409, _("Someone changed this organisation since you opened it. Look at it "
                    "again before archiving."))
    db.session.commit()
    return _back(_("Organisation archived.") if archived else _("Organisation unarchived."),
                 _show_url(organisation_id))


@bp.post("/members/<int:organisation_id>/delete")
@login_required
def delete(organisation_id: int):
    """Delete after confirmation, unless something links the organisation (then the
    message says what, and offers archiving)."""
    _may_write()
    organisation = _organisation(organisation_id)
    links = services.links_of(organisation)
    if links:
        fail(409, _("%(name)s cannot be deleted: %(links)s. Archive it instead.",
                    name=organisation.name, links=", ".join(links)))
    if not confirmed():
        return ask_first(_("Delete %(name)s from the directory? This cannot be undone.",
                           name=organisation.name),
                         _show_url(organisation_id), action_label=_("Delete"))
    name = organisation.name
    seen = parse_int(request.form.get("version"))
    try:
        if seen is None:  # a page that cannot say what it showed
            raise StaleVersion()
        services.delete_organisation(organisation, seen)
    except StaleVersion:
        db.session.rollback()
        fail(409, _("Someone changed this organisation since you opened it. Look at it "
                    "again before deleting it."))
    db.session.commit()
    return _back(_("%(name)s deleted from the directory.", name=name),
                 url_for("members.index"))


# Contact people (staff only: personal data)


@bp.post("/members/<int:organisation_id>/contacts")
@login_required
def add_contact(organisation_id: int):
    _may_write()
    if not can_see_contacts(current_user):
        abort(403)
    organisation = _organisation(organisation_id, with_contacts=True)
    form = ContactForm()
    if not form.validate_on_submit():
        return render("members/show.html", 422, organisation=organisation,
                      show_contacts=True, contact_form=form,
                      mentoring=organisation_mentoring(current_user, organisation),
                      organisation_groups=organisation_groups(organisation.id))
    try:
        ticket = once.claim("contact", organisation_id)
    except once.AlreadyUsed:
        db.session.rollback()
        return once.replayed(_show_url(organisation_id) + "#contacts-title",
                             _("This contact person was already added."))
    except once.InvalidFormToken:
        form.form_errors.append(once.stale_message())
        return render("members/show.html", 422, organisation=organisation,
                      show_contacts=True, contact_form=form,
                      mentoring=organisation_mentoring(current_user, organisation),
                      organisation_groups=organisation_groups(organisation.id))
    contact = services.add_contact(organisation, **form.values())
    once.created(ticket, contact)
    db.session.commit()
    return _back(_("Contact person added."), _show_url(organisation_id) + "#contacts-title")


@bp.post("/members/<int:organisation_id>/contacts/<int:contact_id>/delete")
@login_required
def remove_contact(organisation_id: int, contact_id: int):
    _may_write()
    if not can_see_contacts(current_user):
        abort(403)
    contact = queries.contact_of(organisation_id, contact_id)
    if contact is None:
        abort(404)
    if not confirmed():
        return ask_first(_("Remove %(name)s from the contact people?", name=contact.name),
                         _show_url(organisation_id), action_label=_("Remove"))
    services.remove_contact(contact)
    db.session.commit()
    return _back(_("Contact person removed."), _show_url(organisation_id) + "#contacts-title")
