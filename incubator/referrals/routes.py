"""Referrals on the project page: add one (its own page: partner, direction, date, reason,
outcome; a one-time form), change its outcome, note or reason (version-checked: a stale
page gets 409 with the user's input), delete it (with confirmation). Staff only; holders and
mentors read the section (``permissions.sees_referral_details``).

Adding and changing answer with a 303 back to the project page (``HX-Redirect`` for htmx),
or the form on its page with its errors (422) or the conflict (409). Deleting answers htmx
with the « Orientations » section (``project_done``: the timeline reloads on
``project-changed``), plain requests with a 303.
"""

from __future__ import annotations

from flask import abort, flash, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import once
from ..confirm import ask_first, confirmed
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
from ..labels import REFERRAL_DIRECTION_LABELS, REFERRAL_OUTCOME_LABELS
from ..models import Project, Referral
from ..permissions import can_manage_referrals
from ..versions import StaleVersion
from . import bp, queries, services
from .forms import ChangeForm, DeleteForm, ReferralForm


@bp.app_context_processor
def _referral_labels() -> dict:
    # For the section, the forms and the timeline's entries.
    return {"referral_directions": REFERRAL_DIRECTION_LABELS,
            "referral_outcomes": REFERRAL_OUTCOME_LABELS}


def _may_manage(project_id: int) -> Project:
    return project_or_abort(project_id, lambda user, _project: can_manage_referrals(user))


def _anchor(project: Project) -> str:
    return project_url(project, dom_id(project, "referrals"))


def _referral(project: Project, referral_id: int) -> Referral:
    referral = queries.referral_of(project.id, referral_id)
    if referral is None:
        abort(404)
    return referral


# Adding


def _new_page(project: Project, form: ReferralForm, status: int = 200):
    return page_or_fragment("referrals/new.html", "referrals/_form.html", status,
                            project=project, referral_form=form)


@bp.get("/projects/<int:project_id>/referrals/new")
@login_required
def new(project_id: int):
    """The form to add a referral (htmx: the form alone)."""
    project = _may_manage(project_id)
    return _new_page(project, ReferralForm.with_partners(queries.partner_choices(),
                                                         formdata=None))


@bp.post("/projects/<int:project_id>/referrals")
@login_required
def add(project_id: int):
    project = _may_manage(project_id)
    form = ReferralForm.with_partners(queries.partner_choices())
    valid = form.validate_on_submit()
    if valid:
        try:
            ticket = once.claim("referral", project.id)
        except once.AlreadyUsed:
            db.session.rollback()
            return once.replayed(_anchor(project), _("This referral was already recorded."))
        except once.InvalidFormToken:
            form.form_errors.append(once.stale_message())
            valid = False
    if valid:
        partner = queries.partner_for_referral(form.partner_id.data)
        try:
            if partner is None:  # archived since the page was shown
                raise services.ReferralError(_("Choose the partner body."))
            referral = services.refer(
                current_user, project, partner, direction=form.direction.data,
                referred_on=form.referred_on.data, reason=form.reason.data or "",
                outcome=form.outcome.data, outcome_note=form.outcome_note.data or "")
        except services.ReferralError as error:
            db.session.rollback()
            project = _may_manage(project_id)
            form = ReferralForm.with_partners(queries.partner_choices())
            form.validate()
            form.form_errors.append(str(error))
        else:
            once.created(ticket, referral)
            db.session.commit()
            flash(_("Referral recorded: %(name)s.", name=partner.display_name), "success")
            return hx_redirect(_anchor(project))
    return _new_page(project, form, 422)


# Changing and deleting


def _change_page(project: Project, referral: Referral, form: ChangeForm, status: int = 200):
    return render("referrals/change.html", status, project=project, referral=referral,
                  change_form=form)


@bp.route("/projects/<int:project_id>/referrals/<int:referral_id>/edit",
          methods=["GET", "POST"])
@login_required
def change(project_id: int, referral_id: int):
    """Change a referral's outcome, note or reason (its own page, a plain form)."""
    project = _may_manage(project_id)
    referral = _referral(project, referral_id)
    if request.method == "GET":
        form = ChangeForm(formdata=None, outcome=referral.outcome,
                          outcome_note=referral.outcome_note, reason=referral.reason,
                          version=referral.version)
        return _change_page(project, referral, form)
    form = ChangeForm()
    status = 422
    if form.validate_on_submit():
        seen = form.seen_version()
        try:
            changed = services.change_referral(
                current_user, project, referral, outcome=form.outcome.data,
                outcome_note=form.outcome_note.data or "", reason=form.reason.data or "",
                seen_version=seen)
        except services.ReferralError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        except StaleVersion:
            db.session.rollback()
            status = 409
            form.form_errors.append(_("Someone changed this referral since you opened the "
                                      "page: here it is as it is now; your input is kept "
                                      "below."))
        else:
            name = referral.partner.display_name
            db.session.commit()
            flash(_("Referral changed: %(name)s.", name=name)
                  if changed else _("Nothing to change."), "success" if changed else "info")
            return hx_redirect(_anchor(project))
        project = _may_manage(project_id)
        referral = _referral(project, referral_id)
        form.show_version(referral.version)
    return _change_page(project, referral, form, status)


@bp.post("/projects/<int:project_id>/referrals/<int:referral_id>/delete")
@login_required
def delete(project_id: int, referral_id: int):
    project = _may_manage(project_id)
    referral = _referral(project, referral_id)
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    name = referral.partner.display_name
    if not confirmed():
        return ask_first(_("Delete this referral (%(name)s)?", name=name),
                         _anchor(project), action_label=_("Delete"))
    seen = form.seen_version()
    try:
        services.delete_referral(current_user, project, referral, seen)
    except StaleVersion:
        db.session.rollback()
        flash(_("Someone changed this referral since you opened the page: look at it again "
                "before deleting it."), "error")
        return hx_redirect(_anchor(project))
    db.session.commit()
    return project_done(_("Referral deleted: %(name)s.", name=name), project,
                        "referrals/_section.html", anchor=dom_id(project, "referrals"),
                        focus=dom_id(project, "referrals-title"),
                        **queries.section(current_user, project))

