"""Registration, login, logout and password links."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..after_response import defer
from ..extensions import db, limiter
from ..models import EndReason, Role
from ..security_log import record
from ..tokens import read_password_token
from ..urls import home_url, safe_next
from . import bp, sessions, throttle
from .forms import LoginForm, LogoutForm, RegisterForm, ResetRequestForm, SetPasswordForm
from .services import (
    EmailTaken,
    check_credentials,
    create_user,
    send_reset_if_account,
)
from .services import (
    set_password as store_password,
)


def _start_session(user, remember: bool = False, how: str = "password") -> None:
    """Log ``user`` in on a new server-side session and a fresh cookie (see sessions.py)."""
    sessions.start(user, remember=remember, how=how)
    db.session.commit()


def _reset_target_key() -> str:
    return "reset:" + (request.form.get("email") or "").strip().lower()[:254]


def _failed(response) -> bool:
    return response.status_code in (401, 429)


# Every attempt counts, whatever its outcome: "this address has an account" cannot be asked
# more than the limit allows.
@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT"], methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = create_user(
                form.email.data, form.name.data, Role.HOLDER, form.password.data,
                privacy_accepted=True,
            )
        except EmailTaken:
            form.email.errors.append(
                _("An account already exists with this e-mail address. Log in, or reset your "
                  "password if you forgot it.")
            )
        else:
            db.session.commit()
            _start_session(user, how="register")
            flash(_("Welcome, %(name)s! Your account is ready. Describe your idea below.",
                    name=user.name), "success")
            return redirect(url_for("projects.new"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


# Per client address here (Flask-Limiter, shared through Redis when configured); per
# e-mail address in the database (throttle.py), which every process shares by design.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"],
               deduct_when=_failed)
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(safe_next(form.next.data) or home_url(current_user))
    status = 200
    if form.validate_on_submit():
        wait = throttle.begin_attempt(form.email.data)
        db.session.commit()  # counted before the password is checked: see throttle.py
        if wait:
            return _login_delayed(form, wait)
        user, reason = check_credentials(form.email.data, form.password.data)
        if user is not None:
            throttle.attempt_succeeded(form.email.data)
            db.session.commit()
            _start_session(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data) or home_url(user), code=303)
        _login_failed(form.email.data, reason)
        # One message whatever failed: unknown address, wrong password, disabled account.
        flash(_("E-mail address or password incorrect."), "error")
        status = 401
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form), status


def _login_failed(email: str, reason: str | None) -> None:
    failures, delay = throttle.attempt_failed(email)
    record("login.failed", email=email, reason=reason, failures=failures)
    if delay:
        record("login.delayed", email=email, failures=failures, seconds=delay)


def _login_delayed(form: LoginForm, wait: int):
    """During a delay the password is not even checked, and the attempt does not count.
    The same answer whether or not the address has an account."""
    record("login.failed", email=form.email.data, reason="delayed", retry_after=wait)
    flash(_("Too many failed attempts with this address. Wait %(time)s before trying again, "
            "or choose a new password with “Forgot your password?”.",
            time=format_timedelta(timedelta(seconds=wait), threshold=1.1)), "error")
    response = current_app.make_response(
        (render_template("auth/login.html", form=form), 429))
    # The same wait as the page says (Flask-Limiter's headers are off, so nothing changes it).
    response.headers["Retry-After"] = str(wait)
    return response


@bp.post("/logout")
@login_required
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        sessions.logout()
        db.session.commit()
        flash(_("You are logged out."), "info")
    return redirect(url_for("main.index"), code=303)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["EMAIL_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_ADDRESS"], methods=["POST"],
               key_func=_reset_target_key)
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        record("password.reset_requested", email=form.email.data)
        # The same answer in the same time whether or not the address has an account: the
        # request does the same work either way, and finding the account, making the link
        # and sending the mail happen after the response.
        defer(send_reset_if_account, form.email.data)
        flash(_("If an account uses this address, we have sent it a link to choose a new "
                "password. Check your inbox (and spam folder)."), "info")
        return redirect(url_for("auth.login"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    found = read_password_token(token)
    if found is None:
        flash(_("This link is invalid, has expired or was already used. Ask for a new one."),
              "error")
        return redirect(url_for("auth.reset_request"), code=303)
    user, kind = found
    form = SetPasswordForm(account_email=user.email)
    if form.validate_on_submit():
        store_password(user, form.password.data)
        # Whoever held a session of this account (or a copy of its cookie) is out.
        sessions.end_all(user, EndReason.PASSWORD_RESET if kind == "reset"
                         else EndReason.PASSWORD_CHANGED)
        record("password.changed", user_id=user.id, how=kind)
        db.session.commit()
        if kind == "reset":  # (the log shows the route's rule, never the link's token)
            record("password.reset", user_id=user.id)
        _start_session(user, how=kind)
        flash(_("Your password is saved."), "success")
        return redirect(home_url(user), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/set_password.html", form=form, user=user, kind=kind), status
