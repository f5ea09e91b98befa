"""My two-factor authentication (/account/two-factor): set it up (a QR code and the secret,
confirmed by a first code), see how many recovery codes are left and make new ones (a code
first), turn it off (password and code). The rules live in ``auth/two_factor.py``.

Recovery codes are shown once, in the answer to the POST that made them (never stored in
clear, never in a URL); every page is ``Cache-Control: no-store`` (security.py).
"""

from __future__ import annotations

from flask import current_app, flash, g, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth import sessions, two_factor
from ..extensions import db, limiter
from ..htmx import hx_redirect
from ..models import EndReason
from ..passwords import verify_password
from ..pole import current_pole
from ..security_log import record as log_event
from . import bp
from .forms import (
    ConfirmTwoFactorForm,
    DisableTwoFactorForm,
    RecoveryCodesForm,
    StartTwoFactorForm,
)


def _wrong_answer(response) -> bool:
    return bool(g.get("two_factor_wrong"))


def _per_account() -> str:
    return f"two-factor:{current_user.get_id()}"


# Wrong codes or passwords typed here, per account (a signed-in guesser).
_limited = limiter.limit(lambda: current_app.config["PASSWORD_CHANGE_LIMIT"], methods=["POST"],
                         key_func=_per_account, deduct_when=_wrong_answer)


def _page(status: int = 200, **forms):
    user = current_user._get_current_object()
    factor = two_factor.factor_of(user)
    context = {
        "two_factor": two_factor.status(user),
        "start_form": forms.get("start_form") or StartTwoFactorForm(),
        "confirm_form": forms.get("confirm_form") or ConfirmTwoFactorForm(),
        "codes_form": forms.get("codes_form") or RecoveryCodesForm(),
        "disable_form": forms.get("disable_form") or DisableTwoFactorForm(),
        "enrolling": factor is not None and not factor.enabled,
        "must_enrol": bool(session.get(two_factor.MUST_ENROL)),
    }
    if context["enrolling"]:
        uri = two_factor.provisioning_uri(user, factor.secret)
        context.update(qr=two_factor.qr_data_uri(uri), secret=two_factor.grouped(factor.secret),
                       issuer=current_pole().short_name)
    return render_template("account/two_factor.html", **context), status


@bp.get("/two-factor", endpoint="two_factor")
@login_required
def two_factor_page():
    return _page()


@bp.post("/two-factor/start")
@login_required
def two_factor_start():
    """A new secret (a new QR code): starting again is allowed, until a code confirms one."""
    if not StartTwoFactorForm().validate_on_submit():
        return _page(400)
    user = current_user._get_current_object()
    if two_factor.is_enabled(user):
        flash(_("Two-factor authentication is already on."), "info")
    else:
        two_factor.start_enrolment(user)
        db.session.commit()
    return hx_redirect(url_for("account.two_factor"))


@bp.post("/two-factor/confirm")
@login_required
@_limited
def two_factor_confirm():
    user = current_user._get_current_object()
    form = ConfirmTwoFactorForm()
    factor = two_factor.factor_of(user)
    if factor is None or factor.enabled:
        flash(_("Two-factor authentication is already on.") if factor else
              _("Start the set-up first."), "info")
        return hx_redirect(url_for("account.two_factor"))
    if not form.validate_on_submit():
        return _page(422, confirm_form=form)
    if not verify_password(user.password_hash, form.password.data):
        g.two_factor_wrong = True
        log_event("two_factor.enrolment_refused", reason="wrong_password")
        form.password.errors.append(_("This is not your password."))
        return _page(422, confirm_form=form)
    try:
        codes = two_factor.confirm_enrolment(user, two_factor.clean_code(form.code.data))
    except two_factor.CodeRefused:
        db.session.rollback()
        g.two_factor_wrong = True
        log_event("two_factor.code_refused", target_id=user.id, kind="enrolment")
        form.code.errors.append(_("This code does not match. Check that your phone's time is "
                                  "right, then enter the code your app shows now."))
        return _page(422, confirm_form=form)
    # Sessions opened with the password alone (another browser, perhaps not the owner's) end;
    # this one goes on with a new secret, as after a change of password.
    sessions.end_all(user, EndReason.TWO_FACTOR_CHANGED, except_current=True)
    sessions.renew()
    db.session.commit()
    session.pop(two_factor.MUST_ENROL, None)
    return render_template("account/recovery_codes.html", codes=codes, first_time=True)


def _code_refused(**forms):
    """A code from the app refused (wrong or already used): nothing written, counted by the
    limiter, the page again with the message under the form's code field (``forms``: the
    one form, under its context name)."""
    db.session.rollback()
    g.two_factor_wrong = True
    (form,) = forms.values()
    form.code.errors.append(_("This code is not valid, or was already used. Enter the code "
                              "your app shows now."))
    return _page(422, **forms)


@bp.post("/two-factor/recovery-codes")
@login_required
@_limited
def two_factor_codes():
    user = current_user._get_current_object()
    form = RecoveryCodesForm()
    if not two_factor.is_enabled(user):
        return hx_redirect(url_for("account.two_factor"))
    if not form.validate_on_submit():
        return _page(422, codes_form=form)
    try:
        two_factor.check_second_factor(user, form.code.data)
    except two_factor.CodeRefused:
        return _code_refused(codes_form=form)
    codes = two_factor.new_recovery_codes(user)
    log_event("two_factor.recovery_codes_renewed", target_id=user.id)
    db.session.commit()
    return render_template("account/recovery_codes.html", codes=codes, first_time=False)


@bp.post("/two-factor/disable")
@login_required
@_limited
def two_factor_disable():
    user = current_user._get_current_object()
    form = DisableTwoFactorForm()
    if not two_factor.is_enabled(user):
        return hx_redirect(url_for("account.two_factor"))
    if not form.validate_on_submit():
        return _page(422, disable_form=form)
    if not verify_password(user.password_hash, form.password.data):
        g.two_factor_wrong = True
        log_event("two_factor.disable_refused", reason="wrong_password")
        form.password.errors.append(_("This is not your password."))
        return _page(422, disable_form=form)
    try:
        two_factor.check_second_factor(user, form.code.data)
    except two_factor.CodeRefused:
        return _code_refused(disable_form=form)
    two_factor.disable(user)
    sessions.end_all(user, EndReason.TWO_FACTOR_CHANGED, except_current=True)
    sessions.renew()
    db.session.commit()
    if two_factor.must_use(user):
        session[two_factor.MUST_ENROL] = True
        flash(_("Two-factor authentication is off. Your role requires it: set it up again "
                "(with your new phone, for instance) to go on."), "info")
    else:
        flash(_("Two-factor authentication is off: your password alone opens your account."),
              "success")
    return hx_redirect(url_for("account.two_factor"))
