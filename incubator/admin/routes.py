"""User list, staff invitation (send, resend, revoke), role changes, login delays, the
hand-over of a departing advisor's work and the pole's identity (managers only)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..account.queries import pending_closure_count
from ..auth import sessions, throttle, two_factor
from ..auth.services import EmailTaken
from ..confirm import ask_first, confirmed
from ..documents.services import UploadRefused
from ..errors import fail
from ..extensions import db
from ..htmx import done, focus_on, hx_redirect, is_htmx, page_or_fragment, render
from ..i18n import de
from ..models import EndReason, Role, User
from ..params import query_int
from ..permissions import can_change_account, can_reset_two_factor, manager_required
from ..pole import current_pole, forget_current_pole
from ..security_log import record
from ..versions import StaleVersion
from . import bp
from .forms import (
    ActionForm,
    ActiveForm,
    HandOverForm,
    InvitationForm,
    InviteForm,
    PoleForm,
    RoleForm,
    SecurityForm,
    TwoFactorResetForm,
)
from .pole_settings import logo_hint, read_logo, save_pole
from .queries import (
    departing_choices,
    erased_numbers,
    hand_over_preview,
    mentor_organisations,
    outbox_failed_count,
    pending_invitations,
    pole_history,
    receiving_choices,
    users_page,
)
from .services import (
    HandOverRefused,
    InvitationClosed,
    LastManager,
    change_role,
    check_hand_over,
    hand_over,
    invite_staff,
    resend_invitation,
    revoke_invitation,
    set_active,
)

#: Fired after a change of invitations: the users table reloads itself (_users_table.html).
USERS_CHANGED = "users-changed"


def _render_users(invite_form: InviteForm, status: int = 200, **context):
    role = request.args.get("role") if request.args.get("role") in set(Role) else None
    page = users_page(query_int("page", 1), role=role)
    return render_template(
        "admin/users.html", page=page, invite_form=invite_form, role_filter=role,
        delayed=throttle.delayed_accounts(), organisations=mentor_organisations(page.items),
        invitations=pending_invitations(), closure_requests_pending=pending_closure_count(),
        outbox_failed=outbox_failed_count(),
        two_factor_versions=two_factor.enabled_versions([user.id for user in page.items]),
        erased=erased_numbers([user.id for user in page.items]),
        **context,
    ), status


@bp.get("/users")
@manager_required
def users():
    """The page; for htmx, the users table alone (it reloads itself after a change of
    invitations, ``users-changed``)."""
    if is_htmx():
        role = request.args.get("role") if request.args.get("role") in set(Role) else None
        page = users_page(query_int("page", 1), role=role)
        return render("admin/_users_table.html", page=page, role_filter=role,
                      organisations=mentor_organisations(page.items),
                      two_factor_versions=two_factor.enabled_versions(
                          [user.id for user in page.items]),
                      erased=erased_numbers([user.id for user in page.items]))
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


def _changeable_user_or_404(user_id: int) -> User:
    """The account to reactivate, change the role of or invite again; 409 for an erased
    one (``permissions.can_change_account``)."""
    user = _user_or_404(user_id)
    if not can_change_account(current_user, user):
        fail(409, _("This account was erased: it can no longer be changed."))
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
    user = _changeable_user_or_404(user_id)
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
    user = _changeable_user_or_404(user_id)
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


@bp.post("/users/<int:user_id>/two-factor/reset")
@manager_required
def reset_two_factor(user_id: int):
    """Remove someone's second factor (a lost phone), after a confirmation, from the version
    the page showed (409 when it changed since: re-enrolled, or already reset). They are
    told by e-mail; the security log keeps who did it."""
    user = _user_or_404(user_id)
    if not can_reset_two_factor(current_user, user):
        abort(403)
    form = TwoFactorResetForm()
    if not form.validate_on_submit() or form.version.data is None:
        abort(400)
    if not confirmed():
        return ask_first(
            _("Reset the two-factor authentication %(of_name)s? Their app's codes and "
              "recovery codes will stop working; they will be told by e-mail.",
              of_name=de(user.name)),
            url_for("admin.users"), action_label=_("Reset"))
    try:
        two_factor.reset_by_manager(current_user, user, form.version.data)
        # A lost phone may hold an open session: every session of the person ends.
        sessions.end_all(user, EndReason.TWO_FACTOR_CHANGED)
    except StaleVersion:
        db.session.rollback()
        flash(_("The two-factor authentication %(of_name)s changed since this page was "
                "shown (set up again, or already reset): nothing was done. Check the list.",
                of_name=de(user.name)), "error")
        return _render_users(InviteForm(), 409)
    db.session.commit()
    flash(_("The two-factor authentication %(of_name)s is reset: they were told by e-mail.",
            of_name=de(user.name)), "success")
    return hx_redirect(url_for("admin.users"))


def _invitation_refused(message: str):
    """A resend or revoke refused (409): the invitations section (htmx) or the users page,
    with the reason and the list as it is now."""
    if is_htmx():
        return focus_on(render("admin/_invitations.html", 409,
                               invitations=pending_invitations(), problem=message),
                        "invitations-problem")
    return _render_users(InviteForm(formdata=None), 409, problem=message)


def _invitation_change(user_id: int, change):
    """Run ``change`` (resend or revoke) on the account's pending invitation, from the link
    the page showed. Returns the account and, if refused, the answer to give."""
    user = _changeable_user_or_404(user_id)
    form = InvitationForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        change(user, current_user, form.link.data)
    except InvitationClosed:
        db.session.rollback()
        if user.has_password:
            message = _("%(name)s has already accepted the invitation: nothing changed.",
                        name=user.name)
        else:
            message = _("The account %(of_name)s is deactivated: reactivate it before sending an "
                        "invitation.", of_name=de(user.name))
        return user, _invitation_refused(message)
    except StaleVersion:
        db.session.rollback()
        return user, _invitation_refused(
            _("The invitation %(of_name)s changed since the page was loaded (sent again or "
              "revoked by someone else): here is the list as it is now.", of_name=de(user.name)))
    db.session.commit()
    return user, None


@bp.post("/users/<int:user_id>/invitation")
@manager_required
def invite_again(user_id: int):
    """Send a new invitation link (earlier ones die) to someone who has no password yet."""
    user, refused = _invitation_change(user_id, resend_invitation)
    if refused:
        return refused
    return done(_("A new invitation was sent to %(email)s: the earlier link no longer works.",
                  email=user.email),
                url_for("admin.users", _anchor="invitations"), "admin/_invitations.html",
                focus="invitations-title", events=(USERS_CHANGED,),
                invitations=pending_invitations())


@bp.post("/users/<int:user_id>/invitation/revoke")
@manager_required
def revoke(user_id: int):
    """Withdraw a pending invitation (after confirmation): its links die, the account is
    deactivated (services.revoke_invitation says why not deleted)."""
    user = _user_or_404(user_id)
    if not confirmed():
        return ask_first(_("Revoke the invitation %(of_name)s? Their link will no longer work "
                           "and the account will be deactivated.", of_name=de(user.name)),
                         url_for("admin.users", _anchor="invitations"),
                         action_label=_("Revoke"))
    user, refused = _invitation_change(user_id, revoke_invitation)
    if refused:
        return refused
    return done(_("The invitation %(of_name)s is revoked: the link no longer works and the "
                  "account is deactivated.", of_name=de(user.name)),
                url_for("admin.users", _anchor="invitations"), "admin/_invitations.html",
                focus="invitations-title", events=(USERS_CHANGED,),
                invitations=pending_invitations())


def _hand_over_form() -> HandOverForm:
    return HandOverForm().with_people(departing_choices(), receiving_choices())


def _render_hand_over(form: HandOverForm, status: int = 200, *, focus: str | None = None,
                      **context):
    """The page or its section; for htmx the focus goes to ``focus`` (the preview, or the
    conflict's message) once swapped (a refused form focuses its error summary itself)."""
    response = page_or_fragment("admin/handover.html", "admin/_handover.html", status,
                                form=form, **context)
    return focus_on(response, focus) if focus and is_htmx() else response


@bp.get("/users/handover")
@manager_required
def hand_over_page():
    return _render_hand_over(_hand_over_form())


def _chosen(form: HandOverForm, field) -> User | None:
    """The account a select names, or None with the field's error set (forged, gone)."""
    user = db.session.get(User, field.data) if isinstance(field.data, int) else None
    if user is None:
        field.errors = [_("Choose one of the people offered: the list may have changed "
                          "since the page was loaded.")]
    return user


@bp.post("/users/handover")
@manager_required
def hand_over_work():
    """Preview (counts) then, with ``confirm=1`` and the preview's fingerprint, hand the
    departing advisor's projects and open next steps to the receiving one in one
    transaction. Refusals: 422 with the reason on the field; a preview that is no longer
    true: 409 with the choices kept and the new counts to confirm again."""
    form = _hand_over_form()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        for field in (form.from_id, form.to_id):
            if field.errors and field.raw_data and field.raw_data[0]:
                _chosen(form, field)  # a value was sent but is no id: say so plainly
        return _render_hand_over(form, 422)
    departing, receiving = _chosen(form, form.from_id), _chosen(form, form.to_id)
    if departing is None or receiving is None:
        return _render_hand_over(form, 422)
    try:
        check_hand_over(departing, receiving)
    except HandOverRefused as refused:
        target = form.from_id if not departing.is_staff else form.to_id
        target.errors = [str(refused)]
        return _render_hand_over(form, 422)
    if not confirmed():
        return _render_hand_over(form, departing=departing, receiving=receiving,
                                 preview=hand_over_preview(departing),
                                 focus="handover-preview-title")
    try:
        projects, steps = hand_over(departing, receiving, current_user, form.fingerprint.data)
    except StaleVersion:
        db.session.rollback()
        return _render_hand_over(form, 409, departing=departing, receiving=receiving,
                                 preview=hand_over_preview(departing), stale=True,
                                 focus="handover-stale")
    db.session.commit()
    message = _("Hand-over done: %(to)s replaces %(from)s on %(projects)s and %(steps)s.",
                projects=ngettext("%(num)d project", "%(num)d projects", projects),
                steps=ngettext("%(num)d open next step", "%(num)d open next steps", steps),
                **{"from": departing.name, "to": receiving.name})
    return done(message, url_for("admin.hand_over_page"), "admin/_handover.html",
                focus="handover-title", form=_hand_over_form())


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


# The pole's identity (issue 13) ----------------------------------------------------------


def _pole_form_for_reading() -> PoleForm:
    pole = current_pole()
    return PoleForm(formdata=None, data={
        "name": pole.name, "short_name": pole.short_name, "territory": pole.territory,
        "contact_email": pole.contact_email, "postal_address": pole.postal_address,
        "time_zone": pole.time_zone, "version": pole.version or 0})


def _field_labels(fields: str) -> str:
    """What a save changed, in words (``PoleSettingsVersion.changed_fields``)."""
    labels = {"name": _("name"), "short_name": _("short name"), "territory": _("territory"),
              "contact_email": _("contact e-mail address"), "postal_address": _("postal address"),
              "time_zone": _("time zone"), "logo": _("logo")}
    words = [labels.get(name, name) for name in fields.split(",") if name]
    return ", ".join(words) if words else _("first save, the installation's values kept")


def _render_pole(form: PoleForm, status: int = 200, conflict: bool = False):
    form.logo.description = logo_hint()
    context = {"form": form, "conflict": conflict, "history": pole_history(),
               "saved": current_pole(), "pole_field_labels": _field_labels}
    template = "admin/_pole_form.html" if is_htmx() else "admin/pole.html"
    return render_template(template, **context), status


@bp.route("/pole", methods=["GET", "POST"])
@manager_required
def pole():
    """The pole's name, short name, territory, logo, contact, address and time zone. Saved
    from the version the page showed (409 with the input kept when someone saved since)."""
    if request.method == "GET":
        return _render_pole(_pole_form_for_reading())
    form = PoleForm()
    if not form.validate_on_submit():
        return _render_pole(form, 422)
    logo = None
    storage = form.logo.data
    if storage is not None and storage.filename:
        try:
            logo = read_logo(storage)
        except UploadRefused as refused:
            form.logo.errors = [*form.logo.errors, refused.message]
            return _render_pole(form, refused.status)
    try:
        changed = save_pole(current_user, form.seen_version(), form.values(), logo=logo,
                            remove_logo=bool(form.remove_logo.data))
    except StaleVersion:
        db.session.rollback()
        forget_current_pole()
        form.show_version(current_pole().version or 0)
        if logo is not None:
            form.logo.errors = [*form.logo.errors, _(
                "The logo you chose was not saved either: choose it again.")]
        return _render_pole(form, 409, conflict=True)
    db.session.commit()
    if changed:
        record("pole.changed", fields=changed)
        flash(_("The pole's settings are saved."), "success")
    else:
        flash(_("Nothing changed: the settings are as they were."), "info")
    return hx_redirect(url_for("admin.pole"))

# Security (issue 14): who must use two-factor authentication --------------------------


def _required_label(change) -> str:
    """Whom a saved rule required two-factor of, in words."""
    roles = [label for label, on in ((_("managers"), change.two_factor_managers),
                                     (_("advisors"), change.two_factor_advisors),
                                     (_("mentors"), change.two_factor_mentors)) if on]
    if not roles:
        return _("required for nobody")
    return _("required for %(roles)s", roles=", ".join(roles))


def _render_security(form: SecurityForm, status: int = 200, conflict: bool = False):
    return render_template("admin/security.html", form=form, conflict=conflict,
                           rule=two_factor.security_rule(), required_label=_required_label,
                           history=two_factor.security_history()), status


def _security_form_for_reading() -> SecurityForm:
    rule = two_factor.security_rule()
    return SecurityForm(formdata=None, data={
        "managers": rule.managers, "advisors": rule.advisors, "mentors": rule.mentors,
        "version": rule.version or 0})


@bp.route("/security", methods=["GET", "POST"])
@manager_required
def security():
    """Which roles must use two-factor authentication. Saved from the version the page
    showed (409 with the choice kept when someone saved since); each save is kept."""
    if request.method == "GET":
        return _render_security(_security_form_for_reading())
    form = SecurityForm()
    if not form.validate_on_submit() or form.seen_version() is None:
        return _render_security(form, 422)
    try:
        changed = two_factor.save_security_rule(
            current_user, form.seen_version(), managers=bool(form.managers.data),
            advisors=bool(form.advisors.data), mentors=bool(form.mentors.data))
    except StaleVersion:
        db.session.rollback()
        form.show_version(two_factor.security_rule().version or 0)
        return _render_security(form, 409, conflict=True)
    db.session.commit()
    if changed and two_factor.owes_enrolment(current_user._get_current_object()):
        # The rule now applies to the manager who saved it: this session too, at once.
        session[two_factor.MUST_ENROL] = True
        flash(_("The security settings are saved. They apply to you too: set up two-factor "
                "authentication now."), "success")
        return hx_redirect(url_for("account.two_factor"))
    if changed:
        flash(_("The security settings are saved. They apply from each person's next "
                "login."), "success")
    else:
        flash(_("Nothing changed: the settings are as they were."), "info")
    return hx_redirect(url_for("admin.security"))


from . import outbox as _outbox  # noqa: E402,F401  (the worker's failed and delayed work)
from . import retention as _retention  # noqa: E402,F401  (the retention settings)
from . import stages as _stages  # noqa: E402,F401  (the stage settings: their own module)
