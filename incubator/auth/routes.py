"""Registration, login, logout and password links."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db, limiter
from ..models import EndReason, Role
from ..security_log import record as log_event
from ..tokens import read_password_token
from ..urls import home_url, safe_next
from . import bp, sessions
from .forms import LoginForm, LogoutForm, RegisterForm, ResetRequestForm, SetPasswordForm
from .services import (
    EmailTaken,
    authenticate,
    create_user,
    find_user_by_email,
    send_password_reset,
)
from .services import (
    set_password as store_password,
)


def _start_session(user, remember: bool = False, how: str = "password") -> None:
    """Log ``user`` in on a new server-side session and a fresh cookie (see sessions.py)."""
    sessions.start(user, remember=remember, how=how)
    db.session.commit()


def _account_key() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT"], methods=["POST"],
               deduct_when=lambda response: response.status_code == 303)
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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"],
               deduct_when=lambda response: response.status_code == 401)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=_account_key, deduct_when=lambda response: response.status_code == 401)
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(safe_next(form.next.data) or home_url(current_user))
    status = 200
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            _start_session(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data) or home_url(user), code=303)
        # One message whatever failed: unknown address, wrong password, disabled account.
        flash(_("E-mail address or password incorrect."), "error")
        status = 401
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form), status


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
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is not None and user.active:
            send_password_reset(user)
        # The same answer whether or not the address has an account.
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
    form = SetPasswordForm()
    if form.validate_on_submit():
        store_password(user, form.password.data)
        # Whoever held a session of this account (or a copy of its cookie) is out.
        sessions.end_all(user, EndReason.PASSWORD_RESET if kind == "reset"
                         else EndReason.PASSWORD_CHANGED)
        log_event("password.changed", user_id=user.id, how=kind)
        db.session.commit()
        _start_session(user, how=kind)
        flash(_("Your password is saved."), "success")
        return redirect(home_url(user), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/set_password.html", form=form, user=user, kind=kind), status
