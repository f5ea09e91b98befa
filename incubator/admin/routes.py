"""User list, staff invitation, role changes, login delays (managers only)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import throttle
from ..auth.services import EmailTaken, send_invitation
from ..confirm import ask_first, confirmed
from ..extensions import db
from ..htmx import done
from ..i18n import de
from ..models import Role, User
from ..params import query_int
from ..permissions import manager_required
from ..security_log import record
from . import bp
from .forms import ActionForm, ActiveForm, InviteForm, RoleForm
from .queries import mentor_organisations, users_page
from .services import LastManager, change_role, invite_staff, set_active


def _render_users(invite_form: InviteForm, status: int = 200):
    role = request.args.get("role") if request.args.get("role") in set(Role) else None
    page = users_page(query_int("page", 1), role=role)
    return render_template(
        "admin/users.html", page=page, invite_form=invite_form, role_filter=role,
        delayed=throttle.delayed_accounts(), organisations=mentor_organisations(page.items),
    ), status


@bp.get("/users")
@manager_required
def users():
    return _render_users(InviteForm())


@bp.post("/users/invite")
@manager_required
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = invite_staff(form.email.data, form.name.data, Role(form.role.data),
                                current_user)
        except EmailTaken:
            form.email.errors.append(_("An account already exists with this e-mail address."))
        else:
            db.session.commit()
            # The link goes to the invited person only, never to the inviter's screen.
            flash(_("%(name)s is invited: we sent the link to %(email)s.",
                    name=user.name, email=user.email), "success")
            return redirect(url_for("admin.users"), code=303)
    return _render_users(form, 422)


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _commit_unless_last_manager(change, success: str, category: str = "success"):
    """Run ``change``; commit and flash ``success``, or refuse if it removes the last manager."""
    try:
        change()
    except LastManager:
        db.session.rollback()
        flash(_("The pole needs at least one active manager: name another one first."),
              "error")
    else:
        db.session.commit()
        flash(success, category)
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/role")
@manager_required
def set_role(user_id: int):
    user = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose a valid role."), "error")
        return redirect(url_for("admin.users"), code=303)
    role = Role(form.role.data)
    if user.role == role:
        flash(_("%(name)s already has this role: nothing changed.", name=user.name), "info")
        return redirect(url_for("admin.users"), code=303)
    return _commit_unless_last_manager(
        lambda: change_role(user, role),
        _("The role %(of_name)s is changed.", of_name=de(user.name)),
    )


@bp.post("/users/<int:user_id>/active")
@manager_required
def set_account_active(user_id: int):
    """Deactivate or reactivate, as the form says (``active=0/1``): pressing twice is harmless."""
    user = _user_or_404(user_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    active = form.active.data == "1"
    if user.active != active and not confirmed():
        if active:
            question = _("Reactivate the account %(of_name)s? They will be able to log in "
                         "again.", of_name=de(user.name))
        else:
            question = _("Deactivate the account %(of_name)s? They will no longer be able to "
                         "log in.", of_name=de(user.name))
        return ask_first(question, url_for("admin.users"),
                         action_label=_("Reactivate") if active else _("Deactivate"))
    if user.active == active:
        if active:
            message = _("The account %(of_name)s is already active.", of_name=de(user.name))
        else:
            message = _("The account %(of_name)s is already deactivated.",
                        of_name=de(user.name))
        flash(message, "info")
        return redirect(url_for("admin.users"), code=303)
    if active:
        message = _("The account %(of_name)s is active again.", of_name=de(user.name))
    else:
        message = _("The account %(of_name)s is deactivated: they can no longer log in.",
                    of_name=de(user.name))
    return _commit_unless_last_manager(lambda: set_active(user, active), message)


@bp.post("/users/<int:user_id>/invitation")
@manager_required
def invite_again(user_id: int):
    """Send a new invitation link (earlier ones die) to someone who has no password yet."""
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not user.active:
        flash(_("The account %(of_name)s is deactivated: reactivate it before sending an "
                "invitation.", of_name=de(user.name)), "error")
    elif user.has_password:
        flash(_("%(name)s already has a password: they can ask for a new one on the login "
                "page.", name=user.name), "error")
    else:
        send_invitation(user, current_user)
        db.session.commit()
        record("user.invited", target_id=user.id, email=user.email, role=user.role,
               invited_by_id=current_user.id, again=True)
        flash(_("A new invitation was sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/login-delay")
@manager_required
def clear_login_delay(user_id: int):
    """Forget an account's failed logins, so its owner can log in again at once."""
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if throttle.clear(user.email):
        db.session.commit()
        record("login.delay_cleared", account_id=user.id, email=user.email)
        message = _("%(name)s can log in again without waiting.", name=user.name)
        category = "success"
    else:
        # A stale list, or another manager was quicker: say so rather than claim a change.
        message = _("%(name)s had no login delay: they can already log in.", name=user.name)
        category = "info"
    return done(message, url_for("admin.users"), "admin/_login_delays.html", category=category,
                focus="login-delays-title", delayed=throttle.delayed_accounts())
