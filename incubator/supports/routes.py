"""Supports on the project page: add a support (its own page: partner, kind, amount,
first status and its date, programme, comment; submitted once), move its status (a small
form per support in the « Soutiens » section, version-checked), change its partner, kind,
programme or comment (its own page, version-checked), delete it (confirmation).

htmx requests from the section get the section back (``project_done``: the timeline
reloads on ``project-changed``); plain requests get a 303 back to the project page, or the
form alone on its page with its errors (422) or the conflict (409, input kept).
"""

from __future__ import annotations

from flask import abort, flash, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import once
from ..dom import dom_id
from ..extensions import db
from ..htmx import (
    hx_redirect,
    page_or_fragment,
    project_done,
    project_or_abort,
    project_url,
    render,
)
from ..i18n import de
from ..labels import SUPPORT_KIND_LABELS, SUPPORT_STATUS_LABELS
from ..models import SUPPORT_TRANSITIONS, Project, Support
from ..params import parse_int
from ..permissions import can_manage_supports
from ..versions import StaleVersion
from . import bp, queries, services
from .forms import AddForm, ChangeForm, DeleteForm, StatusForm, section_forms


def _stale() -> str:
    return _("Someone changed this support since you opened the page: here it is as it is "
             "now; your input is kept below.")


@bp.app_context_processor
def _support_labels() -> dict:
    # For the section, the timeline's entries and the pages of other parts (partners).
    return {"support_kinds": SUPPORT_KIND_LABELS, "support_statuses": SUPPORT_STATUS_LABELS,
            "support_moves": SUPPORT_TRANSITIONS}


def _may_manage(project_id: int) -> Project:
    return project_or_abort(project_id, can_manage_supports)


def _support(project: Project, support_id: int) -> Support:
    support = queries.support_of(project.id, support_id)
    if support is None:
        abort(404)
    return support


def _section_context(project: Project, **forms) -> dict:
    context = {"project": project, **section_forms(current_user, project),
               **queries.section(current_user, project)}
    context.update(forms)
    return context


def _anchor(project: Project) -> str:
    return project_url(project, dom_id(project, "supports"))


# Adding


def _add_page(project: Project, form: AddForm, status: int = 200):
    return render("supports/new.html", status, project=project, add_form=form)


@bp.get("/projects/<int:project_id>/supports/new")
@login_required
def new(project_id: int):
    """The adding form (a whole page, whoever asks)."""
    project = _may_manage(project_id)
    form = AddForm(formdata=None).with_partners(queries.partner_choices()).fresh()
    return _add_page(project, form)


@bp.post("/projects/<int:project_id>/supports")
@login_required
def add(project_id: int):
    project = _may_manage(project_id)
    form = AddForm().with_partners(queries.partner_choices())
    valid = form.validate_on_submit()
    if valid:
        try:
            ticket = once.claim("support", project.id)
        except once.AlreadyUsed:
            db.session.rollback()
            return once.replayed(_anchor(project), _("This support was already added."))
        except once.InvalidFormToken:
            form.form_errors.append(once.stale_message())
            valid = False
    if valid:
        partner = queries.partner_by_id(form.partner_id.data)
        if partner is None:
            abort(404)
        try:
            support = services.add_support(
                current_user, project, partner, kind=form.kind.data,
                amount_cents=services.to_cents(form.amount.data), status=form.status.data,
                status_on=form.status_on.data, programme=form.programme.data or "",
                comment=form.comment.data or "")
        except services.SupportsError as error:
            db.session.rollback()
            project = _may_manage(project_id)
            form.with_partners(queries.partner_choices())
            form.form_errors.append(str(error))
            valid = False
        else:
            once.created(ticket, support)
            db.session.commit()
            flash(_("Support %(of_name)s added.", of_name=de(partner.display_name)), "success")
            return hx_redirect(_anchor(project))
    return _add_page(project, form, 422)


# Moving the status


def _refused(project: Project, support: Support, status: int, form: StatusForm):
    """A refused status form: the section with that form open (htmx), or the form alone on
    its page."""
    context = _section_context(project)
    context.update(status_blank=context["status_form"], status_form=form)
    return page_or_fragment("supports/action.html", "supports/_section.html", status,
                            support=support, open_for=support.id, **context)


@bp.post("/projects/<int:project_id>/supports/<int:support_id>/status")
@login_required
def status(project_id: int, support_id: int):
    project = _may_manage(project_id)
    support = _support(project, support_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _refused(project, support, 422, form)
    try:
        services.move_status(
            current_user, project, support, to_status=form.to_status.data,
            changed_on=form.changed_on.data, amount_cents=services.to_cents(form.amount.data),
            comment=form.comment.data or "", seen_version=form.seen_version())
    except services.SupportsError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        project = _may_manage(project_id)
        return _refused(project, _support(project, support_id), 422, form)
    except StaleVersion:
        db.session.rollback()
        project = _may_manage(project_id)
        support = _support(project, support_id)
        form.form_errors.append(_stale())
        form.show_version(support.version)
        return _refused(project, support, 409, form)
    db.session.commit()
    message = _("Support %(of_name)s: %(status)s.", of_name=de(support.partner.display_name),
                status=SUPPORT_STATUS_LABELS[support.status])
    return project_done(message, project, "supports/_section.html",
                        anchor=dom_id(project, "supports"), focus=dom_id(support),
                        **_section_context(project))


# Changing and deleting


@bp.route("/projects/<int:project_id>/supports/<int:support_id>/edit", methods=["GET", "POST"])
@login_required
def change(project_id: int, support_id: int):
    """Change a support's partner, kind, programme or comment (its own page, a plain form;
    version-checked: a stale page gets 409 with its input)."""
    project = _may_manage(project_id)
    support = _support(project, support_id)
    partners = queries.partner_choices(keep=support.partner_id)
    if request.method == "GET":
        form = ChangeForm(formdata=None, partner_id=support.partner_id, kind=support.kind,
                          programme=support.programme, comment=support.comment,
                          version=support.version).with_partners(partners)
        return render("supports/change.html", project=project, support=support,
                      change_form=form)
    form = ChangeForm().with_partners(partners)
    status_code = 422
    if form.validate_on_submit():
        partner = queries.partner_by_id(form.partner_id.data)
        if partner is None:
            abort(404)
        try:
            changed = services.change_support(
                current_user, project, support, partner, kind=form.kind.data,
                programme=form.programme.data or "", comment=form.comment.data or "",
                seen_version=form.seen_version())
        except services.SupportsError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        except StaleVersion:
            db.session.rollback()
            status_code = 409
            form.form_errors.append(_stale())
        else:
            db.session.commit()
            flash(_("Support %(of_name)s changed.", of_name=de(partner.display_name))
                  if changed else _("Nothing to change."), "success" if changed else "info")
            return hx_redirect(_anchor(project))
        project = _may_manage(project_id)
        support = _support(project, support_id)
        form.with_partners(queries.partner_choices(keep=support.partner_id))
        form.show_version(support.version)
    return render("supports/change.html", status_code, project=project, support=support,
                  change_form=form)


@bp.route("/projects/<int:project_id>/supports/<int:support_id>/delete",
          methods=["GET", "POST"])
@login_required
def delete(project_id: int, support_id: int):
    """The confirmation page (GET; htmx: the section's confirmation asks in place), then
    the deletion (version-checked; a support changed since comes back with 409)."""
    project = _may_manage(project_id)
    support = _support(project, support_id)
    if request.method == "GET":
        return render("supports/delete.html", project=project, support=support,
                      delete_form=DeleteForm(formdata=None, version=support.version))
    form = DeleteForm()
    seen = parse_int(request.form.get("version"))
    name = support.partner.display_name
    try:
        services.delete_support(current_user, project, support, seen)
    except StaleVersion:
        db.session.rollback()
        project = _may_manage(project_id)
        support = _support(project, support_id)
        form.form_errors.append(_("Someone changed this support since you opened the page: "
                                  "look at it again before deleting it."))
        form.show_version(support.version)
        return render("supports/delete.html", 409, project=project, support=support,
                      delete_form=form)
    db.session.commit()
    return project_done(_("Support %(of_name)s deleted.", of_name=de(name)), project,
                        "supports/_section.html", anchor=dom_id(project, "supports"),
                        focus=dom_id(project, "supports-title"), **_section_context(project))
