"""Registration, login, logout and password links."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import format_timedelta, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import jobs
from ..extensions import db, limiter
from ..htmx import hx_redirect
from ..models import EndReason, Role
from ..security_log import record
from ..tokens import dead_link, read_password_token
from ..urls import home_url, safe_next
from . import bp, sessions, throttle, two_factor
from .forms import (
    LoginForm,
    LogoutForm,
    RegisterForm,
    ResetRequestForm,
    SecondFactorForm,
    SetPasswordForm,
)
from .services import (
    RESET_JOB,
    EmailTaken,
    check_credentials,
    create_user,
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
        if user is not None and two_factor.is_enabled(user):
            # The attempt stays counted until the code is right: wrong codes and wrong
            # passwords share the address's budget.
            two_factor.begin_pending_login(user, remember=form.remember.data,
                                           next_url=safe_next(form.next.data))
            db.session.commit()
            return hx_redirect(url_for("auth.second_factor"))
        if user is not None:
            throttle.attempt_succeeded(form.email.data)
            db.session.commit()
            return _logged_in(user, remember=form.remember.data,
                              to=safe_next(form.next.data) or home_url(user))
        _login_failed(form.email.data, reason)
        # One message whatever failed: unknown address, wrong password, disabled account.
        flash(_("E-mail address or password incorrect."), "error")
        status = 401
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form), status


def _logged_in(user, *, remember: bool, to: str, how: str = "password"):
    """Open the session of ``user`` (password, and code when they use one, checked). A role
    that requires two-factor, for someone without it, leads to enrolment first: that session
    can reach nothing else (``enrol_first``) and is never remembered."""
    if two_factor.owes_enrolment(user):
        _start_session(user, remember=False, how=how)
        session[two_factor.MUST_ENROL] = True
        flash(_("Your role requires two-factor authentication: set it up now to go on."),
              "info")
        return hx_redirect(url_for("account.two_factor"))
    _start_session(user, remember=remember, how=how)
    return hx_redirect(to)


# What a session that must enrol first may still reach.
ENROLMENT_ENDPOINTS = frozenset({
    "static", "account.two_factor", "account.two_factor_start", "account.two_factor_confirm",
    "auth.logout", "main.set_language", "main.pole_logo", "main.privacy", "main.healthz",
    "main.ready",
})


@bp.before_app_request
def enrol_first():
    """A session opened by someone whose role requires two-factor, and who has none, is
    sent to enrolment (``HX-Redirect`` for htmx) until it is confirmed. A session resumed
    from its "stay logged in" cookie (sessions.py) is asked too: without it, a remembered
    session opened before the rule changed would escape it for REMEMBER_DAYS."""
    if g.pop("session_resumed", False) and current_user.is_authenticated and (
            two_factor.owes_enrolment(current_user._get_current_object())):
        session[two_factor.MUST_ENROL] = True
    if not session.get(two_factor.MUST_ENROL) or request.endpoint in ENROLMENT_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        session.pop(two_factor.MUST_ENROL, None)
        return None
    if request.endpoint in sessions.BACKGROUND_ENDPOINTS:
        # A timer's poll (the bell on the set-up page itself) answers "nothing new": an
        # HX-Redirect would reload the page every few seconds, and lose the code typed.
        return current_app.make_response(("", 204))
    return hx_redirect(url_for("account.two_factor"))


@bp.route("/two-factor", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"],
               deduct_when=_failed)
def second_factor():
    """The login's second step, after a right password: a code from the app or a recovery
    code. Wrong codes count like wrong passwords on the address (throttle.py)."""
    if current_user.is_authenticated:
        return hx_redirect(home_url(current_user))
    pending = two_factor.pending_login()
    if pending is None:
        if request.method == "GET":
            return render_template("auth/two_factor.html", form=None)
        flash(_("The time to enter your code ran out. Log in again."), "info")
        return hx_redirect(url_for("auth.login"))
    user, remember, next_url = pending
    form = SecondFactorForm()
    status = 200
    if form.validate_on_submit():
        wait = throttle.begin_attempt(user.email)
        db.session.commit()  # counted before the code is checked
        if wait:
            return _code_delayed(form, user, wait)
        try:
            how = two_factor.check_second_factor(user, form.code.data)
        except two_factor.CodeRefused:
            db.session.rollback()
            failures, delay = throttle.attempt_failed(user.email)
            if delay:
                record("login.delayed", email=user.email, failures=failures, seconds=delay)
            form.code.errors.append(_("This code is not valid, or was already used. Enter the "
                                      "code your app shows now."))
            status = 401
        else:
            throttle.attempt_succeeded(user.email)
            two_factor.forget_pending_login()
            db.session.commit()
            if how == "recovery_code":
                left = two_factor.status(user).codes_left
                flash(ngettext("You used a recovery code: %(num)d is left. Make new ones on "
                               "the two-factor page.",
                               "You used a recovery code: %(num)d are left. Make new ones on "
                               "the two-factor page.", left), "warning")
            return _logged_in(user, remember=remember, to=next_url or home_url(user), how=how)
    elif form.is_submitted():
        status = 422
    return render_template("auth/two_factor.html", form=form), status


@bp.post("/two-factor/cancel")
def cancel_second_factor():
    """Give up the code step (a shared computer): the right password given is forgotten by
    this browser at once, not after ``TWO_FACTOR_PENDING_MINUTES``."""
    if not LogoutForm().validate_on_submit():
        abort(400)
    if two_factor.pending_login() is not None:
        two_factor.forget_pending_login()
        flash(_("The login is cancelled: this browser no longer waits for a code."), "info")
    return redirect(url_for("auth.login"), code=303)


def _code_delayed(form: SecondFactorForm, user, wait: int):
    record("two_factor.code_refused", target_id=user.id, kind="delayed", retry_after=wait)
    form.code.errors.append(_(
        "Too many failed attempts with this address. Wait %(time)s before trying again.",
        time=format_timedelta(timedelta(seconds=wait), threshold=1.1)))
    response = current_app.make_response(
        (render_template("auth/two_factor.html", form=form), 429))
    response.headers["Retry-After"] = str(wait)
    return response


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
    response = redirect(url_for("main.index"), code=303)
    if form.validate_on_submit():
        sessions.logout()
        db.session.commit()
        flash(_("You are logged out."), "info")
        # The board is kept by the browser (``private, no-cache``, board/routes.py) so that
        # it can be revalidated with a 304; after logging out on a shared computer the Back
        # button would show it again from that cache, projects and names included. The
        # browser drops this origin's cached answers (and its back/forward cache) on this
        # header (W3C Clear Site Data); cookies and storage are left alone (the language).
        response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["EMAIL_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_ADDRESS"], methods=["POST"],
               key_func=_reset_target_key)
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        record("password.reset_requested", email=form.email.data)
        # The same answer in the same time whether or not the address has an account: the
        # request only queues a job holding the address typed (one INSERT either way); the
        # worker finds the account, makes the link and sends the mail (incubator/jobs.py).
        jobs.enqueue(RESET_JOB, email=form.email.data)
        db.session.commit()
        flash(_("If an account uses this address, we have sent it a link to choose a new "
                "password. Check your inbox (and spam folder)."), "info")
        return redirect(url_for("auth.login"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    found = read_password_token(token)
    if found is None:
        dead = dead_link(token)
        if dead.kind == "invite":
            # The invited person learns why and whom to ask; the page names no account.
            return render_template("auth/dead_invitation.html", dead=dead), 410
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
        flash(_("Your password is saved."), "success")
        if two_factor.is_enabled(user):
            # A mailbox is not a second factor: the code is still asked.
            two_factor.begin_pending_login(user, remember=False, next_url=None)
            return hx_redirect(url_for("auth.second_factor"))
        return _logged_in(user, remember=False, to=home_url(user), how=kind)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/set_password.html", form=form, user=user, kind=kind), status
