"""My account (/account): identity, e-mail address, language, e-mail notifications, the
password, my open sessions (end one, end all others), and a request to close my account;
the managers' list of closure requests (/admin/closure-requests).

Every section's form works without JavaScript (a POST answered by a 303 back to the page)
and in place with htmx (its fragment, the message out of band: ``htmx.done``). Changing the
password ends every other session and keeps this one on a new secret and a new cookie.
A change of language reloads the page (everything on it changes language).
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import once
from ..auth import sessions
from ..auth.services import set_password
from ..auth.two_factor import status as two_factor_status
from ..dom import dom_id
from ..errors import fail
from ..extensions import db, limiter
from ..htmx import done, hx_redirect, is_htmx, page_or_fragment, render
from ..i18n import datetime_long, de
from ..models import ClosureStatus, EndReason
from ..passwords import verify_password
from ..permissions import can_answer_closure, can_request_closure, manager_required
from ..security_log import record as log_event
from ..versions import StaleVersion
from . import bp, closures_bp, queries, services
from .devices import device_label
from .forms import (
    ClosureAnswerForm,
    ClosureForm,
    EmailChangeForm,
    EndSessionForm,
    LanguageForm,
    NameForm,
    NotificationsForm,
    PasswordForm,
    PlainForm,
)


def _sessions_context() -> dict:
    this = sessions.current()
    return {
        "rows": sessions.open_sessions(current_user),
        "this_id": this.id if this is not None else None,
        "device_label": device_label,
        "end_form": EndSessionForm(),
    }


@bp.get("/sessions")
@login_required
def sessions_page():
    """My open sessions: a page, or the list fragment for htmx."""
    return page_or_fragment("account/sessions.html", "account/_sessions.html",
                            **_sessions_context())


def _ended(message: str):
    return done(message, url_for("account.sessions_page"), "account/_sessions.html",
                **_sessions_context())


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    if not EndSessionForm().validate_on_submit():
        abort(400)
    # Only another open session of mine: anything else is "not found".
    if not sessions.end_one(current_user, session_id, EndReason.ENDED_BY_USER):
        abort(404)
    db.session.commit()
    return _ended(_("The session is ended: that device is logged out."))


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions():
    if not EndSessionForm().validate_on_submit():
        abort(400)
    count = sessions.end_all(current_user, EndReason.ENDED_BY_USER, except_current=True)
    db.session.commit()
    return _ended(ngettext("%(num)d other session ended.", "%(num)d other sessions ended.",
                           count) if count else _("There was no other session to end."))


def _wrong_current_password(response) -> bool:
    return bool(g.get("wrong_current_password"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["PASSWORD_CHANGE_LIMIT"], methods=["POST"],
               key_func=lambda: f"password:{current_user.get_id()}",
               deduct_when=_wrong_current_password)
def password():
    form = PasswordForm(account_email=current_user.email)
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            g.wrong_current_password = True
            log_event("password.change_failed", reason="wrong_current_password")
            form.current.errors = [_("This is not your current password.")]
        elif verify_password(current_user.password_hash, form.password.data):
            form.password.errors = [_("This is already your password: choose a new one.")]
        else:
            user = current_user._get_current_object()
            set_password(user, form.password.data)
            ended = sessions.end_all(user, EndReason.PASSWORD_CHANGED, except_current=True)
            sessions.renew()
            log_event("password.changed", user_id=user.id, how="account", sessions_ended=ended)
            db.session.commit()
            flash(_("Your password is changed. Your other sessions are ended."), "success")
            return redirect(url_for("account.sessions_page"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("account/password.html", form=form), status

# The account page

# Each language named in the language of the text it goes into (called inside force_locale).
LANGUAGE_NAMES = {"fr": lambda: _("French"), "en": lambda: _("English")}


def _me():
    return current_user._get_current_object()


def _name_form() -> NameForm:
    form = NameForm(formdata=None, name=current_user.name)
    form.show_version(current_user.version)
    return form


def _account_context(**forms) -> dict:
    """Everything /account and its fragments show; ``forms`` replaces blank ones (a refused
    form keeps what was typed)."""
    user = _me()
    context = {
        "user": user,
        "summary": queries.account_summary(user),
        "name_form": _name_form(),
        "email_form": EmailChangeForm(formdata=None),
        "language_form": LanguageForm(formdata=None, locale=user.locale or str(
            current_app.config["BABEL_DEFAULT_LOCALE"])),
        "notifications_form": NotificationsForm(formdata=None,
                                                email_notifications=user.email_notifications),
        "closure_form": ClosureForm(formdata=None),
        "two_factor": two_factor_status(user),
        "plain_form": PlainForm(),
        "conflict": False,
    }
    context.update(forms)
    return context


@bp.get("")
@login_required
def index():
    """My account: every section on one page (anchors for the sub-navigation)."""
    return render("account/index.html", **_account_context())


def _section(page_status: int, fragment: str, **context):
    """A refused form: the page for a plain request, the section for htmx."""
    return page_or_fragment("account/index.html", fragment, page_status,
                            **_account_context(**context))


@bp.post("/name")
@login_required
def rename():
    form = NameForm()
    if not form.validate_on_submit():
        return _section(422, "account/_identity.html", name_form=form)
    user = _me()
    try:
        services.rename(user, form.name.data, form.seen_version())
    except StaleVersion:
        db.session.rollback()
        db.session.refresh(user)
        form.show_version(user.version)
        return _section(409, "account/_identity.html", name_form=form, conflict=True)
    db.session.commit()
    return done(_("Your name is saved."), url_for("account.index", _anchor="account-identity"),
                "account/_identity.html", oob=("account/_user_name.html",),
                **_account_context())


@bp.post("/language")
@login_required
def language():
    form = LanguageForm()
    if not form.validate_on_submit():
        return _section(422, "account/_language.html", language_form=form)
    services.set_language(_me(), form.locale.data)
    session["locale"] = form.locale.data  # this browser too, at once
    db.session.commit()
    # Every text of the page changes: htmx reloads it (HX-Redirect), a form gets a 303.
    with force_locale(form.locale.data):
        flash(_("Your pages and e-mails are now in %(language)s.",
                language=LANGUAGE_NAMES[form.locale.data]()), "success")
    # No anchor for htmx: a location differing only by its fragment would not reload.
    return hx_redirect(url_for("account.index") if is_htmx()
                       else url_for("account.index", _anchor="account-language"))


@bp.post("/notifications")
@login_required
def notifications():
    form = NotificationsForm()
    if not form.validate_on_submit():
        return _section(422, "account/_notifications.html", notifications_form=form)
    services.set_email_notifications(_me(), bool(form.email_notifications.data))
    db.session.commit()
    message = (_("You will receive your notifications by e-mail too.")
               if current_user.email_notifications
               else _("You will no longer receive notifications by e-mail. They stay in the "
                      "app."))
    return done(message, url_for("account.index", _anchor="account-notifications"),
                "account/_notifications.html", **_account_context())


def _email_change_key() -> str:
    return f"email-change:{current_user.get_id()}"


@bp.post("/email")
@login_required
# Every attempt counts: each checks the password and may say that an address has an account.
@limiter.limit(lambda: current_app.config["EMAIL_CHANGE_LIMIT"], key_func=_email_change_key)
def request_email_change():
    form = EmailChangeForm()
    if form.validate_on_submit():
        user = _me()
        if not verify_password(user.password_hash, form.current.data):
            log_event("password.change_failed", reason="wrong_current_password",
                      where="email_change")
            form.current.errors = [_("This is not your password.")]
        else:
            # Sent twice (a double click without JavaScript), the second would cancel the
            # link the first just mailed: it leads to the first instead.
            try:
                ticket = once.claim("email-change")
            except once.AlreadyUsed:
                db.session.rollback()
                return once.replayed(url_for("account.index", _anchor="account-email"),
                                     _("Your request was already sent: here it is."))
            except once.InvalidFormToken:
                db.session.rollback()
                form.form_errors.append(once.stale_message())
                form.current.data = ""
                return _section(422, "account/_email.html", email_form=form)
            try:
                change = services.request_email_change(user, form.email.data)
            except services.SameAddress:
                db.session.rollback()
                form.email.errors = [_("This is already your address.")]
            except services.AddressTaken:
                db.session.rollback()
                form.email.errors = [_("Another account already uses this e-mail address. "
                                       "Choose another one.")]
            else:
                once.created(ticket, change)
                db.session.commit()
                return done(_("We sent a link to %(email)s. Open it (logged in) to confirm "
                              "your new address; until then your address stays the same.",
                              email=change.new_email),
                            url_for("account.index", _anchor="account-email"),
                            "account/_email.html", **_account_context())
    form.current.data = ""
    return _section(422, "account/_email.html", email_form=form)


@bp.post("/email/cancel")
@login_required
def cancel_email_change():
    if not PlainForm().validate_on_submit():
        abort(400)
    cancelled = services.cancel_email_change(_me())
    db.session.commit()
    message = (_("The change of address is cancelled: its link no longer works.")
               if cancelled else _("There was no change of address waiting."))
    return done(message, url_for("account.index", _anchor="account-email"),
                "account/_email.html", category="success" if cancelled else "info",
                **_account_context())


def _dead_link(check: services.LinkCheck):
    status = 404 if check.reason == "unknown" else 410
    return render_template("account/email_link.html", check=check, change=None,
                           form=PlainForm()), status


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
@login_required
def confirm_email(token: str):
    """The link mailed to a new address: the page shows it and asks for a click (a GET
    changes nothing: mail scanners open links); the POST makes it the account's address.
    Another account's link answers like an unknown one (404)."""
    user = _me()
    check = services.check_link(user, token)
    if check.change is None:
        return _dead_link(check)
    form = PlainForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("account/email_link.html", check=check, change=check.change,
                               form=form), status
    try:
        services.confirm_email_change(user, check.change)
    except services.NotPending:
        db.session.rollback()
        return _dead_link(services.check_link(user, token))
    except services.AddressTaken:
        db.session.commit()  # the change is cancelled
        flash(_("Another account now uses this address: it cannot become yours. Your address "
                "stays the same."), "error")
        return redirect(url_for("account.index", _anchor="account-email"), code=303)
    db.session.commit()
    flash(_("Your e-mail address is now %(email)s.", email=user.email), "success")
    return redirect(url_for("account.index", _anchor="account-email"), code=303)


@bp.post("/closure")
@login_required
def request_closure():
    if not can_request_closure(current_user):
        abort(403)
    form = ClosureForm()
    valid = form.validate_on_submit()
    if valid:
        try:
            ticket = once.claim("closure")
        except once.AlreadyUsed:
            db.session.rollback()
            return once.replayed(url_for("account.index", _anchor="account-closure"),
                                 _("Your request was already sent: here it is."))
        except once.InvalidFormToken:
            form.form_errors.append(once.stale_message())
            valid = False
    if not valid:
        return _section(422, "account/_closure.html", closure_form=form)
    user = _me()
    try:
        closure = services.request_closure(user, form.reason.data or "")
    except services.AlreadyPending:
        db.session.rollback()
        return _section(409, "account/_closure.html", closure_form=ClosureForm(formdata=None))
    once.created(ticket, closure)
    db.session.commit()
    return done(_("Your request is sent to the pole's managers. You can cancel it while it "
                  "waits."), url_for("account.index", _anchor="account-closure"),
                "account/_closure.html", **_account_context())


@bp.post("/closure/cancel")
@login_required
def cancel_closure():
    if not PlainForm().validate_on_submit():
        abort(400)
    cancelled = services.cancel_closure(_me())
    db.session.commit()
    message = (_("Your request is cancelled: your account stays open.") if cancelled
               else _("There was no request waiting: it was already answered or cancelled."))
    return done(message, url_for("account.index", _anchor="account-closure"),
                "account/_closure.html", category="success" if cancelled else "info",
                **_account_context())


# The managers' list of closure requests


def _answer_form(closure, formdata=None) -> ClosureAnswerForm:
    """The answer form of one request; its fields are prefixed with the request's id, so
    several on one page keep distinct ids."""
    return ClosureAnswerForm(formdata=formdata, prefix=f"closure{closure.id}")


def _blank_answer_form(closure) -> ClosureAnswerForm:
    form = _answer_form(closure)
    form.show_version(closure.version)
    return form


def _requests_context() -> dict:
    pending, others = queries.closure_requests()
    return {"pending": pending, "others": others,
            "answer_forms": {c.id: _blank_answer_form(c) for c in pending},
            "conflict_id": None, "datetime_long": datetime_long}


@closures_bp.get("", endpoint="index")
@manager_required
def closure_requests():
    """Who asked that their account be closed: pending first, then the last answered."""
    return render("account/closure_requests.html", **_requests_context())


@closures_bp.post("/<int:request_id>/answer")
@manager_required
def answer(request_id: int):
    closure = queries.closure_request(request_id)
    if closure is None:
        abort(404)
    if not can_answer_closure(current_user, closure.user_id):
        fail(403, _("Another manager answers your own request."))
    form = _answer_form(closure, request.form)
    context = _requests_context()
    if not form.validate_on_submit():
        context["answer_forms"][closure.id] = form
        return _answer_refused(422, closure, context)
    try:
        services.answer_closure(closure, _me(), ClosureStatus(form.status.data),
                                form.message.data or "", form.seen_version())
    except StaleVersion:
        db.session.rollback()
        closure = queries.closure_request(request_id)
        context = _requests_context()
        if closure.status == ClosureStatus.PENDING.value:
            form.show_version(closure.version)
            context["answer_forms"][closure.id] = form
        context["conflict_id"] = closure.id
        return _answer_refused(409, closure, context)
    db.session.commit()
    closure = queries.closure_request(request_id)
    message = (_("The request %(of_name)s is marked handled.", of_name=de(closure.user.name))
               if closure.status == ClosureStatus.HANDLED.value else
               _("The request %(of_name)s is declined; they are told why.",
                 of_name=de(closure.user.name)))
    return done(message, url_for("closures.index", _anchor=dom_id(closure)),
                "account/_closure_request.html", closure=closure, **_requests_context())


def _answer_refused(status: int, closure, context: dict):
    if is_htmx():
        return render("account/_closure_request.html", status, closure=closure, **context)
    return render("account/closure_requests.html", status, **context)


from . import two_factor as _two_factor  # noqa: E402,F401  (its own module: /account/two-factor)
