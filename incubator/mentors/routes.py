"""Mentor accounts: staff create one for a contact person of the directory (after
confirmation, once), and a mentor's home, "My mentorships".

The invitation is staff-only (``can_invite_mentor``, 403 otherwise, before anything is read);
its refusals (no address, an account already there) are 409 or 422 with a message that says
why and what to do."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import once
from ..confirm import ask_first, confirmed
from ..dom import dom_id
from ..errors import fail
from ..extensions import db
from ..htmx import hx_redirect, render
from ..labels import ROLE_LABELS
from ..permissions import can_invite_mentor, has_mentorships_home
from . import bp, queries
from .forms import InviteMentorForm
from .services import AddressTaken, AlreadyHasAccount, NoEmail, invite_mentor


@bp.get("/my-mentorships")
@login_required
def mine():
    """The projects the current mentor mentors now (their home page); 403 for other roles."""
    if not has_mentorships_home(current_user):
        abort(403)
    return render("mentors/mine.html", mentored=queries.my_mentorships(current_user))


@bp.post("/members/<int:organisation_id>/contacts/<int:contact_id>/mentor-account")
@login_required
def invite(organisation_id: int, contact_id: int):
    """Create the mentor account of a contact person and e-mail them the invitation
    (after confirmation; a replayed form points at the account already made)."""
    if not can_invite_mentor(current_user):
        abort(403)
    contact = queries.contact_with_account(organisation_id, contact_id)
    if contact is None:
        abort(404)
    if not InviteMentorForm().validate_on_submit():
        abort(400)
    back = url_for("members.show", organisation_id=organisation_id) + "#" + dom_id(contact)
    if contact.user_id is None and contact.email and not confirmed():
        return ask_first(
            _("Create a mentor account for %(name)s? An invitation to choose a password "
              "will be sent to %(email)s.", name=contact.name, email=contact.email),
            back, action_label=_("Create the account"))
    try:
        ticket = once.claim("mentor_account", contact.id)
    except once.AlreadyUsed:
        db.session.rollback()
        return once.replayed(back, _("This mentor account was already created."))
    except once.InvalidFormToken:
        fail(422, once.stale_message())
    try:
        user = invite_mentor(contact, current_user)
    except AlreadyHasAccount:
        db.session.rollback()
        flash(_("%(name)s already has a mentor account.", name=contact.name), "info")
        return hx_redirect(back)
    except NoEmail:
        db.session.rollback()
        fail(422, _("%(name)s has no e-mail address: add the contact person again with one "
                    "to create their account.", name=contact.name))
    except AddressTaken as taken:
        db.session.rollback()
        fail(409, _("The address %(email)s already belongs to an account (%(kind)s): one "
                    "person has one account. Nothing was created.",
                    email=contact.email, kind=ROLE_LABELS.get(taken.role, taken.role)))
    once.created(ticket, user)
    db.session.commit()
    flash(_("%(name)s is invited as a mentor: we sent the link to %(email)s.",
            name=user.name, email=user.email), "success")
    return hx_redirect(back)
