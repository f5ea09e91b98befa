"""The partner bodies: the list with live search, filters, sort and pagination (one URL for
the page and, for htmx, the results fragment), a partner's page (supports, yearly totals,
referrals, committee sittings, activity), staff's create, edit (version-checked), archive
and delete (guarded by what links a partner), contacts, and an organisation of the
directory made a partner. Staff only (``can_read_partners`` / ``can_edit_partners``).

The member page's activity "more" list lives here too (``/members/<id>/activity``): the
events concerning an organisation, read as the directory is (``can_read_directory``)."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import once
from ..confirm import ask_first, confirmed
from ..errors import fail
from ..extensions import db
from ..htmx import hx_redirect, page_or_fragment, render
from ..labels import PARTNER_KIND_LABELS
from ..members.queries import already_in_directory
from ..members.queries import organisation as find_organisation
from ..models import Organisation, Partner
from ..params import parse_int, query_int
from ..permissions import can_edit_partners, can_read_directory, can_read_partners
from ..versions import StaleVersion
from . import bp, queries, services
from .forms import (
    ARCHIVED_LABELS,
    PARTNER_REFERRAL_DIRECTION_LABELS,
    SORT_LABELS,
    ContactForm,
    LinkForm,
    PartnerForm,
)


@bp.app_context_processor
def _partner_labels() -> dict:
    # Support and referral labels come from their features' processors (labels.py).
    return {"partner_kinds": PARTNER_KIND_LABELS,
            "partner_referral_directions": PARTNER_REFERRAL_DIRECTION_LABELS}


def _may_read() -> None:
    if not can_read_partners(current_user):
        abort(403)


def _may_write() -> None:
    if not can_edit_partners(current_user):
        abort(403)


def _partner(partner_id: int, *, with_contacts: bool = False) -> Partner:
    partner = queries.partner(partner_id, with_contacts=with_contacts)
    if partner is None:
        abort(404)
    return partner


def _show_url(partner_id: int, anchor: str = "") -> str:
    return url_for("partners.show", partner_id=partner_id) + anchor


def _back(message: str, to: str, category: str = "success"):
    flash(message, category)
    return hx_redirect(to)


# Reading


@bp.get("/partners")
@login_required
def index():
    _may_read()
    filters = queries.PartnerFilters.from_args(request.args)
    page = queries.directory_page(filters, query_int("page", 1))
    counts = queries.projects_counts([p.id for p in page.items])
    return page_or_fragment("partners/index.html", "partners/_results.html", page=page,
                            filters=filters, counts=counts, sort_labels=SORT_LABELS,
                            archived_labels=ARCHIVED_LABELS)


def _render_show(partner: Partner, status: int = 200, contact_form: ContactForm | None = None):
    return render("partners/show.html", status, partner=partner,
                  details=queries.partner_page(current_user, partner),
                  contact_form=contact_form or ContactForm())


@bp.get("/partners/<int:partner_id>")
@login_required
def show(partner_id: int):
    _may_read()
    return _render_show(_partner(partner_id, with_contacts=True))


@bp.get("/partners/<int:partner_id>/activity")
@login_required
def activity(partner_id: int):
    """All the partner's activity, page by page (the page shows the latest)."""
    _may_read()
    partner = _partner(partner_id)
    found = queries.activity(current_user, partner_id=partner.id, page=query_int("page", 1),
                             per_page=queries.ACTIVITY_PER_PAGE)
    return page_or_fragment("partners/activity.html", "partners/_activity.html",
                            owner=partner, owner_name=partner.display_name,
                            back=_show_url(partner.id), activity=found,
                            endpoint="partners.activity", endpoint_args={"partner_id": partner.id})


@bp.get("/members/<int:organisation_id>/activity")
@login_required
def organisation_activity(organisation_id: int):
    """All the activity concerning an organisation of the directory, page by page."""
    if not can_read_directory(current_user):
        abort(403)
    organisation = find_organisation(organisation_id, with_contacts=False)
    if organisation is None:
        abort(404)
    found = queries.activity(current_user, organisation_id=organisation.id,
                             page=query_int("page", 1), per_page=queries.ACTIVITY_PER_PAGE)
    return page_or_fragment("partners/activity.html", "partners/_activity.html",
                            owner=organisation, owner_name=organisation.name,
                            back=url_for("members.show", organisation_id=organisation.id),
                            activity=found, endpoint="partners.organisation_activity",
                            endpoint_args={"organisation_id": organisation.id})


# Writing


def _render_form(form: PartnerForm, partner: Partner | None, status: int = 200,
                 conflict: bool = False, same_organisation: Organisation | None = None,
                 same_partner: Partner | None = None):
    if form.is_submitted() and form.errors and status == 200:
        status = 422
    return render("partners/form.html", status, form=form, partner=partner,
                  conflict=conflict, same_organisation=same_organisation,
                  same_partner=same_partner,
                  link_form=LinkForm(kind=form.kind.data) if same_organisation else None)


def _duplicate(form: PartnerForm, partner_id: int | None = None) -> bool:
    """Whether the form names a partner already there (an error on its field)."""
    found = queries.already_a_partner(form.siret.data, form.name.data, other_than=partner_id)
    if found is None:
        return False
    field = form.siret if form.siret.data and found.siret == form.siret.data else form.name
    message = _("%(name)s is already a partner.", name=found.name)
    if found.is_archived:
        message += " " + _("It is archived: bring it back rather than adding it again.")
    field.errors.append(message)
    return True


@bp.route("/partners/new", methods=["GET", "POST"])
@login_required
def new():
    _may_write()
    form = PartnerForm()
    if form.validate_on_submit():
        try:
            ticket = once.claim("partner")
        except once.AlreadyUsed as used:
            db.session.rollback()
            if used.kind == "partner" and used.id is not None:
                return once.replayed(_show_url(used.id),
                                     _("This partner was already created: here it is."))
            fail(409, _("This form was already sent. Look at the partners before sending "
                        "it again."))
        except once.InvalidFormToken:
            form.form_errors.append(once.stale_message())
            return _render_form(form, None, 422)
        if _duplicate(form):
            db.session.rollback()  # the token stays unspent: the form can be corrected
            return _render_form(form, None, 422)
        # An organisation of the directory by that name or SIRET: offer to link it.
        found = already_in_directory(form.siret.data, form.name.data, "")
        if found is not None and not form.distinct.data:
            db.session.rollback()
            organisation = found[1]
            existing = queries.partner_of_organisation(organisation.id)
            if existing is not None:
                form.form_errors.append(_(
                    "%(name)s is in the organisations directory and is already a partner. "
                    "Tick the box if this is another body.", name=organisation.name))
            else:
                form.form_errors.append(_(
                    "%(name)s is in the organisations directory: make it a partner rather "
                    "than entering it twice, or tick the box if this is another body.",
                    name=organisation.name))
            return _render_form(form, None, 422, same_organisation=organisation,
                                same_partner=existing)
        partner = services.create_partner(current_user, **form.values())
        once.created(ticket, partner)
        db.session.commit()
        flash(_("Partner added."), "success")
        return hx_redirect(_show_url(partner.id))
    return _render_form(form, None)


@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
@login_required
def edit(partner_id: int):
    _may_write()
    partner = _partner(partner_id)
    linked = partner.organisation_id is not None
    form = PartnerForm(obj=partner, linked=linked)
    if form.validate_on_submit():
        seen = form.seen_version()
        if not linked and _duplicate(form, partner_id):
            return _render_form(form, partner, 422)
        try:
            services.update_partner(partner, seen, **form.values())
        except StaleVersion:
            db.session.rollback()
            partner = _partner(partner_id)
            form.show_version(partner.version)
            return _render_form(form, partner, 409, conflict=True)
        db.session.commit()
        flash(_("Changes saved."), "success")
        return hx_redirect(_show_url(partner_id))
    return _render_form(form, partner)


@bp.post("/partners/<int:partner_id>/archive")
@login_required
def archive(partner_id: int):
    """Archive (archived=1) or bring back (archived=0), after confirmation."""
    _may_write()
    partner = _partner(partner_id)
    name = partner.display_name
    archived = request.form.get("archived") == "1"
    if archived == partner.is_archived:
        return _back(_("Already archived.") if archived else _("Already among the partners."),
                     _show_url(partner_id), "info")
    if not confirmed():
        question = (_("Archive %(name)s? It leaves the list but keeps its history.",
                      name=name) if archived else
                    _("Bring %(name)s back among the partners?", name=name))
        return ask_first(question, _show_url(partner_id),
                         action_label=_("Archive") if archived else _("Unarchive"))
    seen = parse_int(request.form.get("version"))
    try:
        if seen is None:
            raise StaleVersion()
        services.set_archived(partner, archived, seen)
    except StaleVersion:
        db.session.rollback()
        fail(409, _("Someone changed this partner since you opened it. Look at it again "
                    "before archiving."))
    db.session.commit()
    return _back(_("Partner archived.") if archived else _("Partner unarchived."),
                 _show_url(partner_id))


@bp.post("/partners/<int:partner_id>/delete")
@login_required
def delete(partner_id: int):
    """Delete after confirmation, unless something links the partner (then the message
    says what, and offers archiving)."""
    _may_write()
    partner = _partner(partner_id)
    name = partner.display_name
    links = services.links_of(partner)
    if links:
        fail(409, _("%(name)s cannot be deleted: %(links)s. Archive it instead.",
                    name=name, links=", ".join(links)))
    if not confirmed():
        return ask_first(_("Delete the partner %(name)s? This cannot be undone.", name=name),
                         _show_url(partner_id), action_label=_("Delete"))
    seen = parse_int(request.form.get("version"))
    try:
        if seen is None:
            raise StaleVersion()
        services.delete_partner(partner, seen)
    except StaleVersion:
        db.session.rollback()
        fail(409, _("Someone changed this partner since you opened it. Look at it again "
                    "before deleting it."))
    db.session.commit()
    return _back(_("%(name)s deleted from the partners.", name=name),
                 url_for("partners.index"))


# An organisation of the directory that is also a partner


@bp.post("/members/<int:organisation_id>/partner")
@login_required
def make_partner(organisation_id: int):
    _may_write()
    organisation = find_organisation(organisation_id, with_contacts=False)
    if organisation is None:
        abort(404)
    form = LinkForm()
    if not form.validate_on_submit():
        fail(422, _("Choose a kind of partner."))
    try:
        ticket = once.claim("organisation-partner", organisation_id)
    except once.AlreadyUsed:
        db.session.rollback()
        existing = queries.partner_of_organisation(organisation_id)
        return once.replayed(_show_url(existing.id) if existing else
                             url_for("members.show", organisation_id=organisation_id),
                             _("This organisation was already made a partner."))
    except once.InvalidFormToken:
        fail(409, once.stale_message())
    try:
        partner = services.make_partner_of(current_user, organisation, form.kind.data)
    except services.PartnersError as error:
        db.session.rollback()
        fail(409, str(error))
    once.created(ticket, partner)
    db.session.commit()
    return _back(_("%(name)s is now also a partner.", name=organisation.name),
                 _show_url(partner.id))


# Contact people (of a partner that is not an organisation of the directory)


def _own_contacts(partner_id: int) -> Partner:
    partner = _partner(partner_id, with_contacts=True)
    if partner.organisation_id is not None:
        fail(409, _("This partner's contact people are its organisation's: change them on "
                    "the organisation's page."))
    return partner


@bp.post("/partners/<int:partner_id>/contacts")
@login_required
def add_contact(partner_id: int):
    _may_write()
    partner = _own_contacts(partner_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return _render_show(partner, 422, form)
    try:
        ticket = once.claim("partner-contact", partner_id)
    except once.AlreadyUsed:
        db.session.rollback()
        return once.replayed(_show_url(partner_id, "#contacts-title"),
                             _("This contact person was already added."))
    except once.InvalidFormToken:
        form.form_errors.append(once.stale_message())
        return _render_show(partner, 422, form)
    contact = services.add_contact(partner, **form.values())
    once.created(ticket, contact)
    db.session.commit()
    return _back(_("Contact person added."), _show_url(partner_id, "#contacts-title"))


@bp.route("/partners/<int:partner_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@login_required
def edit_contact(partner_id: int, contact_id: int):
    _may_write()
    partner = _partner(partner_id)
    contact = queries.contact_of(partner_id, contact_id)
    if contact is None:
        abort(404)
    form = ContactForm(obj=contact, contact_name=contact.name) if request.method == "GET" \
        else ContactForm()
    if form.validate_on_submit():
        services.update_contact(contact, **form.values())
        db.session.commit()
        return _back(_("Contact person changed."), _show_url(partner_id, "#contacts-title"))
    status = 422 if form.errors else 200
    return render("partners/contact_form.html", status, partner=partner, contact=contact,
                  form=form)


@bp.post("/partners/<int:partner_id>/contacts/<int:contact_id>/delete")
@login_required
def remove_contact(partner_id: int, contact_id: int):
    _may_write()
    contact = queries.contact_of(partner_id, contact_id)
    if contact is None:
        abort(404)
    if not confirmed():
        return ask_first(_("Remove %(name)s from the contact people?", name=contact.name),
                         _show_url(partner_id), action_label=_("Remove"))
    services.remove_contact(contact)
    db.session.commit()
    return _back(_("Contact person removed."), _show_url(partner_id, "#contacts-title"))
